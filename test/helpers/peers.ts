// Local, real network peers for notification tests (no mocks):
//  - startSmtpPeer(): an smtp-server that parses what it accepts (mailparser) and can be told to
//    reject (4xx/5xx) or hang, per recipient at RCPT TO and per message at the end of DATA;
//  - startHttpReceiver(): a node:http webhook endpoint (Teams workflow webhook, signed webhooks)
//    with scripted answers and hanging requests.
// Both listen on 127.0.0.1, port 0, and record everything they see.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type AddressObject, type EmailAddress, type HeaderValue, type ParsedMail } from 'mailparser';

// ---------------------------------------------------------------------------------------------
// shared

/** Polls `get()` every 10 ms until `predicate` holds; on timeout rejects with `describe()`. */
async function pollUntil<T>(get: () => T, predicate: (v: T) => boolean, timeoutMs: number, what: string, describe: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (predicate(v)) return v;
    if (Date.now() >= end) throw new Error(`${what}: condition not met within ${timeoutMs} ms. ${describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// SMTP peer

/** What the peer answers: accept, reject with this SMTP reply (4xx/5xx), or never answer. */
export type SmtpDecision = 'accept' | 'stall' | { code: number; message: string };

export interface RcptContext {
  /** Address from RCPT TO, as sent. */
  rcpt: string;
  /** Address from MAIL FROM ('' for the null sender). */
  envelopeFrom: string;
  /** 1-based: how many times this address (case-insensitive) was offered in RCPT TO on this peer, this one included. */
  attempt: number;
  /** 1-based: number of the mail transaction (MAIL FROM) on this peer, across all connections. */
  transaction: number;
}

export interface DataContext {
  envelopeFrom: string;
  /** Recipients that were accepted at RCPT TO, i.e. the ones this DATA is for. */
  envelopeTo: string[];
  /** Message-ID header (angle brackets included) when the message has one. */
  messageId: string | undefined;
  /** How many DATA attempts carried this Message-ID so far, this one included (0 without a Message-ID). */
  messageIdSeenCount: number;
  /** 1-based number of this DATA attempt on this peer. */
  attempt: number;
  raw: string;
}

export type RcptPolicy = (ctx: RcptContext) => SmtpDecision;
export type DataPolicy = (ctx: DataContext) => SmtpDecision;

export interface SmtpMessage {
  envelopeFrom: string;
  envelopeTo: string[];
  messageId: string | undefined;
  subject: string | undefined;
  /** Address of the From header ('' when missing). */
  from: string;
  /** Addresses of the To header(s), groups flattened. */
  to: string[];
  cc: string[];
  text: string | undefined;
  html: string | undefined;
  /** mailparser's parsed headers, keys lower case. */
  headers: Map<string, HeaderValue>;
  raw: string;
  parsed: ParsedMail;
  /** Date.now() when the peer accepted it (before it sent the 250 reply). */
  acceptedAt: number;
  sessionId: string;
}

export interface SmtpAttempt {
  /**
   * 'data': the message data arrived and the DATA policy decided. 'rcpt': the transaction ended
   * before any message data (every recipient rejected, or a RCPT TO stalled). A refused one is
   * recorded when the client sends DATA (nodemailer pipelines it, so before the client sees the
   * error) or RSET/MAIL FROM/QUIT; a stalled one when the client disconnects or the peer closes.
   */
  phase: 'rcpt' | 'data';
  outcome: 'accepted' | 'rejected' | 'stalled';
  /** Message-ID from the raw headers, whenever the data arrived (also for rejected/stalled). */
  messageId: string | undefined;
  envelopeFrom: string;
  /** Recipients accepted at RCPT TO. */
  envelopeTo: string[];
  /** Recipients refused at RCPT TO, with the reply the peer gave. */
  rejectedRecipients: { rcpt: string; code: number; message: string }[];
  /** Recipients whose RCPT TO was never answered. */
  stalledRecipients: string[];
  /** The reply that rejected the DATA, for phase 'data' + outcome 'rejected'. */
  response?: { code: number; message: string };
  at: number;
  sessionId: string;
}

/** One RCPT TO command and what the peer did with it (recorded when decided, i.e. also for stalls). */
export interface SmtpRcptEvent {
  rcpt: string;
  envelopeFrom: string;
  attempt: number;
  transaction: number;
  decision: 'accepted' | 'rejected' | 'stalled';
  code?: number;
  message?: string;
  at: number;
  sessionId: string;
}

export interface SmtpPeerOptions {
  rcpt?: RcptPolicy;
  data?: DataPolicy;
  /** Server name in the greeting/EHLO. */
  name?: string;
  /** smtp-server idle timeout; the peer drops a silent connection after this (default 10 min, so stalls last until close()). */
  socketTimeoutMs?: number;
}

export interface SmtpPeer {
  /** smtp://127.0.0.1:<port>; works as a plain nodemailer URL (STARTTLS is not offered, no auth). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Accepted messages, in acceptance order. */
  readonly messages: SmtpMessage[];
  /** Every mail transaction's outcome, see SmtpAttempt. */
  readonly attempts: SmtpAttempt[];
  /** Every RCPT TO and its decision, as it happens. */
  readonly rcpts: SmtpRcptEvent[];
  /** Per-recipient policy at RCPT TO; null/undefined: accept all. */
  behave(fn: RcptPolicy | null | undefined): void;
  /** Per-message policy once the data arrived; null/undefined: accept all. */
  behaveOnData(fn: DataPolicy | null | undefined): void;
  /** Resolves with `messages` once predicate(messages) holds. */
  waitFor(predicate: (messages: SmtpMessage[]) => boolean, timeoutMs?: number): Promise<SmtpMessage[]>;
  /** Resolves with `attempts` once predicate(attempts) holds. */
  waitForAttempts(predicate: (attempts: SmtpAttempt[]) => boolean, timeoutMs?: number): Promise<SmtpAttempt[]>;
  /** Resolves once cond() holds (polled every 10 ms), e.g. () => peer.rcpts.some((r) => r.decision === 'stalled'). */
  until(cond: () => boolean, timeoutMs?: number): Promise<void>;
  /** Forgets recorded messages, attempts, rcpts and counters (policies stay). */
  clear(): void;
  /** Stops listening and destroys every connection, stalled ones included (their clients see the connection drop). */
  close(): Promise<void>;
}

interface Tx {
  sessionId: string;
  envelopeFrom: string;
  accepted: string[];
  rejected: { rcpt: string; code: number; message: string }[];
  stalled: string[];
  lastAt: number;
  data: boolean;
}

/** Value of a header in the raw message's header section (unfolded), or undefined. */
function rawHeader(raw: string, name: string): string | undefined {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? raw.slice(0, end) : raw).replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  const m = re.exec(head);
  return m ? m[1].trim() : undefined;
}

function addresses(v: AddressObject | AddressObject[] | undefined): string[] {
  const out: string[] = [];
  const walk = (list: EmailAddress[]) => {
    for (const a of list) {
      if (a.group) walk(a.group);
      else if (a.address) out.push(a.address);
    }
  };
  for (const o of v === undefined ? [] : Array.isArray(v) ? v : [v]) walk(o.value);
  return out;
}

function normalize(d: SmtpDecision, where: string): SmtpDecision {
  if (d === 'accept' || d === 'stall') return d;
  if (d && typeof d === 'object' && Number.isInteger(d.code) && d.code >= 400 && d.code <= 599) return d;
  return { code: 451, message: `smtp peer: invalid ${where} decision ${JSON.stringify(d)} (want 'accept' | 'stall' | {code: 4xx/5xx, message})` };
}

function smtpError(d: { code: number; message: string }): Error & { responseCode: number } {
  return Object.assign(new Error(d.message), { responseCode: d.code });
}

export async function startSmtpPeer(opts: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  let rcptPolicy: RcptPolicy | undefined = opts.rcpt;
  let dataPolicy: DataPolicy | undefined = opts.data;
  const messages: SmtpMessage[] = [];
  const attempts: SmtpAttempt[] = [];
  const rcpts: SmtpRcptEvent[] = [];
  let rcptSeen = new Map<string, number>();
  let messageIdSeen = new Map<string, number>();
  let transactions = 0;
  let dataAttempts = 0;
  const txs = new Map<string, Tx>(); // open transaction per session id
  const sockets = new Set<Socket>();
  let closed = false;

  const decide = <C>(fn: ((ctx: C) => SmtpDecision) | undefined, ctx: C, where: string): SmtpDecision => {
    if (!fn) return 'accept';
    try {
      return normalize(fn(ctx), where);
    } catch (err) {
      return { code: 451, message: `smtp peer: ${where} policy threw: ${(err as Error)?.message ?? String(err)}` };
    }
  };

  /** Records a transaction that ended without message data (all recipients refused, or a RCPT stall). */
  const finish = (sessionId: string) => {
    const tx = txs.get(sessionId);
    txs.delete(sessionId);
    if (!tx || tx.data || (!tx.rejected.length && !tx.stalled.length && !tx.accepted.length)) return;
    attempts.push({
      phase: 'rcpt',
      outcome: tx.stalled.length ? 'stalled' : 'rejected',
      messageId: undefined,
      envelopeFrom: tx.envelopeFrom,
      envelopeTo: tx.accepted,
      rejectedRecipients: tx.rejected,
      stalledRecipients: tx.stalled,
      at: tx.lastAt,
      sessionId: tx.sessionId,
    });
  };

  const server = new SMTPServer({
    name: opts.name ?? 'smtp-peer.test',
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    socketTimeout: opts.socketTimeoutMs ?? 10 * 60_000,
    onMailFrom(address, session, callback) {
      finish(session.id);
      transactions += 1;
      txs.set(session.id, {
        sessionId: session.id,
        envelopeFrom: address.address,
        accepted: [],
        rejected: [],
        stalled: [],
        lastAt: Date.now(),
        data: false,
      });
      callback();
    },
    onRcptTo(address, session, callback) {
      const tx = txs.get(session.id)!;
      const key = address.address.toLowerCase();
      const attempt = (rcptSeen.get(key) ?? 0) + 1;
      rcptSeen.set(key, attempt);
      const ctx: RcptContext = { rcpt: address.address, envelopeFrom: tx.envelopeFrom, attempt, transaction: transactions };
      const d = decide(rcptPolicy, ctx, 'RCPT');
      tx.lastAt = Date.now();
      const ev = { ...ctx, at: tx.lastAt, sessionId: session.id };
      if (d === 'stall') {
        tx.stalled.push(address.address);
        rcpts.push({ ...ev, decision: 'stalled' });
        return; // never answered; close() drops the connection
      }
      if (d === 'accept') {
        tx.accepted.push(address.address);
        rcpts.push({ ...ev, decision: 'accepted' });
        return callback();
      }
      tx.rejected.push({ rcpt: address.address, code: d.code, message: d.message });
      rcpts.push({ ...ev, decision: 'rejected', code: d.code, message: d.message });
      // smtp-server drops the connection after a 421; record the transaction before the client hears of it
      if (d.code === 421) finish(session.id);
      callback(smtpError(d));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const tx = txs.get(session.id);
      if (tx) tx.data = true;
      const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', () => {}); // client went away mid-message: nothing to answer
      stream.on('end', () => {
        void (async () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const messageId = rawHeader(raw, 'message-id');
          let seen = 0;
          if (messageId) {
            seen = (messageIdSeen.get(messageId) ?? 0) + 1;
            messageIdSeen.set(messageId, seen);
          }
          dataAttempts += 1;
          const base = {
            phase: 'data' as const,
            messageId,
            envelopeFrom,
            envelopeTo,
            rejectedRecipients: tx?.rejected ?? [],
            stalledRecipients: tx?.stalled ?? [],
            sessionId: session.id,
          };
          let d = decide(dataPolicy, { envelopeFrom: base.envelopeFrom, envelopeTo: base.envelopeTo, messageId, messageIdSeenCount: seen, attempt: dataAttempts, raw }, 'DATA');
          let parsed: ParsedMail | undefined;
          if (d === 'accept') {
            try {
              parsed = await simpleParser(raw);
            } catch (err) {
              d = { code: 451, message: `smtp peer: mailparser failed: ${(err as Error)?.message ?? String(err)}` };
            }
          }
          const at = Date.now();
          if (d === 'stall') {
            attempts.push({ ...base, outcome: 'stalled', at });
            return; // never answered; close() drops the connection
          }
          if (d !== 'accept' || !parsed) {
            const r = d === 'accept' ? { code: 451, message: 'smtp peer: not parsed' } : d;
            attempts.push({ ...base, outcome: 'rejected', response: r, at });
            return callback(smtpError(r));
          }
          messages.push({
            envelopeFrom: base.envelopeFrom,
            envelopeTo: base.envelopeTo,
            messageId: parsed.messageId ?? messageId,
            subject: parsed.subject,
            from: addresses(parsed.from)[0] ?? '',
            to: addresses(parsed.to),
            cc: addresses(parsed.cc),
            text: parsed.text,
            html: parsed.html || undefined,
            headers: parsed.headers,
            raw,
            parsed,
            acceptedAt: at,
            sessionId: session.id,
          });
          attempts.push({ ...base, outcome: 'accepted', at });
          callback(null, `OK: queued as ${dataAttempts}`);
        })();
      });
    },
    onClose(session) {
      finish(session.id);
    },
  });
  server.on('error', () => {}); // ECONNRESET etc. from clients; the peer is a test fixture
  // smtp-server has no hook for RSET, nor for a DATA command refused with 503 because every
  // recipient was refused (nodemailer pipelines DATA with the envelope). Wrap those two command
  // handlers on each new connection so such a transaction is recorded before the client hears back.
  type Handler = (command: Buffer, callback: () => void) => void;
  type Conn = { session: SMTPServerSession; handler_RSET: Handler; handler_DATA: Handler };
  const connect = server.connect.bind(server);
  server.connect = (socket, socketOptions) => {
    const before = new Set(server.connections);
    connect(socket, socketOptions);
    for (const c of server.connections as Set<unknown> as Set<Conn>) {
      if (before.has(c as never)) continue;
      const rset = c.handler_RSET;
      const data = c.handler_DATA;
      c.handler_RSET = function (this: Conn, command, callback) {
        finish(this.session.id);
        return rset.call(this, command, callback);
      };
      c.handler_DATA = function (this: Conn, command, callback) {
        if (!this.session.envelope.rcptTo.length) finish(this.session.id);
        return data.call(this, command, callback);
      };
    }
  };
  server.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  const describe = () =>
    `Accepted ${messages.length} message(s): ${JSON.stringify(messages.map((m) => ({ messageId: m.messageId, subject: m.subject, envelopeTo: m.envelopeTo })))}; ` +
    `attempts: ${JSON.stringify(attempts.map((a) => ({ phase: a.phase, outcome: a.outcome, messageId: a.messageId, envelopeTo: a.envelopeTo, rejected: a.rejectedRecipients, stalled: a.stalledRecipients, response: a.response })))}; ` +
    `rcpts: ${JSON.stringify(rcpts.map((r) => [r.rcpt, r.decision, r.code]))}`;

  return {
    url: `smtp://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    messages,
    attempts,
    rcpts,
    behave(fn) {
      rcptPolicy = fn ?? undefined;
    },
    behaveOnData(fn) {
      dataPolicy = fn ?? undefined;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return pollUntil(() => messages, predicate, timeoutMs, 'smtp peer waitFor', describe);
    },
    waitForAttempts(predicate, timeoutMs = 10_000) {
      return pollUntil(() => attempts, predicate, timeoutMs, 'smtp peer waitForAttempts', describe);
    },
    async until(cond, timeoutMs = 10_000) {
      await pollUntil(() => undefined, () => cond(), timeoutMs, 'smtp peer until', describe);
    },
    clear() {
      messages.length = 0;
      attempts.length = 0;
      rcpts.length = 0;
      rcptSeen = new Map();
      messageIdSeen = new Map();
      transactions = 0;
      dataAttempts = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await done;
      for (const id of [...txs.keys()]) finish(id);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP webhook receiver

export interface ReceivedRequest {
  method: string;
  /** Path with query string, as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** JSON.parse(body), or undefined when the body is empty or not JSON. */
  json: unknown;
  /** Date.now() once the body was read (before the reply). */
  at: number;
  /** 0-based position in `requests`. */
  index: number;
}

export type HttpReply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
export type HttpPolicy = (req: ReceivedRequest, index: number) => HttpReply;

export interface HttpReceiverOptions {
  /** Path part of `url` (default '/hook'); any path is accepted regardless. */
  path?: string;
  /** Initial policy (default: 202 with an empty body, like a Teams workflow webhook). */
  respond?: HttpPolicy;
}

export interface HttpReceiver {
  /** http://127.0.0.1:<port>/hook */
  readonly url: string;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  /** Sets the policy (null/undefined: back to the default 202). */
  respond(fn: HttpPolicy | null | undefined): void;
  /**
   * Answers the next replies.length requests (counted from this call) with these replies in
   * order, then falls back to the respond() policy. Replaces an unfinished earlier script.
   */
  script(replies: HttpReply[]): void;
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Stops listening and destroys every connection, hung requests included. */
  close(): Promise<void>;
}

const DEFAULT_HTTP_REPLY: HttpReply = { status: 202, body: '' };

export async function startHttpReceiver(opts: HttpReceiverOptions = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let policy: HttpPolicy | undefined = opts.respond;
  let scripted: HttpReply[] = [];
  let scriptStart = 0;
  let closed = false;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      if (body.trim()) {
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
      }
      const index = requests.length;
      const rec: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json, at: Date.now(), index };
      requests.push(rec);
      let reply: HttpReply;
      const s = index - scriptStart;
      if (s >= 0 && s < scripted.length) reply = scripted[s];
      else {
        try {
          reply = policy ? policy(rec, index) : DEFAULT_HTTP_REPLY;
        } catch (err) {
          reply = { status: 500, body: `http receiver: policy threw: ${(err as Error)?.message ?? String(err)}` };
        }
      }
      if (reply === 'hang') return; // close() destroys the socket
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const path = opts.path ?? '/hook';

  const describe = () =>
    `Received ${requests.length} request(s): ${JSON.stringify(requests.map((r) => ({ method: r.method, path: r.path, body: r.body.length > 200 ? `${r.body.slice(0, 200)}…` : r.body })))}`;

  return {
    url: `${origin}${path.startsWith('/') ? path : `/${path}`}`,
    origin,
    requests,
    respond(fn) {
      policy = fn ?? undefined;
    },
    script(replies) {
      scripted = [...replies];
      scriptStart = requests.length;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return pollUntil(() => requests, predicate, timeoutMs, 'http receiver waitFor', describe);
    },
    async close() {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}
