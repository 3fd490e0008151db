// Runs the test suite with Node's test runner (Node 20 cannot glob by itself), as a matrix:
// every file on SQLite, then every database-backed file (http/, e2e/) again on PostgreSQL.
// `npm test -- test/unit` runs only what is named; HOOKLINE_TEST_DB=sqlite|postgres picks one backend.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => find(join(path, name)));
}

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const files = (roots.length ? roots : ['test']).flatMap(find);
const needsDatabase = (file) => !file.includes(`test${'/'}unit${'/'}`);

const backends = process.env.HOOKLINE_TEST_DB ? [process.env.HOOKLINE_TEST_DB] : ['sqlite', 'postgres'];
let failed = false;
for (const backend of backends) {
  const selected = backend === 'sqlite' ? files : files.filter(needsDatabase);
  if (selected.length === 0) continue;
  console.log(`\n# backend: ${backend} (${selected.length} files)`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...selected], {
    stdio: 'inherit',
    env: { ...process.env, HOOKLINE_TEST_DB: backend },
  });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
