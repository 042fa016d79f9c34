// Entry point: read config, open the database (Postgres or embedded), migrate, seed the demo,
// serve, and stop cleanly on SIGINT/SIGTERM.
//
// With WORKERS=N (N > 1, real PostgreSQL only) this process is the primary of a node:cluster: it
// migrates and seeds once, then starts N server processes that share the port, replaces one that
// dies, and stops them all on SIGINT/SIGTERM. The workers are the same server as the single
// process; everything they share goes through the database (and Redis, if set), as it does for
// instances on several machines.
import cluster, { type Worker } from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config';
import { openDatabase, type Database } from './db/client';
import { loadSnapshot } from './db/snapshot';
import { seedDemo } from './demo/seed';
import { backfillSla } from './domain/sla';
import { createLogger, type Logger } from './log';
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

type Demo = Awaited<ReturnType<typeof seedDemo>>;

const open = (config: Config) =>
  openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    prepare: config.databasePrepare,
    // a new embedded DATA_DIR starts from the migrated snapshot npm start's prestart made, if any
    snapshot: loadSnapshot,
  });

/** Migrations and the demo seed: once per start, before anything serves. */
async function prepare(config: Config, log: Logger, database: Database): Promise<Demo | null> {
  const t0 = performance.now();
  await database.migrate();
  const migratedMs = Math.round(performance.now() - t0);
  await backfillSla(database); // SLA rollup rows for incidents from before it existed (src/domain/sla.ts)
  log.info({ database: database.kind, migrateMs: migratedMs, backfillMs: Math.round(performance.now() - t0) - migratedMs }, 'database ready');
  if (!config.demo) return null;
  const t1 = performance.now();
  const demo = await seedDemo(database, { dataDir: config.dataDir, providerName: config.providerName });
  log.info({ seeded: demo.seeded, ms: Math.round(performance.now() - t1) }, 'demo data ready');
  return demo;
}

/** The banner is for people at a terminal: plain text on stdout (logs are JSON lines). */
function banner(config: Config, kind: Database['kind'], url: string, demo: Demo | null) {
  const lines = [
    '',
    `  MDR incident service on ${kind === 'pglite' ? `embedded PostgreSQL (${config.dataDir})` : 'PostgreSQL'}${config.workers > 1 ? `, ${config.workers} worker processes` : ''}`,
    `  Playground: ${url}`,
    config.notifications.smtpUrl
      ? `  Notification mail: SMTP ${new URL(config.notifications.smtpUrl).host}`
      : `  Notification mail: no SMTP_URL set, so each mail is written as an .eml file in ${config.notifications.mailDir}`,
  ];
  if (demo) {
    lines.push(`  Demo tokens (${demo.seeded ? 'new demo data' : 'existing demo data'}; also in ${demo.tokensFile}):`);
    for (const [who, roles] of Object.entries(demo.tokens)) {
      for (const [role, token] of Object.entries(roles)) lines.push(`    ${who.padEnd(9)} ${role.padEnd(12)} ${token}`);
    }
    lines.push('  In the playground, open Headers and paste { "Authorization": "Bearer <token>" }');
  }
  process.stdout.write(lines.join('\n') + '\n\n');
}

/** One server process: the whole service (WORKERS=1), or one worker of the cluster. */
async function serve(config: Config, log: Logger) {
  const opening = performance.now();
  const database = await open(config);
  log.debug({ database: database.kind, ms: Math.round(performance.now() - opening), sinceProcessStartMs: Math.round(performance.now()) }, 'database opened');
  const demo = cluster.isWorker ? null : await prepare(config, log, database);
  const server = buildServer({ config, database, log });
  await server.start();
  if (cluster.isWorker) {
    log.info({ url: server.url, pid: process.pid }, 'worker listening');
    process.send?.({ type: 'listening', url: server.url });
  } else {
    log.info({ url: server.url, database: database.kind }, 'listening');
    banner(config, database.kind, server.url, demo);
  }

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

/** The cluster's primary: prepares the database, runs the workers, and stops them. */
async function primary(config: Config, log: Logger) {
  const database = await open({ ...config, databasePoolSize: 2 });
  let demo: Demo | null;
  try {
    demo = await prepare(config, log, database);
  } finally {
    await database.close();
  }
  if (startupAborted) process.exit(0);

  let stopping = false;
  let announced = false;
  const restarts: number[] = [];
  const listening = new Set<Worker>();
  const start = () => {
    const worker = cluster.fork();
    worker.on('message', (message: { type?: string; url?: string }) => {
      if (message?.type !== 'listening' || !message.url) return;
      listening.add(worker);
      if (!announced && listening.size === config.workers) {
        announced = true;
        log.info({ url: message.url, database: 'postgres', workers: config.workers }, 'listening');
        banner(config, 'postgres', message.url, demo);
      }
    });
    worker.on('exit', (code, signal) => {
      listening.delete(worker);
      if (stopping) return;
      // a worker that dies is replaced; one that keeps dying stops the service (it would only
      // keep failing: a bad configuration, an unreachable database)
      const now = Date.now();
      restarts.push(now);
      while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
      if (!announced || restarts.length > config.workers * 3) {
        log.error({ pid: worker.process.pid, code, signal }, 'worker exited; stopping the service');
        void stop(1);
        return;
      }
      log.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting another');
      start();
    });
  };

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, 15_000);
    force.unref();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
    process.exit(code);
  };
  shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await stop(0);
  };

  for (let i = 0; i < config.workers; i++) start();
}

async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (config.databaseUrl && !config.secretsKey && cluster.isPrimary) {
    log.warn({ keyFile: `${config.dataDir}/secrets.key` }, 'SECRETS_KEY is not set: webhook secrets and connector credentials are encrypted with a key file on this machine; instances on other machines must share one SECRETS_KEY');
  }
  if (config.workers > 1 && cluster.isPrimary) await primary(config, log);
  else await serve(config, log);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
