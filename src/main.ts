/** Process entry: parse config, build Hookline, listen, and shut down cleanly on signals. */
import pino from 'pino';
import { createHookline } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';

/** Database URLs may carry a password; logs must not. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel });
  const hookline = await createHookline(config, { logger });
  // Printed once, plainly, so a first-time user (or a script) can pick it up from stdout.
  if (hookline.generatedApiKey) process.stdout.write(`Hookline API key: ${hookline.generatedApiKey}\n`);
  if (hookline.generatedAdmin) process.stdout.write(`Hookline admin: ${hookline.generatedAdmin.username} ${hookline.generatedAdmin.password}\n`);
  const address = await hookline.start();
  logger.info({ role: config.role, address: address || undefined, database: redact(config.databaseUrl) }, 'Hookline is running');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    hookline.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
