/**
 * `npm run migrate-db -- --from sqlite:./data/hookline.db --to postgres://…`
 *
 * Copies a stopped gateway's database into a new, empty one (see README "Moving from SQLite to
 * PostgreSQL"). Exit codes: 0 copied and verified, 1 refused or failed (nothing committed),
 * 2 bad usage.
 */
import { copyDatabase } from './store/migrate-db.ts';

const USAGE = `usage: npm run migrate-db -- --from <database url> --to <database url>

  --from   the stopped gateway's database, e.g. sqlite:./data/hookline.db
  --to     an empty database, e.g. postgres://hookline@db.internal:5432/hookline
           (its schema is created; any row already in it makes the copy refuse)

Stop the gateway on --from first (SIGTERM), and start it on --to only after the copy.`;

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at < 0) return undefined;
  return argv[at].includes('=') ? argv[at].slice(name.length + 1) : argv[at + 1];
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const from = option(argv, '--from');
  const to = option(argv, '--to');
  const unknown = argv.filter((a, i) => a.startsWith('-') && !/^--(from|to)(=|$)/.test(a) && !/^--(from|to)$/.test(argv[i - 1] ?? ''));
  if (!from || !to || unknown.length) {
    if (unknown.length) console.error(`migrate-db: unknown option ${unknown.join(' ')}`);
    console.error(USAGE);
    return 2;
  }
  for (const url of [from, to]) {
    if (!url.startsWith('sqlite:') && !/^postgres(ql)?:\/\//.test(url)) {
      console.error(`migrate-db: "${url}" is not a database URL (sqlite:<path> or postgres://…)`);
      return 2;
    }
  }
  try {
    await copyDatabase(from, to, { log: (line) => console.log(line) });
    console.log('done: start the gateway with DATABASE_URL set to the --to database');
    return 0;
  } catch (error) {
    console.error(`migrate-db: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
