// The HTTP EDR connector end to end (SPEC.md section 4: "other connectors (an HTTP EDR with result
// callbacks) plug in behind the same interface"). A local HTTP server plays the remote EDR: it
// checks the request signature, de-duplicates on the idempotency key (the attempt id), and
// reports the result to /connectors/edr/callback with a signed JSON body.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FleetConnector, HttpEdrConnector, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature, type ExecutionOutcome, type ResponseConnector } from '../src/connectors/edr';
import type { Config } from '../src/config';
import { backend, startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { incident, mutate, summary, truePositive, waitFor } from './helpers/response';

const local = (gid: string) => decodeGlobalID(gid).id;

interface EdrRequest {
  idempotencyKey: string | undefined;
  signatureValid: boolean;
  body: { attemptId: string; actionId: string; kind: string; device: { id: string; name: string }; file: unknown; callbackUrl: string };
}

type Mode = 'complete' | 'fail' | 'hold';

/** The remote EDR. */
class FakeEdr {
  readonly requests: EdrRequest[] = [];
  /** Idempotency keys it has executed (each once). */
  readonly executed = new Map<string, EdrRequest['body']>();
  readonly callbacks: { attemptId: string; status: number; body: unknown }[] = [];
  mode: Mode = 'complete';
  port = 0;
  private server: Server | null = null;

  constructor(readonly secret: string) {}

  get url() {
    return `http://127.0.0.1:${this.port}/actions`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const ts = req.headers[TIMESTAMP_HEADER] as string | undefined;
    const sig = req.headers[SIGNATURE_HEADER] as string | undefined;
    const signatureValid = verifySignature(this.secret, ts ?? null, raw, sig ?? null);
    const body = JSON.parse(raw) as EdrRequest['body'];
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({ idempotencyKey, signatureValid, body });
    if (!signatureValid) return res.writeHead(401).end('{"error":"bad signature"}');
    if (idempotencyKey && this.executed.has(idempotencyKey)) {
      // a retried request: acknowledged again, not executed again
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"already accepted"}');
    }
    this.executed.set(idempotencyKey ?? body.attemptId, body);
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    if (this.mode === 'complete') setTimeout(() => void this.report(body.attemptId, 'COMPLETED'), 20);
    if (this.mode === 'fail') setTimeout(() => void this.report(body.attemptId, 'FAILED', 'device did not acknowledge the isolation command'), 20);
  }

  /** Report a result for an attempt it executed, to the callback URL of its latest request. */
  async report(attemptId: string, status: 'COMPLETED' | 'FAILED', reason?: string) {
    const callbackUrl = [...this.requests].reverse().find((r) => r.body.attemptId === attemptId)!.body.callbackUrl;
    const r = await callback(callbackUrl, this.secret, { attemptId, status, reason });
    this.callbacks.push({ attemptId, ...r });
    return r;
  }
}

/** POST a (signed) callback the way an EDR does. */
async function callback(
  url: string,
  secret: string,
  body: object,
  opts: { signature?: string | null; timestamp?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const raw = JSON.stringify(body);
  const timestamp = opts.timestamp ?? String(Date.now());
  const headers: Record<string, string> = { 'content-type': 'application/json', [TIMESTAMP_HEADER]: timestamp };
  const signature = opts.signature === undefined ? `sha256=${sign(secret, timestamp, raw)}` : opts.signature;
  if (signature !== null) headers[SIGNATURE_HEADER] = signature;
  const res = await fetch(url, { method: 'POST', headers, body: raw });
  return { status: res.status, body: await res.json().catch(() => null) };
}

let app: TestApp;
const edrs: FakeEdr[] = [];
const extraApps: TestApp[] = [];
const execution = (over: Partial<Config['execution']> = {}) =>
  ({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000, ...over } }) as Partial<Config>;

beforeAll(async () => {
  app = await startApp(execution(), { executor: { retryDelayMs: 100 } });
});
afterEach(async () => {
  while (extraApps.length) await extraApps.pop()!.close();
  while (edrs.length) await edrs.pop()!.stop();
  app.server.executor.start(); // (a test may have paused it)
});
afterAll(async () => {
  await app?.close();
});

const callbackUrl = () => `http://127.0.0.1:${app.server.port}/connectors/edr/callback`;

/** A READER tenant whose response actions go to a remote EDR (configured in SQL: no API for it yet). */
async function edrTenant(mode: Mode = 'complete') {
  const t = await newTenant(app, { serviceAccessLevel: 'READER' });
  const edr = new FakeEdr(`secret-${Math.random().toString(36).slice(2)}`);
  edrs.push(edr);
  edr.mode = mode;
  await edr.start();
  await setEndpoint(t, edr);
  return { t, edr };
}

