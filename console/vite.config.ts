// The console is built into console/dist by `npm install` (the package's `prepare` script) and
// served by the gateway at /console (src/http/console.ts). Everything is bundled: no CDN.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  // Preact's automatic JSX runtime, through Vite's own transformer: no Babel plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // Source maps are built for debugging but not referenced from the bundle browsers download.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: 'hidden', chunkSizeWarningLimit: 400 },
  logLevel: 'warn',
});
