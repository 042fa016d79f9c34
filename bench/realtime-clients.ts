// Subscriber clients of `BENCH_MODE=mixed npm run bench:realtime`, in a child process of their own
// (the driver forks BENCH_CLIENT_PROCS of them), so that receiving 10,000 WebSockets' messages does
// not share one event loop with the writer. Each holds its share of the subscribers (one graphql-ws
// client, i.e. one WebSocket, per subscriber) and records every message with the time it arrived,
// taken here on arrival: performance.timeOrigin + performance.now(), the same wall-clock based
// scale the driver's writer uses (one machine, one clock).
//
// IPC, driver → here: {type:'connect', specs, batch} → {type:'connected', opened, errors}
//                     {type:'count'} → {type:'count', receipts, errors}
//                     {type:'collect'} → {type:'receipts', subscribers: [{i, t: number[], k: string[], errors, completed}]}
//                     {type:'close'} → disposes every client, then {type:'closed'}
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface ClientSpec {
  /** Index of the subscriber in the driver's list. */
  i: number;
  url: string;
  token: string;
  kind: 'incident' | 'action' | 'banner';
  query: string;
  variables?: Record<string, unknown>;
}

interface Sub {
  spec: ClientSpec;
  client: Client;
  t: number[];
  k: string[];
  errors: string[];
  completed: boolean;
}

const now = () => performance.timeOrigin + performance.now();
const subs: Sub[] = [];
let receipts = 0;
let errors = 0;
const send = (msg: unknown) => process.send!(msg);

/** What identifies a receipt (the driver checks it against the event it expected). */
function keyOf(kind: ClientSpec['kind'], data: any): string {
  if (kind === 'incident') {
    const e = data?.incidentChanged;
    return `${e?.eventId ?? ''}|${e?.incident?.id ?? ''}|${e?.incident?.viewerCanUpdate ?? ''}`;
  }
  if (kind === 'action') {
    const a = data?.actionChanged;
    return `${a?.id ?? ''}|${a?.status ?? ''}|${a?.viewerCanPerform ?? ''}`;
  }
  const s = data?.managedResponseSummaryChanged;
  return `${s?.awaitingCustomerAction}/${s?.investigating}`;
}

function open(spec: ClientSpec): Promise<void> {
  const client = createClient({
    url: spec.url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${spec.token}` },
    lazy: true,
    retryAttempts: 0,
  });
  const sub: Sub = { spec, client, t: [], k: [], errors: [], completed: false };
  subs.push(sub);
  return new Promise<void>((resolve) => {
    const off = client.on('connected', () => {
      off();
      resolve();
    });
    client.subscribe(
      { query: spec.query, variables: spec.variables },
      {
        next: (v) => {
          const at = now();
          if (v.errors?.length) {
            sub.errors.push(String(v.errors[0]?.message));
            errors += 1;
            return;
          }
          sub.t.push(at);
          sub.k.push(keyOf(spec.kind, v.data));
          receipts += 1;
        },
        error: (err) => {
          sub.errors.push(err instanceof Error ? err.message : JSON.stringify(err));
          errors += 1;
          resolve();
        },
        complete: () => {
          sub.completed = true;
        },
      },
    );
  });
}

process.on('message', async (msg: { type: string; specs?: ClientSpec[]; batch?: number }) => {
  if (msg.type === 'connect') {
    const specs = msg.specs!;
    const batch = Math.max(1, msg.batch ?? 250);
    for (let i = 0; i < specs.length; i += batch) await Promise.all(specs.slice(i, i + batch).map(open));
    send({ type: 'connected', opened: subs.length, errors });
  } else if (msg.type === 'count') {
    send({ type: 'count', receipts, errors });
  } else if (msg.type === 'collect') {
    send({ type: 'receipts', subscribers: subs.map((s) => ({ i: s.spec.i, t: s.t, k: s.k, errors: s.errors, completed: s.completed })) });
  } else if (msg.type === 'close') {
    await Promise.all(subs.map((s) => s.client.dispose()));
    send({ type: 'closed' });
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