async function setEndpoint(t: TenantFixture, edr: FakeEdr) {
  await app.database.query('update tenants set edr_endpoint = $1, edr_secret = $2 where id = $3', [edr.url, edr.secret, t.tenant.id]);
}

/** A pending ISOLATE_DEVICE card of a new true-positive incident. */
async function pendingCard(t: TenantFixture) {
  const inc = await truePositive(app, t);
  const pub = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc.id,
    summary,
    actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }],
  });
  expect(pub.data.publishManagedResponse.errors).toEqual([]);
  return { inc, card: pub.data.publishManagedResponse.incident.managedResponse.actions[0] };
}

async function perform(t: TenantFixture, cardId: string) {
  const r = await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: cardId }, 'action { status }');
  expect(r.data.performAction.errors).toEqual([]);
  expect(r.data.performAction.action.status).toBe('IN_PROGRESS');
}

const attemptRows = (cardGid: string) =>
  app.database.query<{ id: string; state: string; claimed_by: string | null; connector: string }>(
    'select id, state, claimed_by, connector from action_attempts where action_id = $1 order by number',
    [local(cardGid)],
  );

async function activityCount(incId: string) {
  const [r] = await app.database.query<{ n: number }>('select count(*)::int as n from activity where incident_id = $1', [local(incId)]);
  return Number(r.n);
}

