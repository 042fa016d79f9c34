// The shapes bench/realtime.ts and its mixed mode (bench/realtime-mixed.ts) exchange: here, so
// that the mixed mode needs nothing else from the driver that loads it.
import type { ChildProcess } from 'node:child_process';

export interface ServerChild {
  proc: ChildProcess;
  url: string;
  ask<T>(cmd: string): Promise<T>;
  cpuMs(): number | null;
}

export interface Mem {
  mem: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; vmRss: number | null };
  gc: boolean;
  hub: number;
  sockets: number;
}

export interface Round {
  subscribers: number;
  events: number;
  connectMs: number;
  receipts: number;
  missing: number;
  outOfOrder: number;
  errors: number;
  latencyFromSendMs: { p50: number; p90: number; p99: number; max: number };
  latencyFromResponseMs: { p50: number; p90: number; p99: number; max: number };
  /** Time until the last subscriber had a change, per change (the fan-out's length). */
  lastReceiptMs: { p50: number; p99: number };
  mutationMs: { p50: number; p99: number };
  memory: { before: Mem; idle: Mem; after: Mem; rssPerSubscriberBytes: number; heapPerSubscriberBytes: number; heapExternalPerSubscriberBytes: number };
  serverCpuMsPerChange: number | null;
  serverCpuUsPerDelivery: number | null;
  clientCpuMsPerChange: number;
}
