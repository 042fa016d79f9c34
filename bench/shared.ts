// Pieces shared by the benchmark driver and its child processes.
import cluster from 'node:cluster';
import { createInterface } from 'node:readline';

export const QUEUE_QUERY =
  'query Q { incidents(first: 50) { nodes { id number title severity status updatedAt alerts(first: 3) { nodes { id title severity } } devices { id name healthStatus } } } }';

export const QUEUE_BODY = JSON.stringify({ query: QUEUE_QUERY, operationName: 'Q' });

/**
 * For child processes: exit when the parent goes away (its end of our stdin closes) or asks us
 * to (SIGTERM/SIGINT), after `cleanup`. Exiting through process.exit lets --cpu-prof write.
 */
export function exitWithParent(cleanup: () => Promise<void>): void {
  let exiting = false;
  if (cluster.isWorker) {
    // a worker of bench/cluster.ts: the primary owns stdin and tells us through IPC
    const exit = () => {
      if (exiting) return;
      exiting = true;
      setTimeout(() => process.exit(0), 3_000).unref();
      cleanup()
        .catch(() => {})
        .finally(() => process.exit(0));
    };
    process.on('disconnect', exit);
    process.on('SIGTERM', exit);
    return;
  }
  const exit = () => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(0), 3_000);
    force.unref();
    cleanup()
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.stdin.on('end', exit);
  process.stdin.on('error', exit);
  process.stdin.resume();
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  // stdin lines are commands from the parent; "exit" is the only one.
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'exit') exit();
  });
}

/** Tell the parent we listen on `port` (one JSON line on stdout). */
export function announce(port: number, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ready: true, port, ...extra })}\n`);
}
