// Preloaded into a server child when BENCH_CPU_PROF=1 (node --import tsx --import ./bench/cpu-profile.ts):
// SIGUSR2 starts the V8 CPU profiler, the next SIGUSR2 stops it and writes
// $BENCH_PROF_DIR/<BENCH_PROF_NAME>-<n>.cpuprofile, so only the measured window is profiled
// (no start-up, no module loading, no warm-up).
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_PROF_DIR ?? 'bench/.results/prof';
const name = process.env.BENCH_PROF_NAME ?? `server-${process.pid}`;
const session = new Session();
session.connect();
let running = false;
let n = 0;

function post(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve((result ?? {}) as Record<string, unknown>))),
  );
}

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    void post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
      .then(() => post('Profiler.start'));
    return;
  }
  running = false;
  void post('Profiler.stop').then(({ profile }) => {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}-${++n}.cpuprofile`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(profile));
    fs.renameSync(`${file}.tmp`, file);
    process.stdout.write(`${JSON.stringify({ profile: file })}\n`);
  });
});
