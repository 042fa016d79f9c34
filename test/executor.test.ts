// The execution engine across crashes and processes (SPEC.md section 4): "a crash mid-action is
// recovered on the next start (no action stuck IN_PROGRESS forever, none executed twice), and
// every attempt is recorded"; "several server processes can run executors".
//
// A "process" here is one server with its own executor. On PostgreSQL every app opens its own
// connection pool on the shared database, as separate processes would; on PGlite (one in-memory
// database per test file) the apps share the one database object. A QUARANTINE_FILE card is the
// double-execution detector: quarantining the same file twice fails the second run
// (FILE_NOT_FOUND), so a card that ends COMPLETED was executed once.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FleetConnector, type ActionRequest, type ExecutionOutcome, type ResponseConnector } from '../src/connectors/edr';
import { applyEffect } from '../src/connectors/estate';
import type { Config } from '../src/config';
import type { Tx } from '../src/db/client';
import { backend, startApp, type StartAppOptions, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { incident, mutate, publishedWithOneClicks, summary, truePositive, waitFor } from './helpers/response';

const local = (gid: string) => decodeGlobalID(gid).id;

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const execution = (over: Partial<Config['execution']> = {}) =>
  ({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000, ...over } }) as Partial<Config>;

/** Root app: owns the database, serves the API, runs no executor. */
let root: TestApp;
const extra: TestApp[] = [];
/**
 * This file's tenants. Its executors claim only their work: on a shared PostgreSQL a process
 * that hangs or dies on purpose here must never take (and strand) another test file's actions.
 */
const mine = new Set<string>();

/** Another server process on the same database. */
async function process2(over: Partial<Config['execution']>, opts: StartAppOptions = {}) {
  const app = await startApp(execution(over), {
    ...opts,
    executor: { scope: () => [...mine], ...opts.executor },
    database: backend === 'pglite' ? root.database : undefined,
  });
  extra.push(app);
  return app;
}

async function tenant(opts: Parameters<typeof newTenant>[1]) {
  const t = await newTenant(root, opts);
  mine.add(t.tenant.id);
  return t;
}

beforeAll(async () => {
  root = await startApp(execution({ enabled: false }));
});
afterEach(async () => {
  // extra apps first: on PGlite they borrow the root's database
  while (extra.length) await extra.pop()!.close();
});
afterAll(async () => {
  await root?.close();
});

interface AttemptRow {
  id: string;
  state: string;
  claimed_by: string | null;
  number: number;
}
const attemptsOf = (cardGid: string) =>
  root.database.query<AttemptRow>('select id, state, claimed_by, number from action_attempts where action_id = $1 order by number', [local(cardGid)]);

/** A READER tenant's card performed by its operator: one QUEUED attempt, no executor running yet. */
async function queuedCard(kind: 'QUARANTINE_FILE' | 'ISOLATE_DEVICE' = 'QUARANTINE_FILE') {
  const t = await tenant({ serviceAccessLevel: 'READER' });
  const inc = await truePositive(root, t);
  const targetId = kind === 'QUARANTINE_FILE' ? inc.devices[0].files[0].id : inc.devices[0].id;
  const pub = await mutate(root, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind, targetId }] });
  expect(pub.data.publishManagedResponse.errors).toEqual([]);
  const card = pub.data.publishManagedResponse.incident.managedResponse.actions[0];
  const r = await mutate(root, t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { status }');
  expect(r.data.performAction.action.status).toBe('IN_PROGRESS');
  const [attempt] = await attemptsOf(card.id);
  expect(attempt.state).toBe('QUEUED');
  return { t, inc, card, attempt, fileId: local(inc.devices[0].files[0].id) };
}

async function activityFor(t: TenantFixture, incId: string) {
  const r = await root.gql<any, any>(
    `query($id: ID!) { node(id: $id) { ... on Incident { activity(first: 100) { nodes { field from to note } } } } }`,
    { id: incId },
    t.tokens.READER,
  );
  return r.data.node.activity.nodes as { field: string; from: string | null; to: string | null; note: string | null }[];
}

async function quarantined(fileId: string) {
  const [row] = await root.database.query<{ quarantined: boolean }>('select quarantined from device_files where id = $1', [fileId]);
  return row.quarantined;
}

/** The card, its attempts and the incident, once the incident settled. */
async function settled(t: TenantFixture, incId: string) {
  return waitFor(() => incident(root, t.tokens.READER, incId), (i) => i.managedResponse.actions[0].status === 'COMPLETED' && i.status === 'RESOLVED', 15_000);
}

