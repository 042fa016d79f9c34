// Prometheus metrics (prom-client), served at GET /metrics (src/observability/http.ts). Every
// metric, its labels and what it measures is listed in README.md, "Operations: metrics and logs".
//
// Each server has its own Registry (several servers in one test process never collide); the
// process metrics (CPU, memory, event loop, GC: prom-client's defaults) are one shared registry per
// process, since they describe the process, and are appended to every server's output.
//
// Where the numbers come from:
// - HTTP: the node request handler (every route), timed until the response closes;
// - GraphQL over HTTP and SSE: a yoga plugin (request → result); over graphql-ws: the graphql-ws
//   hooks (subscribe → result), wrapped around server.ts's own (instrumentWs);
// - open subscriptions and deliveries: the SSE stream (an envelop onSubscribe hook) and graphql-ws's
//   onOperation/onNext/onComplete;
// - fan-out lag: the hub reports each event it hands to subscribers (HubObserver);
// - job queues: one aggregate query per kind at scrape time (JobQueue.backlog), never cached;
// - the database pool: the configured size and the statements and transactions counted in
//   src/db/client.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ServerOptions } from 'graphql-ws';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/client';
import type { ActivityRow } from '../db/schema';
import type { HubEvent, HubObserver } from '../events/hub';
import type { Logger } from '../log';

/** A queue's backlog as the metrics report it. */
export interface QueueBacklog {
  /** Jobs ready to claim now. */
  ready: number;
  /** Seconds since the oldest ready job became ready (queued, or its retry fell due); null when none is. */
  oldestReadyAgeSeconds: number | null;
}

/** What the metrics read of a job engine (ActionExecutor, Notifier, OutboundDeliverer). */
export interface ObservedQueue {
  readonly kind: string;
  /** Ready jobs of this kind in the database, and the age of the oldest; null if the queue cannot say. */
  backlog(): Promise<QueueBacklog> | null;
  readonly active: { total: number };
}

export interface MetricsOptions {
  database: Database;
  log: Logger;
  queues: readonly ObservedQueue[];
  /** Subscribers registered with this process's event hub. */
  hubSubscribers: () => number;
  /** WebSocket connections open now. */
  webSockets: () => number;
  /** The queue page cache's lookups so far, by result (src/domain/queue-cache.ts). */
  queueCacheLookups?: () => { hit: number; stale: number; miss: number };
  /** Distinct operation names kept as label values; later ones are "other". Default 100. */
  maxOperationNames?: number;
  /** A scrape waits this long for the queue queries, then reports the last values. Default 2 s. */
  backlogTimeoutMs?: number;
}

export type Transport = 'http' | 'ws';
type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;
/** Commits remembered for the fan-out lag (events nobody subscribes to are never looked up). */
const MAX_PENDING_COMMITS = 10_000;

