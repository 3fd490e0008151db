/**
 * Debian's Chromium driven by playwright-core, launched as the issue prescribes: a fresh profile
 * directory and no background traffic (this machine's network is closed; Chromium's own update,
 * sync and QUIC probes would only fail). `.ci/run` installs the package; without it the browser
 * tests fail with a message saying so, rather than passing without having run.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './hookline.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run \`apt-get install chromium\` (.ci/run does), or set CHROMIUM_PATH.`);
  }
  const profile = tempDir();
  // launchPersistentContext is Playwright's way to give Chromium a --user-data-dir of our choosing;
  // `headless: true` adds --headless.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: FLAGS, viewport });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where screenshots go: docs/images when regenerating the README's pictures
 * (`npm run screenshots` sets CONSOLE_SCREENSHOT_DIR), else a temporary directory.
 */
export function screenshotDir(): string {
  const dir = process.env.CONSOLE_SCREENSHOT_DIR ?? tempDir();
  mkdirSync(dir, { recursive: true });
  return dir;
}
