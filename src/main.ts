// Entry point: read config, open the database (Postgres or embedded), migrate, seed the demo,
// serve, and stop cleanly on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/client';
import { seedDemo } from './db/seed';
import { createLogger } from './log';
import { buildServer } from './server';

let shutdown: ((signal: string) => Promise<void>) | null = null;
let startupAborted = false;
// Registered first, so that a signal during migration or seeding still stops cleanly.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (shutdown) void shutdown(signal);
    else startupAborted = true;
  });
}

async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize, prepare: config.databasePrepare });
  await database.migrate();
  log.info({ database: database.kind }, 'database ready');

  const server = buildServer({ config, database, log });
  let demo: Awaited<ReturnType<typeof seedDemo>> | null = null;
  if (config.demo) demo = await seedDemo(database, { dataDir: config.dataDir, providerName: config.providerName });
  await server.start();
  log.info({ url: server.url, database: database.kind }, 'listening');

  // The banner is for people at a terminal: plain text on stdout (logs are JSON lines).
  const lines = [
    '',
    `  MDR incident service on ${database.kind === 'pglite' ? `embedded PostgreSQL (${config.dataDir})` : 'PostgreSQL'}`,
    `  Playground: ${server.url}`,
  ];
  if (demo) {
    lines.push(`  Demo tokens (${demo.seeded ? 'new demo data' : 'existing demo data'}; also in ${demo.tokensFile}):`);
    for (const [who, roles] of Object.entries(demo.tokens)) {
      for (const [role, token] of Object.entries(roles)) lines.push(`    ${who.padEnd(9)} ${role.padEnd(12)} ${token}`);
    }
    lines.push('  In the playground, open Headers and paste { "Authorization": "Bearer <token>" }');
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  let stopping = false;
  shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    let code = 0;
    try {
      await server.stop();
    } catch (err) {
      log.error({ err }, 'stopping the server failed');
      code = 1;
    }
    try {
      await database.close();
    } catch (err) {
      log.error({ err }, 'closing the database failed');
      code = 1;
    }
    process.exit(code);
  };
  if (startupAborted) await shutdown('SIGTERM');
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