/** prom-client's process metrics, once per process (they describe the process, not a server). */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The result label of an operation: "ok", or the first error's code (bounded). */
export function resultCode(errors: readonly unknown[] | undefined | null): string {
  if (!errors || errors.length === 0) return 'ok';
  const code = (errors[0] as GraphQLError | undefined)?.extensions?.code;
  if (typeof code !== 'string') return 'UNKNOWN';
  if (code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL';
  return ERROR_CODE.test(code) ? code : 'OTHER';
}

const isAsyncIterable = (x: unknown): x is AsyncIterable<unknown> =>
  !!x && typeof x === 'object' && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

/** An operation being timed, from its request (or subscribe message) to its result. */
interface OperationState {
  start: number;
  name: string | null;
  type: OperationType;
  recorded: boolean;
  /** A subscription that is open (counted in the gauge until it ends). */
  open: boolean;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly names = new Set<string>();
  private readonly codes = new Set<string>();
  private readonly maxNames: number;
  /** Activity id → when this process saw the commit return (ms since the epoch). */
  private readonly commits = new Map<number, number>();
  private lastStatements: number;
  /** graphql-ws operations being timed, by their subscribe payload (also the envelop context's `params`). */
  private readonly wsStates = new WeakMap<object, OperationState>();

  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method'>;
  readonly operations: Counter<'operation_name' | 'operation_type' | 'code' | 'transport'>;
  readonly operationDuration: Histogram<'operation_name' | 'operation_type' | 'transport'>;
  readonly subscriptionsOpen: Gauge<'transport'>;
  readonly deliveries: Counter<'transport'>;
  readonly fanoutLag: Histogram<'source'>;
  readonly fannedOut: Counter;
  readonly queueReady: Gauge<'kind'>;
  readonly queueOldest: Gauge<'kind'>;
  readonly jobsRunning: Gauge<'kind'>;
  readonly queueErrors: Counter<'kind'>;

  constructor(private readonly opts: MetricsOptions) {
    this.maxNames = opts.maxOperationNames ?? 100;
    const registers = [this.registry];
    const { database } = opts;
    this.lastStatements = database.stats.statements;

    this.httpRequests = new Counter({
      name: 'mdr_http_requests_total',
      help: 'HTTP requests answered, by route, method and status code (WebSocket upgrades are not HTTP requests here).',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'mdr_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to the end of its response; streaming responses (SSE) are counted in mdr_http_requests_total but not timed.',
      labelNames: ['route', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.operations = new Counter({
      name: 'mdr_graphql_operations_total',
      help: 'GraphQL operations, by operation name (anonymous/other beyond the bound), type, result code (ok or the first error\'s extensions.code) and transport (http: POST/GET/SSE; ws: graphql-ws).',
      labelNames: ['operation_name', 'operation_type', 'code', 'transport'],
      registers,
    });
    this.operationDuration = new Histogram({
      name: 'mdr_graphql_operation_duration_seconds',
      help: 'Time from receiving an operation to its result (for a subscription: until it is established).',
      labelNames: ['operation_name', 'operation_type', 'transport'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.subscriptionsOpen = new Gauge({
      name: 'mdr_subscriptions_open',
      help: 'GraphQL subscriptions open now, by transport (ws: graphql-ws operations; sse: subscriptions streamed over HTTP).',
      labelNames: ['transport'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'mdr_subscription_deliveries_total',
      help: 'Subscription results sent to clients (one per event per subscriber), by transport.',
      labelNames: ['transport'],
      registers,
    });
    this.fanoutLag = new Histogram({
      name: 'mdr_event_fanout_lag_seconds',
      help: 'From an event\'s commit to the hub handing it to this process\'s subscribers. source=local: committed by this process, measured from the commit returning (same clock); source=remote: committed elsewhere, measured from the activity row\'s created_at (the writing transaction\'s start, database clock): an upper bound.',
      labelNames: ['source'],
      buckets: LAG_BUCKETS,
      registers,
    });
    this.fannedOut = new Counter({
      name: 'mdr_events_fanned_out_total',
      help: 'Committed events the hub handed to at least one local subscriber.',
      registers,
    });
    new Gauge({
      name: 'mdr_event_hub_subscribers',
      help: 'Subscribers registered with this process\'s event hub (shared graphql-ws subscriptions count once).',
      registers,
      collect() {
        this.set(opts.hubSubscribers());
      },
    });
    new Gauge({
      name: 'mdr_websocket_connections_open',
      help: 'WebSocket connections open now (graphql-ws).',
      registers,
      collect() {
        this.set(opts.webSockets());
      },
    });
    this.queueReady = new Gauge({
      name: 'mdr_job_queue_ready',
      help: 'Jobs ready to run now (every tenant, every process), by kind; read from the database at scrape time.',
      labelNames: ['kind'],
      registers,
    });
    this.queueOldest = new Gauge({
      name: 'mdr_job_queue_oldest_ready_age_seconds',
      help: 'How long the oldest ready job has been ready (since it was queued or its retry fell due), by kind; 0 when none is ready.',
      labelNames: ['kind'],
      registers,
    });
    this.jobsRunning = new Gauge({
      name: 'mdr_jobs_running',
      help: 'Jobs this process is running now, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.queueErrors = new Counter({
      name: 'mdr_job_queue_scrape_errors_total',
      help: 'Scrapes whose queue query failed or timed out (the queue gauges then keep their last values), by kind.',
      labelNames: ['kind'],
      registers,
    });
    const lookups = opts.queueCacheLookups;
    if (lookups) {
      new Counter({
        name: 'mdr_queue_cache_lookups_total',
        help: 'Queue pages looked up in this process\'s version-checked page cache: result=hit (served from memory after the version check), stale (a tenant\'s queue changed: read again), miss (not cached).',
        labelNames: ['result'],
        registers,
        collect() {
          const n = lookups();
          this.reset();
          for (const result of ['hit', 'stale', 'miss'] as const) this.inc({ result }, n[result]);
        },
      });
    }
    new Gauge({
      name: 'mdr_database_info',
      help: 'The database backend: 1 for the one in use (backend=postgres or pglite).',
      labelNames: ['backend'],
      registers,
    }).set({ backend: database.kind }, 1);
    new Gauge({
      name: 'mdr_database_pool_size',
      help: 'Connections the pool may open (DATABASE_POOL_SIZE; the LISTEN connection is extra); 1 for the embedded database.',
      registers,
    }).set(database.pool?.size ?? 1);
    const inFlight = database.pool?.inFlight;
    if (inFlight) {
      new Gauge({
        name: 'mdr_database_in_flight',
        help: 'PostgreSQL work holding or waiting for a pool connection now: kind=statement (outside transactions), kind=transaction (open transactions). Above the pool size, work queues for a connection.',
        labelNames: ['kind'],
        registers,
        collect() {
          this.set({ kind: 'statement' }, inFlight.statements);
          this.set({ kind: 'transaction' }, inFlight.transactions);
        },
      });
    }
    const self = this;
    new Counter({
      name: 'mdr_database_statements_total',
      help: 'SQL statements sent by this process.',
      registers,
      collect() {
        const now = database.stats.statements;
        if (now > self.lastStatements) this.inc(now - self.lastStatements);
        self.lastStatements = now;
      },
    });
    for (const q of opts.queues) {
      this.queueReady.set({ kind: q.kind }, 0);
      this.queueOldest.set({ kind: q.kind }, 0);
      this.jobsRunning.set({ kind: q.kind }, 0);
    }
    for (const transport of ['ws', 'sse']) this.subscriptionsOpen.set({ transport }, 0);
  }

  // ---- labels ----

  /** Bounded operation name: "anonymous", a name, or "other" (malformed, or beyond the bound). */
  operationName(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (this.names.has(name)) return name;
    if (this.names.size >= this.maxNames) return 'other';
    this.names.add(name);
    return name;
  }

  private code(errors: readonly unknown[] | undefined | null): string {
    const code = resultCode(errors);
    if (code === 'ok' || this.codes.has(code)) return code;
    if (this.codes.size >= 50) return 'OTHER';
    this.codes.add(code);
    return code;
  }

  // ---- recording ----

  httpRequest(route: string, method: string, status: number, seconds: number | null): void {
    this.httpRequests.inc({ route, method, status: String(status) });
    if (seconds !== null) this.httpDuration.observe({ route, method }, seconds);
  }

  private operation(state: OperationState, transport: Transport, errors: readonly unknown[] | undefined | null): void {
    if (state.recorded) return;
    state.recorded = true;
    const operation_name = this.operationName(state.name);
    const seconds = (performance.now() - state.start) / 1000;
    this.operations.inc({ operation_name, operation_type: state.type, code: this.code(errors), transport });
    this.operationDuration.observe({ operation_name, operation_type: state.type, transport }, seconds);
  }

  private describe(state: OperationState, document: DocumentNode, operationName: string | null | undefined): void {
    const op = getOperationAST(document, operationName ?? undefined);
    if (op) {
      state.type = op.operation;
      state.name = operationName ?? op.name?.value ?? null;
    }
  }

  /** Called after a transaction commits in this process (before the hub may deliver its events). */
  committed(rows: readonly ActivityRow[]): void {
    if (this.opts.hubSubscribers() === 0) return;
    const now = Date.now();
    for (const r of rows) this.commits.set(r.id, now);
    if (this.commits.size > MAX_PENDING_COMMITS) {
      for (const id of this.commits.keys()) {
        this.commits.delete(id);
        if (this.commits.size <= MAX_PENDING_COMMITS / 2) break;
      }
    }
  }

  /** The hub's observer: each event it handed to at least one subscriber. */
  readonly hubObserver: HubObserver = {
    fannedOut: (event: HubEvent) => {
      this.fannedOut.inc();
      const local = this.commits.get(event.activity.id);
      if (local !== undefined) {
        this.commits.delete(event.activity.id);
        this.fanoutLag.observe({ source: 'local' }, Math.max(0, Date.now() - local) / 1000);
      } else {
        const at = event.activity.createdAt instanceof Date ? event.activity.createdAt.getTime() : Date.parse(String(event.activity.createdAt));
        if (Number.isFinite(at)) this.fanoutLag.observe({ source: 'remote' }, Math.max(0, Date.now() - at) / 1000);
      }
    },
  };

  private subscriptionOpened(transport: 'ws' | 'sse'): void {
    this.subscriptionsOpen.inc({ transport });
  }

  private subscriptionClosed(transport: 'ws' | 'sse'): void {
    this.subscriptionsOpen.dec({ transport });
  }

  // ---- GraphQL over HTTP and SSE ----

  /** The yoga plugin: operations over HTTP (and SSE), their results, open SSE subscriptions. */
  yogaPlugin(): Plugin {
    const states = new WeakMap<Request, OperationState>();
    const metrics = this;
    return {
      onRequest({ request }) {
        states.set(request, { start: performance.now(), name: null, type: 'unknown', recorded: false, open: false });
      },
      onParams({ params, request }) {
        const state = states.get(request);
        if (state) state.name = params.operationName ?? null;
      },
      onParse({ context }) {
        // over HTTP the context has the request; over graphql-ws, server.ts passes the subscribe payload as `params`
        const { request, params } = context as { request?: Request; params?: object };
        const state = request ? states.get(request) : params ? metrics.wsStates.get(params) : undefined;
        if (!state) return;
        return ({ result }) => {
          if (result && (result as DocumentNode).kind === 'Document') metrics.describe(state, result as DocumentNode, state.name);
        };
      },
      onSubscribe({ args }) {
        const request = (args.contextValue as { request?: Request }).request;
        if (!request || !states.has(request)) return; // graphql-ws counts its own
        return {
          onSubscribeResult({ result, setResult }) {
            if (!isAsyncIterable(result)) return;
            metrics.subscriptionOpened('sse');
            setResult(
              tracked(result as AsyncIterable<ExecutionResult>, {
                next: () => metrics.deliveries.inc({ transport: 'sse' }),
                end: () => metrics.subscriptionClosed('sse'),
              }),
            );
          },
        };
      },
      onResultProcess({ request, result }) {
        const state = states.get(request);
        if (!state) return;
        states.delete(request);
        if (isAsyncIterable(result)) return metrics.operation(state, 'http', null);
        const first = Array.isArray(result) ? result[0] : result;
        metrics.operation(state, 'http', (first as ExecutionResult | undefined)?.errors);
      },
    };
  }

  // ---- graphql-ws ----

  /** Wrap graphql-ws server options: operations, open subscriptions and deliveries over WebSockets. */
  instrumentWs<P extends Record<string, unknown> | undefined, E>(options: ServerOptions<P, E>): ServerOptions<P, E> {
    const states = this.wsStates;
    return {
      ...options,
      onSubscribe: async (ctx, id, payload) => {
        const state: OperationState = { start: performance.now(), name: payload.operationName ?? null, type: 'unknown', recorded: false, open: false };
        states.set(payload, state);
        const out = await options.onSubscribe?.(ctx, id, payload);
        if (Array.isArray(out)) this.operation(state, 'ws', out as readonly GraphQLError[]);
        else if (out) this.describe(state, (out as ExecutionArgs).document, (out as ExecutionArgs).operationName);
        return out;
      },
      onOperation: async (ctx, id, payload, args, result) => {
        const replaced = await options.onOperation?.(ctx, id, payload, args, result);
        const final = replaced ?? result;
        const state = states.get(payload);
        if (state && !state.recorded) {
          if (isAsyncIterable(final)) {
            this.operation(state, 'ws', null);
            state.open = true;
            this.subscriptionOpened('ws');
          } else {
            this.operation(state, 'ws', (final as ExecutionResult).errors);
          }
        }
        return replaced;
      },
      onError: (ctx, id, payload, errors) => {
        const state = states.get(payload);
        if (state && !state.recorded) this.operation(state, 'ws', errors);
        return options.onError?.(ctx, id, payload, errors);
      },
      onNext: (ctx, id, payload, args, result) => {
        if (states.get(payload)?.open) this.deliveries.inc({ transport: 'ws' });
        return options.onNext?.(ctx, id, payload, args, result);
      },
      onComplete: (ctx, id, payload) => {
        const state = states.get(payload);
        if (state?.open) {
          state.open = false;
          this.subscriptionClosed('ws');
        }
        return options.onComplete?.(ctx, id, payload);
      },
    };
  }

  // ---- scrape ----

  /** The queue gauges: one aggregate query per kind, bounded by a timeout (last values kept). */
  private async refreshQueues(): Promise<void> {
    const timeoutMs = this.opts.backlogTimeoutMs ?? 2_000;
    await Promise.all(
      this.opts.queues.map(async (q) => {
        this.jobsRunning.set({ kind: q.kind }, q.active.total);
        const pending = q.backlog();
        if (!pending) return;
        let timer: NodeJS.Timeout | undefined;
        try {
          const backlog = await Promise.race([
            pending,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`queue query took over ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          this.queueReady.set({ kind: q.kind }, backlog.ready);
          this.queueOldest.set({ kind: q.kind }, backlog.oldestReadyAgeSeconds ?? 0);
        } catch (err) {
          pending.catch(() => {});
          this.queueErrors.inc({ kind: q.kind });
          this.opts.log.warn({ err, kind: q.kind }, 'metrics: could not read the job queue');
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }

  /** The exposition text: this server's metrics, then the process metrics. */
  async render(): Promise<string> {
    await this.refreshQueues();
    const own = await this.registry.metrics();
    const proc = await processMetrics().metrics();
    return `${own}\n${proc}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** GET /metrics; with a token configured, only for `Authorization: Bearer <token>`. */
  async serve(req: IncomingMessage, res: ServerResponse, token: string | undefined): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain' }).end('Unauthorized\n');
      return;
    }
    try {
      const body = await this.render();
      res.writeHead(200, { 'content-type': this.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.opts.log.error({ err }, 'metrics: rendering failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('metrics unavailable\n');
    }
  }
}

/** Constant-time comparison of "Bearer <token>" (digests: the length is not revealed either). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256').update(match?.[1] ?? '').digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && !!match;
}

/**
 * An async iterable that reports each value and its end exactly once (done, return, throw, or
 * a failing next): the SSE subscriptions gauge must come down however the stream ends.
 */
function tracked<T>(source: AsyncIterable<T>, on: { next: () => void; end: () => void }): AsyncIterableIterator<T> {
  const it = source[Symbol.asyncIterator]();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    on.end();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        const r = await it.next();
        if (r.done) end();
        else on.next();
        return r;
      } catch (err) {
        end();
        throw err;
      }
    },
    async return(value?: unknown) {
      end();
      return (await it.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      end();
      if (it.throw) return it.throw(err);
      throw err;
    },
  };
}
