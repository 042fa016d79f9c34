// The server of `npm run bench:realtime`, in its own process: what src/main.ts serves (buildServer
// with loadConfig + openDatabase) minus migrations and the demo seed, which the driver did.
// Talks to the driver over stdio: one JSON line {"ready":true,"port":N} when listening, then one
// JSON line per command read from stdin:
//   mem   → {"mem":{rss,heapUsed,heapTotal,external,arrayBuffers,vmRss}, hub, sockets} after a full GC
//   stats → {"hub":<open subscriptions>,"hubListeners":<shared hub listeners>,"sockets":<open WebSockets>}
//   heap <file> → writes a V8 heap snapshot to <file>, then {"heap":"<file>"}
//   exit  → stops the server and exits (so does the end of stdin: the driver went away)
// Run with --expose-gc so that `mem` measures live memory, not garbage.
// BENCH_V8_FLAGS (e.g. "--optimize-for-size"): V8 flags set at start, for memory experiments.
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { createLogger } from '../src/log';
import { buildServer } from '../src/server';

// one token drives the whole load: the per-token rate limit still runs, but so high it never refuses
const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '10000000', ...process.env, PORT: process.env.PORT ?? '0', HOST: '127.0.0.1', MDR_DEMO: '0' });
if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
const database = await openDatabase({ databaseUrl: config.databaseUrl, poolSize: config.databasePoolSize, prepare: config.databasePrepare });
const server = buildServer({ config, database, log: createLogger(config.logLevel) });
await server.start();
process.stdout.write(`${JSON.stringify({ ready: true, port: server.port })}\n`);

if (process.env.BENCH_V8_FLAGS) v8.setFlagsFromString(process.env.BENCH_V8_FLAGS);
const gc = (globalThis as { gc?: () => void }).gc;

function vmRssBytes(): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function memory() {
  // a few rounds: weak callbacks and finalizers free more on the second pass
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return {
    mem: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, vmRss: vmRssBytes() },
    gc: !!gc,
    hub: server.subscriptions,
    hubListeners: server.hub.size,
    sockets: server.wss.clients.size,
  };
}

let exiting = false;
async function exit() {
  if (exiting) return;
  exiting = true;
  const force = setTimeout(() => process.exit(0), 5_000);
  force.unref();
  try {
    await server.stop();
    await database.close();
  } finally {
    process.exit(0); // through process.exit, so that --cpu-prof writes its profile
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'mem') void memory().then((m) => process.stdout.write(`${JSON.stringify(m)}\n`));
  else if (cmd === 'stats') process.stdout.write(`${JSON.stringify({ hub: server.subscriptions, hubListeners: server.hub.size, sockets: server.wss.clients.size })}\n`);
  else if (cmd.startsWith('heap ')) {
    gc?.();
    const file = v8.writeHeapSnapshot(cmd.slice(5).trim());
    process.stdout.write(`${JSON.stringify({ heap: file })}\n`);
  } else if (cmd === 'exit') void exit();
});
process.stdin.on('end', () => void exit());
process.on('SIGTERM', () => void exit());
process.on('SIGINT', () => void exit());