describe('crash recovery', () => {
  it('an attempt claimed by an executor that died is taken over once its lease expires, and runs once', async () => {
    const { t, inc, card, attempt, fileId } = await queuedCard();
    // a process claimed it and died: RUNNING under a lease that is about to expire
    const dead = 'dead-host:4242:deadbeef';
    await root.database.query(`update action_attempts set state = 'RUNNING', claimed_by = $2, lease_until = now() + interval '700 milliseconds' where id = $1`, [
      attempt.id,
      dead,
    ]);
    const b = await process2({ leaseMs: 2_000 });
    // a live lease is respected...
    await new Promise((r) => setTimeout(r, 250));
    expect((await attemptsOf(card.id))[0]).toMatchObject({ state: 'RUNNING', claimed_by: dead });
    // ...an expired one is taken over
    const done = await settled(t, inc.id);
    const card1 = done.managedResponse.actions[0];
    expect(card1.attempts).toEqual([{ number: 1, side: 'CUSTOMER', state: 'COMPLETED', failureReason: null, connector: 'fleet' }]);
    expect(card1.target.quarantined).toBe(true);
    expect(await quarantined(fileId)).toBe(true);
    const rows = await attemptsOf(card.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].claimed_by).not.toBe(dead);
    if (backend === 'pglite') expect(rows[0].claimed_by).toBe(b.server.executor.id);
    const completions = (await activityFor(t, inc.id)).filter((a) => a.field === 'ACTION' && a.to === 'COMPLETED');
    expect(completions).toHaveLength(1);
  });

  it('a process that hangs mid-action and dies: the next process completes the action once; the zombie\'s late result is ignored', async () => {
    const { t, inc, card, fileId } = await queuedCard();
    const claimed = deferred<ActionRequest>();
    const release = deferred<ExecutionOutcome>();
    // a remote connector that never answers: the executor holds no transaction while it waits
    const hanging: ResponseConnector = {
      name: 'hanging',
      remote: true,
      execute: async (_tx, req) => {
        claimed.resolve(req);
        return release.promise;
      },
    };
    const a = await process2({ leaseMs: 500 }, { executor: { connectorFor: () => hanging } });
    const req = await claimed.promise;
    expect(req.attemptId).toBe((await attemptsOf(card.id))[0].id);
    expect((await attemptsOf(card.id))[0]).toMatchObject({ state: 'RUNNING', claimed_by: a.server.executor.id });
    // the process "crashes": it stops serving; its executor never finishes the action
    await new Promise<void>((r) => {
      a.server.http.close(() => r());
      a.server.http.closeAllConnections();
    });

    // the next start: a normal executor recovers the action after the lease
    const b = await process2({ leaseMs: 2_000 });
    const done = await settled(t, inc.id);
    expect(done.managedResponse.actions[0].attempts).toEqual([{ number: 1, side: 'CUSTOMER', state: 'COMPLETED', failureReason: null, connector: 'fleet' }]);
    expect(await quarantined(fileId)).toBe(true);
    const [row] = await attemptsOf(card.id);
    expect(row.claimed_by).not.toBe(a.server.executor.id);
    if (backend === 'pglite') expect(row.claimed_by).toBe(b.server.executor.id);

    // the zombie wakes up and reports a failure: ignored, it no longer holds the attempt
    release.resolve({ kind: 'failed', reason: 'zombie result' });
    await a.server.executor.stop();
    const after = await incident(root, t.tokens.READER, inc.id);
    expect(after.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', failureReason: null });
    expect(after.status).toBe('RESOLVED');
    expect(await attemptsOf(card.id)).toHaveLength(1);
    // (one card on this incident: every 'action' entry is about it)
    const entries = (await activityFor(t, inc.id)).filter((e) => e.field === 'ACTION');
    expect(entries.map((e) => e.to)).toEqual(expect.arrayContaining(['IN_PROGRESS', 'COMPLETED']));
    expect(entries.filter((e) => e.to === 'COMPLETED' || e.to === 'FAILED')).toHaveLength(1);
  });

  // Postgres only: PGlite is one in-process connection, there is no database session to kill
  // (and a transaction left hanging on it would block every other query of the file).
  it.skipIf(backend !== 'postgres')(
    'a process killed inside the execution transaction (effect written, not committed): rolled back, redone once by the next process',
    async () => {
      const { t, inc, card, fileId } = await queuedCard();
      const inside = deferred<number>();
      const dies: ResponseConnector = {
        name: 'dies-mid-transaction',
        remote: false,
        execute: async (tx: Tx, req) => {
          const [{ pid }] = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as { pid: number }[];
          await applyEffect(tx, req); // written inside the transaction, not committed
          inside.resolve(pid);
          return new Promise<ExecutionOutcome>(() => {}); // never returns
        },
      };
      const a = await process2({ leaseMs: 500 }, { executor: { connectorFor: () => dies } });
      extra.splice(extra.indexOf(a), 1); // a dead process is not shut down cleanly
      const pid = await inside.promise;
      expect(await quarantined(fileId)).toBe(false); // uncommitted
      // the process dies: its database session goes away, the transaction rolls back. (Its
      // executor stays parked forever: a dead process never resumes, and resuming a transaction
      // on a terminated postgres.js connection crashes the driver.)
      await root.database.query('select pg_terminate_backend($1)', [pid]);
      void a.server.executor.stop();
      await new Promise<void>((r) => {
        a.server.http.close(() => r());
        a.server.http.closeAllConnections();
      });
      await a.database.close({ timeoutMs: 0 }); // a dead process's connections go at once

      await process2({ leaseMs: 2_000 });
      const done = await settled(t, inc.id);
      expect(done.managedResponse.actions[0].attempts).toEqual([{ number: 1, side: 'CUSTOMER', state: 'COMPLETED', failureReason: null, connector: 'fleet' }]);
      expect(await quarantined(fileId)).toBe(true);
      const [row] = await attemptsOf(card.id);
      expect(row.claimed_by).not.toBe(a.server.executor.id);
      expect(await attemptsOf(card.id)).toHaveLength(1);
    },
  );

  it('a stopped executor leaves queued work for the next start: nothing is lost while no executor runs', async () => {
    const { t, inc, card } = await queuedCard('ISOLATE_DEVICE');
    await new Promise((r) => setTimeout(r, 200));
    expect((await attemptsOf(card.id))[0].state).toBe('QUEUED');
    expect((await incident(root, t.tokens.READER, inc.id)).managedResponse.actions[0].status).toBe('IN_PROGRESS');
    await process2({});
    const done = await settled(t, inc.id);
    expect(done.managedResponse.actions[0].target.isolated).toBe(true);
    expect(await attemptsOf(card.id)).toHaveLength(1);
  });
});

