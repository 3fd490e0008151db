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
/**
 * Files the PostgreSQL pass leaves out, because what they test does not depend on the database
 * and the pass would only double their time (the suite must stay well under 15 minutes):
 * - the authentication matrix (every route × scheme × condition, ~5,800 requests): the policy
 *   table and the auth hook are the same code on both; credential storage on PostgreSQL is
 *   covered by e2e/auth-security, e2e/sdk-auth and the admin API tests, which do run there;
 * - the console in Chromium: it calls the APIs that http/console-api and e2e/live-events test
 *   on PostgreSQL.
 */
const SQLITE_ONLY = [`test${'/'}http${'/'}auth-matrix.test.ts`, `test${'/'}browser${'/'}`];
const needsDatabase = (file) => !file.includes(`test${'/'}unit${'/'}`) && !SQLITE_ONLY.some((path) => file.includes(path));

const backends = process.env.HOOKLINE_TEST_DB ? [process.env.HOOKLINE_TEST_DB] : ['sqlite', 'postgres'];
let failed = false;
for (const backend of backends) {
  const selected = backend === 'sqlite' ? files : files.filter(needsDatabase);
  const sqliteOnly = files.filter((f) => !f.includes(`test${'/'}unit${'/'}`) && !needsDatabase(f));
  if (backend !== 'sqlite' && sqliteOnly.length > 0) console.log(`\n# ${backend}: not run again here (SQLite only): ${sqliteOnly.join(', ')}`);
  if (selected.length === 0) continue;
  console.log(`\n# backend: ${backend} (${selected.length} files)`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...selected], {
    stdio: 'inherit',
    env: { ...process.env, HOOKLINE_TEST_DB: backend },
  });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
