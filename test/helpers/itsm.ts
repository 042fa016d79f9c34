// Local, real peers for the sync connectors (no mocks): small node:http servers on 127.0.0.1:0
// that speak the subset of each API the service uses, with authentication and state.
//  - startServiceNow(): the Table API for incidents (GET with sysparm_query, POST, PATCH by
//    sys_id), basic auth or a bearer token; records with work notes kept as a journal.
//  - startSentinel(): the Microsoft Sentinel incidents API (GET and PUT by incident name with an
//    ETag), bearer auth; seed() creates an incident, bump() edits it behind the service's back.
// Both record every request they see and can be told to fail the next requests (failNext) or to
// do the work and then drop the connection without answering (dropNext: "the answer was lost").
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// ---------------------------------------------------------------------------------------------
// shared

export interface FakeRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Path without the query. */
  pathname: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (undefined when empty or not JSON). */
  json: any;
  /** What the fake answered (0 when it dropped the connection; undefined while in flight). */
  status?: number;
  at: number;
}

interface Failure {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  when?: (r: FakeRequest) => boolean;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Failure scripting and request recording, shared by both fakes. */
class Script {
  readonly requests: FakeRequest[] = [];
  private failures: Failure[] = [];
  private forever: Failure | null = null;
  private drops: ((r: FakeRequest) => boolean)[] = [];

  failNext(n: number, status: number, headers: Record<string, string> = {}, opts: { body?: unknown; when?: (r: FakeRequest) => boolean } = {}) {
    const f: Failure = { status, headers, body: opts.body ?? { error: { message: `scripted failure (HTTP ${status})` }, status: 'failure' }, when: opts.when };
    if (n === Infinity) this.forever = f;
    else for (let i = 0; i < n; i++) this.failures.push(f);
  }

  dropNext(n: number, when: (r: FakeRequest) => boolean = () => true) {
    for (let i = 0; i < n; i++) this.drops.push(when);
  }

  recover() {
    this.failures = [];
    this.forever = null;
    this.drops = [];
  }

  /** The scripted failure for this request, if any (consumed). */
  takeFailure(r: FakeRequest): Failure | null {
    const i = this.failures.findIndex((f) => !f.when || f.when(r));
    if (i >= 0) return this.failures.splice(i, 1)[0];
    if (this.forever && (!this.forever.when || this.forever.when(r))) return this.forever;
    return null;
  }