describe('several processes running executors', () => {
  it('two executors on one database with many queued cards: every card executed exactly once', async () => {
    const t = await tenant({ serviceAccessLevel: 'OPERATOR' });
    const executions = new Map<string, number>();
    const fleet = new FleetConnector();
    const counting = (): ResponseConnector => ({
      name: 'fleet',
      remote: false,
      execute: async (tx, req) => {
        executions.set(req.attemptId, (executions.get(req.attemptId) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5)); // widen the window for a double claim
        return fleet.execute(tx, req);
      },
    });
    // both executors idle while the work is queued, then started together
    const a = await process2({ enabled: false }, { executor: { connectorFor: () => counting() } });
    const b = await process2({ enabled: false }, { executor: { connectorFor: () => counting() } });

    const incidents: string[] = [];
    for (let i = 0; i < 10; i++) incidents.push(await publishedWithOneClicks(root, t));
    const cardIds = (
      await root.database.query<{ id: string }>('select id from action_cards where tenant_id = $1', [t.tenant.id])
    ).map((r) => r.id);
    expect(cardIds).toHaveLength(30);
    const queued = await root.database.query<{ n: number }>(`select count(*)::int as n from action_attempts where tenant_id = $1 and state = 'QUEUED'`, [t.tenant.id]);
    expect(Number(queued[0].n)).toBe(30);

    a.server.executor.start();
    b.server.executor.start();
    await waitFor(
      () => root.database.query<{ n: number }>(`select count(*)::int as n from action_cards where tenant_id = $1 and status = 'COMPLETED'`, [t.tenant.id]),
      (r) => Number(r[0].n) === 30,
      30_000,
    );
    const attempts = await root.database.query<AttemptRow & { action_id: string }>(
      'select id, action_id, state, claimed_by, number from action_attempts where tenant_id = $1',
      [t.tenant.id],
    );
    expect(attempts).toHaveLength(30);
    expect(new Set(attempts.map((x) => x.action_id)).size).toBe(30);
    for (const x of attempts) expect(x).toMatchObject({ state: 'COMPLETED', number: 1 });
    // each attempt went through a connector exactly once (none executed twice)
    for (const x of attempts) expect(executions.get(x.id) ?? 0, x.id).toBeLessThanOrEqual(1);
    // on PGlite only these two executors exist: each attempt went through one of them, once
    // (on a shared Postgres, other test files' executors may take some of the work)
    if (backend === 'pglite') {
      for (const x of attempts) expect(executions.get(x.id), x.id).toBe(1);
      const byExecutor = new Set(attempts.map((x) => x.claimed_by));
      expect([...byExecutor].every((id) => id === a.server.executor.id || id === b.server.executor.id)).toBe(true);
    }
    for (const id of incidents) {
      const i = await incident(root, t.tokens.READER, id);
      expect(i.status).toBe('RESOLVED');
      expect(i.managedResponse.actions.map((c: any) => c.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      expect(i.managedResponse.actions[0].target).toMatchObject({ isolated: true, appExecutionRestricted: true });
      expect(i.managedResponse.actions[2].target.quarantined).toBe(true);
      const completions = (await activityFor(t, id)).filter((e) => e.field === 'ACTION' && e.to === 'COMPLETED');
      expect(completions).toHaveLength(3);
    }
  });
});