describe('HTTP EDR connector', () => {
  it('sends a signed request with the attempt id as idempotency key; a COMPLETED report completes the card and isolates the device', async () => {
    const { t, edr } = await edrTenant('complete');
    const { inc, card } = await pendingCard(t);
    await perform(t, card.id);
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED' && i.managedResponse.actions[0].status === 'COMPLETED');
    const c = done.managedResponse.actions[0];
    expect(c.target.isolated).toBe(true);
    expect(c.attempts).toEqual([{ number: 1, side: 'CUSTOMER', state: 'COMPLETED', failureReason: null, connector: 'http-edr' }]);

    const [attempt] = await attemptRows(card.id);
    expect(edr.requests).toHaveLength(1);
    const [req] = edr.requests;
    expect(req.signatureValid).toBe(true);
    expect(req.idempotencyKey).toBe(attempt.id);
    expect(req.body).toMatchObject({
      attemptId: attempt.id,
      actionId: local(card.id),
      kind: 'ISOLATE_DEVICE',
      device: { id: local(inc.devices[0].id), name: inc.devices[0].name },
      file: null,
      callbackUrl: callbackUrl(),
    });
    expect(edr.callbacks).toEqual([{ attemptId: attempt.id, status: 200, body: { status: 'recorded' } }]);
    // the fleet's view reflects what the EDR did
    const [device] = await app.database.query<{ isolated: boolean }>('select isolated from devices where id = $1', [local(inc.devices[0].id)]);
    expect(device.isolated).toBe(true);
  });

  it('a FAILED report fails the card with the EDR\'s reason; the incident waits for the customer', async () => {
    const { t } = await edrTenant('fail');
    const { inc, card } = await pendingCard(t);
    await perform(t, card.id);
    const failed = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.managedResponse.actions[0].status === 'FAILED');
    const c = failed.managedResponse.actions[0];
    expect(c.failureReason).toBe('EDR_FAILED: device did not acknowledge the isolation command');
    expect(c.section).toBe('PENDING');
    expect(c.target.isolated).toBe(false);
    expect(c.attempts).toEqual([{ number: 1, side: 'CUSTOMER', state: 'FAILED', failureReason: 'EDR_FAILED: device did not acknowledge the isolation command', connector: 'http-edr' }]);
    expect(failed.status).toBe('AWAITING_CUSTOMER_ACTION');
  });

  it('a rejected request (4xx) fails the card at once with EDR_REJECTED', async () => {
    const { t, edr } = await edrTenant('complete');
    // the EDR does not know our secret any more: it rejects the signature
    await app.database.query('update tenants set edr_secret = $1 where id = $2', ['rotated-on-our-side', t.tenant.id]);
    const { inc, card } = await pendingCard(t);
    await perform(t, card.id);
    const failed = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.managedResponse.actions[0].status === 'FAILED');
    expect(failed.managedResponse.actions[0].failureReason).toMatch(/^EDR_REJECTED: .*401/);
    expect(edr.requests.map((r) => r.signatureValid)).toEqual([false]);
    expect(edr.executed.size).toBe(0);
  });

  it('callbacks: a bad signature is 401 with nothing changed; a duplicate is acknowledged without a second effect', async () => {
    const { t, edr } = await edrTenant('hold');
    const { inc, card } = await pendingCard(t);
    await perform(t, card.id);
    await waitFor(() => attemptRows(card.id), (rows) => rows[0]?.state === 'SENT');
    const [attempt] = await attemptRows(card.id);
    const before = await incident(app, t.tokens.READER, inc.id);
    const activityBefore = await activityCount(inc.id);
    const other = await edrTenant('hold'); // another tenant's EDR secret

    const bad: [string, Promise<{ status: number; body: unknown }>][] = [
      ['wrong secret', callback(callbackUrl(), 'not-the-secret', { attemptId: attempt.id, status: 'COMPLETED' })],
      ['another tenant\'s secret', callback(callbackUrl(), other.edr.secret, { attemptId: attempt.id, status: 'COMPLETED' })],
      ['no signature', callback(callbackUrl(), edr.secret, { attemptId: attempt.id, status: 'COMPLETED' }, { signature: null })],
      ['garbage signature', callback(callbackUrl(), edr.secret, { attemptId: attempt.id, status: 'COMPLETED' }, { signature: 'sha256=zz' })],
      ['stale timestamp', callback(callbackUrl(), edr.secret, { attemptId: attempt.id, status: 'COMPLETED' }, { timestamp: String(Date.now() - 3_600_000) })],
      ['unknown attempt', callback(callbackUrl(), edr.secret, { attemptId: '00000000-0000-4000-8000-000000000000', status: 'COMPLETED' })],
    ];
    for (const [why, p] of bad) expect((await p).status, why).toBe(401);
    // a body signed for one result cannot be replayed with another
    const ts = String(Date.now());
    const signedFor = JSON.stringify({ attemptId: attempt.id, status: 'FAILED', reason: 'x' });
    const tampered = await fetch(callbackUrl(), {
      method: 'POST',
      headers: { [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: sign(edr.secret, ts, signedFor) },
      body: JSON.stringify({ attemptId: attempt.id, status: 'COMPLETED' }),
    });
    expect(tampered.status).toBe(401);
    // malformed bodies are 400
    expect((await fetch(callbackUrl(), { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await callback(callbackUrl(), edr.secret, { attemptId: attempt.id, status: 'DONE' })).status).toBe(400);

    expect(await incident(app, t.tokens.READER, inc.id)).toEqual(before);
    expect(await activityCount(inc.id)).toBe(activityBefore);
    expect((await attemptRows(card.id))[0].state).toBe('SENT');
    const [dev] = await app.database.query<{ isolated: boolean }>('select isolated from devices where id = $1', [local(inc.devices[0].id)]);
    expect(dev.isolated).toBe(false);

    // the genuine report
    expect(await edr.report(attempt.id, 'COMPLETED')).toEqual({ status: 200, body: { status: 'recorded' } });
    const done = await incident(app, t.tokens.READER, inc.id);
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', target: { isolated: true } });
    expect(done.status).toBe('RESOLVED');
    const afterFirst = await activityCount(inc.id);

    // the EDR retries its callback, or reports a contradicting result later: acknowledged, ignored
    expect(await edr.report(attempt.id, 'COMPLETED')).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect(await edr.report(attempt.id, 'FAILED', 'late')).toEqual({ status: 200, body: { status: 'duplicate' } });
    const again = await incident(app, t.tokens.READER, inc.id);
    expect(again).toEqual(done);
    expect(again.managedResponse.actions[0].attempts).toHaveLength(1);
    expect(await activityCount(inc.id)).toBe(afterFirst);
  });

  it('the EDR down (connection refused): the attempt retries and completes once the EDR is back', async () => {
    const { t, edr } = await edrTenant('complete');
    const port = edr.port;
    await edr.stop(); // nothing listens there now
    const { inc, card } = await pendingCard(t);
    await perform(t, card.id);
    // it was tried, failed to connect, and went back to the queue for a retry
    await waitFor(
      () => app.database.query<{ state: string; lease_until: Date | null }>('select state, lease_until from action_attempts where action_id = $1', [local(card.id)]),
      (rows) => rows[0]?.state === 'QUEUED' && rows[0].lease_until !== null,
    );
    // and was retried (after a longer delay), failing to connect again
    await waitFor(
      () => app.database.query<{ retries: number }>('select retries from action_attempts where action_id = $1', [local(card.id)]),
      (rows) => Number(rows[0]?.retries) >= 2,
    );
    const waiting = await incident(app, t.tokens.READER, inc.id);
    expect(waiting.managedResponse.actions[0]).toMatchObject({ status: 'IN_PROGRESS', failureReason: null });
    expect(waiting.managedResponse.actions[0].attempts).toHaveLength(1);

    await edr.start(port);
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED', 15_000);
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', target: { isolated: true } });
    expect(done.managedResponse.actions[0].attempts).toEqual([{ number: 1, side: 'CUSTOMER', state: 'COMPLETED', failureReason: null, connector: 'http-edr' }]);
    expect(edr.executed.size).toBe(1);
    expect(edr.callbacks).toHaveLength(1);
  });
});

describe('HTTP EDR connector across a crash', () => {
  /**
   * A second server process whose executor POSTs to the EDR and then hangs before recording
   * SENT: the crash window between the request and its bookkeeping. The test app's own executor
   * is paused until that process has claimed the attempt.
   */
  async function crashingProcess(edr: FakeEdr) {
    const posted = { attemptId: '' };
    const release: { fn: (o: ExecutionOutcome) => void } = { fn: () => {} };
    let sent!: () => void;
    const sentOnce = new Promise<void>((r) => (sent = r));
    const crashesAfterPost = (tenant: { edrEndpoint: string | null; edrSecret: string | null }): ResponseConnector => ({
      name: 'http-edr',
      remote: true,
      execute: async (tx, req) => {
        const real = new HttpEdrConnector(tenant.edrEndpoint!, tenant.edrSecret!, callbackUrl());
        const outcome = await real.execute(tx, req);
        if (outcome.kind !== 'sent') throw new Error(`expected the EDR to accept, got ${JSON.stringify(outcome)}`);
        posted.attemptId = req.attemptId;
        sent();
        return new Promise<ExecutionOutcome>((r) => (release.fn = r)); // "crashes" before recording it
      },
    });
    const a = await startApp(execution({ leaseMs: 500 }), {
      // (on a shared Postgres this process may meet other tests' work: only our EDR's actions crash)
      executor: { connectorFor: (tenant) => (tenant.edrEndpoint === edr.url ? crashesAfterPost(tenant) : new FleetConnector()) },
      database: backend === 'pglite' ? app.database : undefined,
    });
    extraApps.push(a);
    return { a, posted, release, sentOnce };
  }

  it('a crash between the POST and recording SENT: the next executor re-POSTs the same attempt id and the EDR executes once', async () => {
    const { t, edr } = await edrTenant('hold');
    const { inc, card } = await pendingCard(t);
    await app.server.executor.stop();
    const { a, posted, release, sentOnce } = await crashingProcess(edr);
    await perform(t, card.id);
    await sentOnce;
    const [attempt] = await attemptRows(card.id);
    expect(posted.attemptId).toBe(attempt.id);
    expect(attempt).toMatchObject({ state: 'RUNNING', claimed_by: a.server.executor.id });
    expect(edr.executed.size).toBe(1);

    // the process is gone; the surviving process takes the attempt over after the lease
    app.server.executor.start();
    await waitFor(() => attemptRows(card.id), (rows) => rows[0].state === 'SENT', 15_000);
    expect(edr.requests.map((r) => r.idempotencyKey)).toEqual([attempt.id, attempt.id]);
    expect(edr.requests.every((r) => r.signatureValid && r.body.attemptId === attempt.id)).toBe(true);
    expect(edr.executed.size).toBe(1); // the EDR executed it once

    expect(await edr.report(attempt.id, 'COMPLETED')).toEqual({ status: 200, body: { status: 'recorded' } });
    const done = await incident(app, t.tokens.READER, inc.id);
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', target: { isolated: true } });
    expect(done.managedResponse.actions[0].attempts).toHaveLength(1);
    expect(done.status).toBe('RESOLVED');

    // the zombie's late bookkeeping changes nothing
    release.fn({ kind: 'sent' });
    await a.server.executor.stop();
    expect((await attemptRows(card.id))[0].state).toBe('COMPLETED');
    expect(await incident(app, t.tokens.READER, inc.id)).toEqual(done);
  });

  it('the EDR reports before SENT was recorded: the result is accepted, the late SENT ignored', async () => {
    const { t, edr } = await edrTenant('hold');
    const { inc, card } = await pendingCard(t);
    await app.server.executor.stop();
    const { a, release, sentOnce } = await crashingProcess(edr);
    await perform(t, card.id);
    await sentOnce;
    const [attempt] = await attemptRows(card.id);
    expect(attempt.state).toBe('RUNNING');
    expect(await edr.report(attempt.id, 'COMPLETED')).toEqual({ status: 200, body: { status: 'recorded' } });
    release.fn({ kind: 'sent' });
    await a.server.executor.stop();
    app.server.executor.start();
    const done = await incident(app, t.tokens.READER, inc.id);
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', target: { isolated: true } });
    expect((await attemptRows(card.id)).map((r) => r.state)).toEqual(['COMPLETED']);
    expect(edr.requests).toHaveLength(1);
  });
});