  takeDrop(r: FakeRequest): boolean {
    const i = this.drops.findIndex((w) => w(r));
    if (i < 0) return false;
    this.drops.splice(i, 1);
    return true;
  }
}

async function listen(handler: (req: FakeRequest) => Reply | 'drop'): Promise<{ origin: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body.trim() ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const rec: FakeRequest = { method: req.method ?? '', path: req.url ?? '', pathname: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers, body, json, at: Date.now() };
      let reply: Reply | 'drop';
      try {
        reply = handler(rec);
      } catch (err) {
        reply = { status: 500, body: { error: { message: `fake crashed: ${(err as Error).message}` } } };
      }
      if (reply === 'drop') {
        rec.status = 0;
        req.socket.destroy();
        return;
      }
      rec.status = reply.status;
      // a string body goes out as it is (an HTML error page, say); anything else as JSON
      const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}), ...reply.headers });
      res.end(text);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function pollUntil<T>(get: () => T, ok: (v: T) => boolean, timeoutMs: number, what: string, describe: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (ok(v)) return v;
    if (Date.now() >= end) throw new Error(`${what}: condition not met within ${timeoutMs} ms. ${describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const summarise = (requests: FakeRequest[]) =>
  requests
    .slice(-20)
    .map((r) => `${r.method} ${r.path} -> ${r.status ?? '…'} ${r.body.slice(0, 200)}`)
    .join('\n');

// ---------------------------------------------------------------------------------------------
// ServiceNow Table API (incident table)

export interface ServiceNowRecord {
  sys_id: string;
  number: string;
  /** Every field written, merged (work_notes excepted: see journal). */
  fields: Record<string, string>;
  /** The work notes, oldest first. */
  journal: string[];
  /** The fields of each write (the POST, then each PATCH), oldest first. */
  writes: Record<string, string>[];
}

export interface FakeServiceNow {
  /** The instance URL (what a connector's baseUrl is). */
  readonly url: string;
  readonly requests: FakeRequest[];
  readonly records: Map<string, ServiceNowRecord>;
  /** The record with this correlation_id. */
  byCorrelation(correlationId: string): ServiceNowRecord | undefined;
  /** A record made in ServiceNow (by hand, or by an earlier call whose answer was lost). */
  seed(fields: Record<string, string>): ServiceNowRecord;
  /**
   * Answer the next n requests (that match `when`) with this status (and body: a string is sent
   * as it is, anything else as JSON); n = Infinity until recover().
   */
  failNext(n: number, status: number, headers?: Record<string, string>, opts?: { body?: unknown; when?: (r: FakeRequest) => boolean }): void;
  /** Do the next n requests' work (that match `when`), then drop the connection without answering. */
  dropNext(n: number, when?: (r: FakeRequest) => boolean): void;
  /** Forget every scripted failure and drop. */
  recover(): void;
  waitFor(ok: (f: FakeServiceNow) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The record as the Table API returns it (every field a string; work_notes reads back empty). */
function snView(r: ServiceNowRecord, only?: string[]): Record<string, string> {
  const all: Record<string, string> = { ...r.fields, sys_id: r.sys_id, number: r.number, work_notes: '' };
  if (!only?.length) return all;
  return Object.fromEntries(only.map((f) => [f, all[f] ?? '']));
}

/** sysparm_query: conditions joined by ^, each field=value (the only operator the service uses). */
function snMatches(r: ServiceNowRecord, query: string): boolean {
  if (!query) return true;
  return query.split('^').every((cond) => {
    const i = cond.indexOf('=');
    if (i <= 0) throw new Error(`unsupported condition ${cond}`);
    const [field, value] = [cond.slice(0, i), cond.slice(i + 1)];
    return (snView(r)[field] ?? '') === value;
  });
}

export async function startServiceNow(auth: { username?: string; password?: string; token?: string }): Promise<FakeServiceNow> {
  const script = new Script();
  const records = new Map<string, ServiceNowRecord>();
  let next = 10001;
  const TABLE = '/api/now/table/incident';
  const snError = (status: number, message: string, detail = ''): Reply => ({ status, body: { error: { message, detail }, status: 'failure' } });

  const authorized = (h: IncomingHttpHeaders) => {
    const a = h.authorization ?? '';
    if (auth.token && a === `Bearer ${auth.token}`) return true;
    if (auth.username && auth.password && a === `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`) return true;
    return false;
  };

  const write = (r: ServiceNowRecord, body: Record<string, unknown>) => {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) {
      if (k === 'sys_id' || k === 'number') continue;
      fields[k] = v == null ? '' : String(v);
    }
    r.writes.push(fields);
    const { work_notes: note, ...rest } = fields;
    Object.assign(r.fields, rest);
    if (note) r.journal.push(note);
  };

  const create = (body: Record<string, unknown>): ServiceNowRecord => {
    const r: ServiceNowRecord = { sys_id: randomBytes(16).toString('hex'), number: `INC${String(next++).padStart(7, '0')}`, fields: { state: '1', active: 'true' }, journal: [], writes: [] };
    write(r, body);
    records.set(r.sys_id, r);
    return r;
  };

  const handle = (req: FakeRequest): Reply | 'drop' => {
    script.requests.push(req);
    if (!authorized(req.headers)) return snError(401, 'User Not Authenticated', 'Required to provide Auth information');
    const failure = script.takeFailure(req);
    if (failure) return { status: failure.status, headers: failure.headers, body: failure.body };
    const drop = script.takeDrop(req);
    let reply: Reply;
    if (req.pathname === TABLE && req.method === 'GET') {
      const query = req.query.get('sysparm_query') ?? '';
      const limit = Number(req.query.get('sysparm_limit') ?? '10000');
      const only = req.query.get('sysparm_fields')?.split(',').filter(Boolean);
      const rows = [...records.values()].filter((r) => snMatches(r, query)).slice(0, limit);
      reply = { status: 200, body: { result: rows.map((r) => snView(r, only)) } };
    } else if (req.pathname === TABLE && req.method === 'POST') {
      if (!req.json || typeof req.json !== 'object') return snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
      reply = { status: 201, body: { result: snView(create(req.json)) }, headers: { location: `${TABLE}/x` } };
    } else if (req.pathname.startsWith(`${TABLE}/`) && (req.method === 'PATCH' || req.method === 'PUT' || req.method === 'GET')) {
      const r = records.get(req.pathname.slice(TABLE.length + 1));
      if (!r) return snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
      if (req.method !== 'GET') {
        if (!req.json || typeof req.json !== 'object') return snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
        write(r, req.json);
      }
      reply = { status: 200, body: { result: snView(r) } };
    } else if (req.pathname.startsWith('/api/now/table/')) {
      reply = snError(405, 'Method not Supported', `${req.method} ${req.pathname}`);
    } else {
      reply = snError(400, 'Invalid table', req.pathname);
    }
    return drop ? 'drop' : reply;
  };

  const server = await listen(handle);
  const fake: FakeServiceNow = {
    url: server.origin,
    requests: script.requests,
    records,
    byCorrelation: (id) => [...records.values()].find((r) => r.fields.correlation_id === id),
    seed: (fields) => create(fields),
    failNext: (n, status, headers, opts) => script.failNext(n, status, headers, opts),
    dropNext: (n, when) => script.dropNext(n, when),
    recover: () => script.recover(),
    waitFor: (ok, timeoutMs = 10_000) =>
      pollUntil(() => fake, ok, timeoutMs, 'fake ServiceNow', () => `records: ${JSON.stringify([...records.values()].map((r) => r.fields))}\nrequests:\n${summarise(script.requests)}`).then(() => undefined),
    close: () => server.close(),
  };
  return fake;
}

// ---------------------------------------------------------------------------------------------
// Microsoft Sentinel incidents API

export interface SentinelLabel {
  labelName: string;
  labelType: string;
}

export interface SentinelProperties {
  title: string;
  severity: string;
  status: string;
  owner: { assignedTo?: string | null; objectId?: string | null; email?: string | null; userPrincipalName?: string | null };
  labels: SentinelLabel[];
  classification?: string;
  classificationReason?: string;
  classificationComment?: string;
  incidentNumber: number;
  incidentUrl: string;
  [more: string]: unknown;
}

export interface SentinelIncidentState {
  name: string;
  etag: number;
  properties: SentinelProperties;
  /** The properties of each accepted PUT, oldest first. */
  puts: SentinelProperties[];
}

export interface FakeSentinel {
  /** The workspace's incidents collection URL (what a connector's baseUrl is). */
  readonly url: string;
  readonly requests: FakeRequest[];
  readonly incidents: Map<string, SentinelIncidentState>;
  /** A Sentinel incident with this name (our incident's externalId). */
  seed(name: string, properties?: Partial<SentinelProperties>): SentinelIncidentState;
  /** Someone edits it in Sentinel: the etag changes (a PUT with the old one gets 412). */
  bump(name: string, change?: (p: SentinelProperties) => void): void;
  /** bump() right after answering each of the next n reads of it: the PUT that follows gets 412. */
  bumpAfterRead(name: string, n?: number, change?: (p: SentinelProperties) => void): void;
  /** Requests about one incident. */
  requestsFor(name: string): FakeRequest[];
  failNext(n: number, status: number, headers?: Record<string, string>, opts?: { body?: unknown; when?: (r: FakeRequest) => boolean }): void;
  dropNext(n: number, when?: (r: FakeRequest) => boolean): void;
  recover(): void;
  waitFor(ok: (f: FakeSentinel) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const SENTINEL_STATUS = ['New', 'Active', 'Closed'];
const SENTINEL_SEVERITY = ['High', 'Medium', 'Low', 'Informational'];
const SENTINEL_CLASSIFICATION = ['Undetermined', 'TruePositive', 'BenignPositive', 'FalsePositive'];
const SENTINEL_REASON = ['SuspiciousActivity', 'SuspiciousButExpected', 'IncorrectAlertLogic', 'InaccurateData'];
/** Read-only properties: Sentinel keeps its own values whatever a PUT says. */
const READ_ONLY = ['incidentNumber', 'incidentUrl', 'createdTimeUtc', 'lastModifiedTimeUtc', 'additionalData', 'relatedAnalyticRuleIds', 'providerName', 'providerIncidentId'];

export async function startSentinel(auth: { token: string }): Promise<FakeSentinel> {
  const script = new Script();
  const incidents = new Map<string, SentinelIncidentState>();
  const bumpsAfterRead = new Map<string, { left: number; change?: (p: SentinelProperties) => void }>();
  let nextNumber = 1;
  const PREFIX = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/soc/providers/Microsoft.OperationalInsights/workspaces/soc-ws/providers/Microsoft.SecurityInsights/incidents';
  const azError = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } });
  const etagOf = (s: SentinelIncidentState) => `"${s.etag}"`;
  const view = (s: SentinelIncidentState) => ({ id: `${PREFIX}/${s.name}`, name: s.name, type: 'Microsoft.SecurityInsights/Incidents', etag: etagOf(s), properties: structuredClone(s.properties) });

  const seed = (name: string, properties: Partial<SentinelProperties> = {}): SentinelIncidentState => {
    const n = nextNumber++;
    const s: SentinelIncidentState = {
      name,
      etag: 1,
      properties: {
        title: `Sentinel incident ${n}`,
        severity: 'Medium',
        status: 'New',
        owner: { assignedTo: null, objectId: null, email: null, userPrincipalName: null },
        labels: [],
        incidentNumber: n,
        incidentUrl: `https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident${PREFIX}/${name}`,
        createdTimeUtc: new Date().toISOString(),
        ...structuredClone(properties),
      } as SentinelProperties,
      puts: [],
    };
    incidents.set(name, s);
    return s;
  };
  const bump = (name: string, change?: (p: SentinelProperties) => void) => {
    const s = incidents.get(name);
    if (!s) throw new Error(`no Sentinel incident ${name}`);
    change?.(s.properties);
    s.etag += 1;
    s.properties.lastModifiedTimeUtc = new Date().toISOString();
  };

  const validate = (p: any): string | null => {
    if (!p || typeof p !== 'object') return 'properties are required';
    for (const f of ['title', 'severity', 'status']) if (typeof p[f] !== 'string' || !p[f]) return `properties.${f} is required`;
    if (!SENTINEL_STATUS.includes(p.status)) return `properties.status: '${p.status}' is not one of ${SENTINEL_STATUS.join(', ')}`;
    if (!SENTINEL_SEVERITY.includes(p.severity)) return `properties.severity: '${p.severity}' is not valid`;
    if (p.classification != null && !SENTINEL_CLASSIFICATION.includes(p.classification)) return `properties.classification: '${p.classification}' is not valid`;
    if (p.classificationReason != null && !SENTINEL_REASON.includes(p.classificationReason)) return `properties.classificationReason: '${p.classificationReason}' is not valid`;
    if (p.status === 'Closed' && !p.classification) return 'A closed incident must have a classification';
    if (p.labels != null && (!Array.isArray(p.labels) || p.labels.some((l: any) => typeof l?.labelName !== 'string'))) return 'properties.labels must be a list of { labelName, labelType }';
    if (p.owner != null && (typeof p.owner !== 'object' || Array.isArray(p.owner))) return 'properties.owner must be an object';
    return null;
  };

  const handle = (req: FakeRequest): Reply | 'drop' => {
    script.requests.push(req);
    if (req.headers.authorization !== `Bearer ${auth.token}`) return azError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing or invalid.');
    const failure = script.takeFailure(req);
    if (failure) return { status: failure.status, headers: failure.headers, body: failure.body };
    if (!req.pathname.startsWith(`${PREFIX}/`)) return azError(404, 'InvalidResourceType', `No route for ${req.pathname}`);
    if (!req.query.get('api-version')) return azError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    const name = req.pathname.slice(PREFIX.length + 1);
    const drop = script.takeDrop(req);
    const s = incidents.get(name);
    let reply: Reply;
    if (req.method === 'GET') {
      if (!s) return azError(404, 'NotFound', `Incident ${name} not found`);
      reply = { status: 200, body: view(s), headers: { etag: etagOf(s) } };
      const b = bumpsAfterRead.get(name);
      if (b && b.left > 0) {
        b.left -= 1;
        // the body above (a copy) carries the etag read; the edit lands right after it
        bump(name, b.change);
      }
    } else if (req.method === 'PUT') {
      const body = req.json;
      if (!body || typeof body !== 'object') return azError(400, 'BadRequest', 'The request body is not valid JSON');
      const problem = validate(body.properties);
      if (problem) return azError(400, 'BadRequest', problem);
      const sent = body.etag ?? req.headers['if-match'];
      if (s && sent !== etagOf(s)) return azError(412, 'PreconditionFailed', `The incident was changed: etag ${String(sent)} is not the current ${etagOf(s)}`);
      if (!s && sent) return azError(412, 'PreconditionFailed', `Incident ${name} does not exist, so it has no etag ${String(sent)}`);
      const target = s ?? seed(name);
      const kept = Object.fromEntries(READ_ONLY.filter((k) => k in target.properties).map((k) => [k, target.properties[k]]));
      target.properties = { ...structuredClone(body.properties), ...kept, lastModifiedTimeUtc: new Date().toISOString() };
      target.puts.push(structuredClone(target.properties));
      target.etag += s ? 1 : 0;
      reply = { status: s ? 200 : 201, body: view(target), headers: { etag: etagOf(target) } };
    } else {
      reply = azError(405, 'MethodNotAllowed', `${req.method} is not supported here`);
    }
    return drop ? 'drop' : reply;
  };

  const server = await listen(handle);
  const fake: FakeSentinel = {
    url: `${server.origin}${PREFIX}`,
    requests: script.requests,
    incidents,
    seed,
    bump,
    bumpAfterRead: (name, n = 1, change) => bumpsAfterRead.set(name, { left: n, change }),
    requestsFor: (name) => script.requests.filter((r) => r.pathname === `${PREFIX}/${name}`),
    failNext: (n, status, headers, opts) => script.failNext(n, status, headers, opts),
    dropNext: (n, when) => script.dropNext(n, when),
    recover: () => script.recover(),
    waitFor: (ok, timeoutMs = 10_000) =>
      pollUntil(() => fake, ok, timeoutMs, 'fake Sentinel', () => `incidents: ${JSON.stringify([...incidents.values()].map((s) => ({ name: s.name, etag: s.etag, properties: s.properties })))}\nrequests:\n${summarise(script.requests)}`).then(() => undefined),
    close: () => server.close(),
  };
  return fake;
}
