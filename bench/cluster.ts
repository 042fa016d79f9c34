// The GraphQL server (bench/server.ts, or CLUSTER_SCRIPT) in CLUSTER_WORKERS processes sharing one
// port through node:cluster: what running one server per core would give on this machine.
import cluster from 'node:cluster';
import { createInterface } from 'node:readline';
import { exitWithParent } from './shared';

const workers = Number(process.env.CLUSTER_WORKERS ?? 2);
cluster.setupPrimary({ exec: process.env.CLUSTER_SCRIPT ?? 'bench/server.ts', silent: true });
let announced = false;
let ready = 0;
for (let i = 0; i < workers; i++) {
  const worker = cluster.fork();
  createInterface({ input: worker.process.stdout! }).on('line', (line) => {
    // announce once every worker listens (they share the port)
    if (line.includes('"ready"') && ++ready === workers && !announced) {
      announced = true;
      process.stdout.write(`${line}\n`);
    } else if (!line.includes('"ready"')) process.stdout.write(`${line}\n`);
  });
  worker.process.stderr!.pipe(process.stderr);
}
exitWithParent(async () => {
  for (const w of Object.values(cluster.workers ?? {})) w?.disconnect();
  await new Promise((r) => setTimeout(r, 500));
});
