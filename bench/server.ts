// The GraphQL server under test, in its own process: exactly what src/main.ts serves (buildServer
// with loadConfig + openDatabase), minus migrations and the demo seed (the driver did both).
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { createLogger } from '../src/log';
import { buildServer } from '../src/server';
import { queueFastPath } from '../src/graphql/queue-fast-path';
import { announce, exitWithParent } from './shared';

// QUEUE_FAST_PATH=0: the queue through the executor, for a variant beside the default
if (process.env.QUEUE_FAST_PATH === '0') queueFastPath.enabled = false;

// one token drives the whole load: the per-token rate limit still runs, but so high it never refuses
const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '10000000', ...process.env, PORT: process.env.PORT ?? '0', HOST: '127.0.0.1', MDR_DEMO: '0' });
if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
const database = await openDatabase({ databaseUrl: config.databaseUrl, poolSize: config.databasePoolSize, prepare: config.databasePrepare });
const server = buildServer({ config, database, log: createLogger(config.logLevel) });
await server.start();
announce(server.port, { production: config.production, logLevel: config.logLevel });
exitWithParent(async () => {
  await server.stop();
  await database.close();
});
