/// <reference lib="dom" />
// The operations dashboard (served at /dashboard, bundled by scripts/build-dashboard.ts): a small,
// read-only example client of the public API. Queries go over HTTP with @urql/core, subscriptions
// over graphql-ws, both with the token from the login form (kept in sessionStorage).
//
// Every document goes by its id only (persisted documents, `documentId: "sha256:<hex>"`), never as
// text: the page works with PERSISTED_DOCUMENTS_ONLY=1 too. The texts are in ./documents.ts (and in
// schema/persisted-documents.json, under the same ids); scripts/build-dashboard.ts hashes them at
// build time and the bundle carries the ids alone.
//
// Every text from the API (titles come from ingested data) reaches the page through text nodes
// (`append(string)`, `textContent`), never as HTML.
import { Client, fetchExchange, subscriptionExchange, type CombinedError, type PersistedDocument } from '@urql/core';
import type { Kind } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type * as Texts from './documents';

// ---------------------------------------------------------------- the documents, by id

/** The documents of ./documents.ts, by their constants' names (a type only: no text is bundled). */
type DocumentName = keyof typeof Texts;

/**
 * Each document's id, `sha256:<hex>` of its exact text (the key in schema/persisted-documents.json):
 * computed by scripts/build-dashboard.ts, which puts this object in the bundle (an esbuild `define`).
 */
declare const DASHBOARD_DOCUMENT_IDS: Record<DocumentName, string>;

/**
 * A persisted document: an id and no definitions. For such a document urql sends `documentId` and
 * no `query` (its makeFetchBody), over HTTP (GET `?documentId=…&variables=…`) and to
 * forwardSubscription below; no operationName either (urql reads it from the definitions): the
 * server takes the operation, its name and type from the trusted text.
 */
const persisted = (name: DocumentName): PersistedDocument => ({
  kind: 'Document' as Kind.DOCUMENT,
  definitions: [],
  documentId: DASHBOARD_DOCUMENT_IDS[name],
});

const VIEWER_QUERY = persisted('VIEWER_QUERY');
const QUEUE_QUERY = persisted('QUEUE_QUERY');
const INCIDENT_QUERY = persisted('INCIDENT_QUERY');
const INCIDENT_CHANGED_SUBSCRIPTION = persisted('INCIDENT_CHANGED_SUBSCRIPTION');
const BANNER_SUBSCRIPTION = persisted('BANNER_SUBSCRIPTION');
const ACTION_CHANGED_SUBSCRIPTION = persisted('ACTION_CHANGED_SUBSCRIPTION');

interface Row {
  id: string;
  number: number;
  version: number;
  title: string;
  severity: string;
  status: string;
  assignment: string;
  updatedAt: string;
  tenant: { name: string };
}
interface Card {
  id: string;
  kind: string;
  title: string;
  status: string;
  performedBy: string | null;
  failureReason: string | null;
  skipReason: string | null;
  updatedAt: string;
}
interface Detail extends Row {
  managedResponse: { publishedAt: string; actions: Card[] } | null;
}
interface IncidentEvent {
  eventId: string;
  incident: Row;
}

const TOKEN_KEY = 'mdr.dashboard.token';
const QUEUE_SIZE = 50;

// ---------------------------------------------------------------- DOM helpers (text only)

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children); // strings become text nodes
  return node;
}

/** "AWAITING_CUSTOMER_ACTION" → "Awaiting customer action" */
const words = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, ' ');
/** An enum value as a CSS class suffix (enum values only ever hold these characters). */
const cls = (value: string) => value.replace(/[^A-Z_]/g, '');
const badge = (prefix: string, value: string) => el('span', `badge ${prefix}-${cls(value)}`, words(value));

function time(iso: string) {
  const t = el('time', '', new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }));
  t.dateTime = iso;
  return t;
}

// ---------------------------------------------------------------- the session: urql + graphql-ws

interface Session {
  token: string;
  urql: Client;
  ws: WsClient;
  stops: (() => void)[];
}

let session: Session | null = null;

const isAuthClose = (e: unknown): e is { code: number; reason: string } =>
  typeof e === 'object' && e !== null && 'code' in e && ((e as { code: number }).code === 4401 || (e as { code: number }).code === 4403);

function openSession(token: string): Session {
  const ws = createWsClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    // reconnect for ever (with graphql-ws's randomised back-off), except when the token is refused
    retryAttempts: Infinity,
    shouldRetry: (e) => !isAuthClose(e),
  });
  const urql = new Client({
    url: '/graphql',
    // a live view: every query asks the server (no document cache to go stale)
    requestPolicy: 'network-only',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        // `request` is urql's fetch body: { documentId, variables } without `query`. graphql-ws
        // requires the field: an empty one, next to the id, is how the server takes a persisted document.
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  const s: Session = { token, urql, ws, stops: [] };
  s.stops.push(
    ws.on('connecting', () => setConnection('connecting', 'connecting…')),
    ws.on('connected', (_socket, _payload, wasRetry) => {
      setConnection('live', 'live');
      // events sent while we were away are not replayed here: reload what is on screen
      if (wasRetry && session === s) {
        void loadQueue();
        if (selectedId) void loadDetail();
      }
    }),
    ws.on('closed', (event) => {
      if (session !== s) return;
      if (isAuthClose(event)) signOut(`The server closed the connection: ${event.reason || 'access lost'}`);
      else setConnection('down', 'reconnecting…');
    }),
  );
  return s;
}

/** Start a subscription through urql; returns its stop function. */
function live<T>(s: Session, query: PersistedDocument, variables: Record<string, unknown>, onData: (data: T) => void): () => void {
  const { unsubscribe } = s.urql.subscription<T>(query, variables).subscribe((result) => {
    if (session !== s) return;
    if (result.error) showNotice(describe(result.error));
    else if (result.data) onData(result.data);
  });
  return unsubscribe;
}

function describe(error: CombinedError): string {
  const codes = error.graphQLErrors.map((e) => e.extensions?.code).filter(Boolean);
  return codes.length ? `${error.graphQLErrors[0].message} (${codes.join(', ')})` : error.message;
}

const isUnauthenticated = (error: CombinedError) =>
  error.response?.status === 401 || error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');

function setConnection(state: 'connecting' | 'live' | 'down', text: string) {
  const conn = byId('conn');
  conn.className = `conn ${state}`;
  conn.textContent = text;
}

function showNotice(text: string) {
  byId('notice').textContent = text;
}

// ---------------------------------------------------------------- sign in / out

async function signIn(token: string, remembered: boolean) {
  teardown();
  byId('login').hidden = true;
  setConnection('connecting', 'connecting…');
  const s = openSession(token);
  session = s;
  byId('login-error').textContent = '';
  const viewer = await s.urql
    .query<{ viewer: { role: string; principal: { name: string }; tenant: { name: string } | null } }>(VIEWER_QUERY, {})
    .toPromise();
  if (session !== s) return;
  if (viewer.error || !viewer.data) {
    const refused = viewer.error ? isUnauthenticated(viewer.error) : false;
    signOut(refused ? 'The token was refused (unknown, revoked or expired).' : `Could not load the dashboard: ${viewer.error ? describe(viewer.error) : 'no data'}`, refused || !remembered);
    if (!refused) byId<HTMLInputElement>('token').value = token;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  const v = viewer.data.viewer;
  byId('who').textContent = `${v.principal.name} · ${words(v.role)}${v.tenant ? ` · ${v.tenant.name}` : ''}`;
  document.body.classList.toggle('expert', v.role === 'EXPERT');
  byId('login').hidden = true;
  byId('dashboard').hidden = false;
  byId('forget').hidden = false;
  showNotice('');

  // subscribe first, then load: the banner's first event (the current counts) shows the socket is
  // up and the subscriptions sent before it are registered, so no change falls between the
  // queue's query and its live updates (without a WebSocket, the queue still loads, after 3 s)
  let bannerLive!: () => void;
  const firstBanner = new Promise<void>((resolve) => (bannerLive = resolve));
  s.stops.push(
    live<{ incidentChanged: IncidentEvent }>(s, INCIDENT_CHANGED_SUBSCRIPTION, {}, (d) => onIncidentEvent(d.incidentChanged)),
    live<{ managedResponseSummaryChanged: { awaitingCustomerAction: number; investigating: number } }>(s, BANNER_SUBSCRIPTION, {}, (d) => {
      byId('awaiting').textContent = String(d.managedResponseSummaryChanged.awaitingCustomerAction);
      byId('investigating').textContent = String(d.managedResponseSummaryChanged.investigating);
      bannerLive();
    }),
  );
  await Promise.race([firstBanner, new Promise((r) => setTimeout(r, 3_000))]);
  if (session !== s) return;
  await loadQueue();
  selectFromHash();
}

/** Back to the login form, with a message; `forget` also drops the stored token. */
function signOut(message: string | null, forget = true) {
  teardown();
  if (forget) sessionStorage.removeItem(TOKEN_KEY);
  byId('login').hidden = false;
  byId<HTMLInputElement>('token').value = '';
  byId('login-error').textContent = message ?? '';
}

/** Close the connection and clear what the page shows. */
function teardown() {
  if (session) {
    for (const stop of session.stops) stop();
    stopDetail();
    session.ws.dispose();
    session = null;
  }
  rows = new Map();
  total = 0;
  buffered = null;
  selectedId = null;
  byId('queue').querySelector('tbody')!.replaceChildren();
  byId('cards').replaceChildren();
  byId('detail').hidden = true;
  byId('awaiting').textContent = '–';
  byId('investigating').textContent = '–';
  byId('who').textContent = '';
  byId('conn').className = 'conn';
  byId('conn').textContent = '';
  byId('dashboard').hidden = true;
  byId('forget').hidden = true;
  showNotice('');
}

// ---------------------------------------------------------------- the queue

let rows = new Map<string, Row>();
let total = 0;
/** Events that arrive while the queue query runs, applied on top of its result. */
let buffered: IncidentEvent[] | null = null;
let queueGeneration = 0;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;
const changed = new Set<string>();

function currentFilter() {
  const status = byId<HTMLSelectElement>('status-filter').value;
  const severity = byId<HTMLSelectElement>('severity-filter').value;
  return { status, severity };
}

const matches = (row: Row) => {
  const f = currentFilter();
  return (!f.status || row.status === f.status) && (!f.severity || row.severity === f.severity);
};

async function loadQueue() {
  const s = session;
  if (!s) return;
  const generation = ++queueGeneration;
  buffered ??= [];
  const f = currentFilter();
  const filter = { ...(f.status ? { status: [f.status] } : {}), ...(f.severity ? { severity: [f.severity] } : {}) };
  const result = await s.urql
    .query<{ incidents: { totalCount: number; nodes: Row[] } }>(QUEUE_QUERY, { filter })
    .toPromise();
  if (session !== s || generation !== queueGeneration) return;
  const pending = buffered ?? [];
  buffered = null;
  if (result.error || !result.data) {
    showNotice(`Could not load the queue: ${result.error ? describe(result.error) : 'no data'}`);
    return;
  }
  rows = new Map(result.data.incidents.nodes.map((n) => [n.id, n]));
  total = result.data.incidents.totalCount;
  for (const event of pending) applyIncident(event.incident);
  renderQueue();
}

function scheduleQueueReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => void loadQueue(), 500);
}

function onIncidentEvent(event: IncidentEvent) {
  if (buffered) buffered.push(event);
  else {
    applyIncident(event.incident);
    renderQueue();
  }
  if (event.incident.id === selectedId) scheduleDetailReload();
}

/** Apply an incident's new state to the list: update it, add it, or drop it when it left the filter. */
function applyIncident(incident: Row) {
  const before = rows.get(incident.id);
  if (before && before.version > incident.version) return; // an older state than the one shown
  const complete = rows.size === total;
  if (matches(incident)) {
    rows.set(incident.id, incident);
    changed.add(incident.id);
    // a new row: count it, unless the list was cut at QUEUE_SIZE (it may have been counted already)
    if (!before) {
      if (complete) total += 1;
      else scheduleQueueReload();
    }
  } else if (before) {
    rows.delete(incident.id);
    total -= 1;
  }
}

function renderQueue() {
  const sorted = [...rows.values()].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : b.number - a.number));
  const trs = sorted.slice(0, QUEUE_SIZE).map((row) => {
    const link = el('a', '', row.title);
    link.href = `#incident=${encodeURIComponent(row.id)}`;
    const tr = el(
      'tr',
      [row.id === selectedId ? 'selected' : '', changed.has(row.id) ? 'flash' : ''].join(' ').trim(),
      el('td', '', `#${row.number}`),
      el('td', 'title', link),
      el('td', '', badge('sev', row.severity)),
      el('td', 'status', badge('st', row.status)),
      el('td', '', words(row.assignment)),
      el('td', 'tenant-col', row.tenant.name),
      el('td', '', time(row.updatedAt)),
    );
    tr.dataset.id = row.id;
    tr.dataset.number = String(row.number);
    tr.dataset.status = row.status;
    return tr;
  });
  changed.clear();
  byId('queue').querySelector('tbody')!.replaceChildren(...trs);
  byId('queue-count').textContent = `${total} incident${total === 1 ? '' : 's'}${total > trs.length ? `, latest ${trs.length} shown` : ''}`;
  byId('queue-empty').hidden = trs.length > 0;
}

// ---------------------------------------------------------------- the selected incident and its cards

let selectedId: string | null = null;
let detail: Detail | null = null;
let cards = new Map<string, Card>();
let cardOrder: string[] = [];
let stopCards: (() => void) | null = null;
let detailTimer: ReturnType<typeof setTimeout> | undefined;
let detailGeneration = 0;

function selectFromHash() {
  const m = /^#incident=(.+)$/.exec(location.hash);
  select(m ? decodeURIComponent(m[1]) : null);
}

function stopDetail() {
  stopCards?.();
  stopCards = null;
  clearTimeout(detailTimer);
  detail = null;
  cards = new Map();
  cardOrder = [];
}

function select(id: string | null) {
  const s = session;
  if (!s || id === selectedId) return;
  stopDetail();
  selectedId = id;
  renderQueue();
  if (!id) {
    byId('detail').hidden = true;
    return;
  }
  byId('detail-title').textContent = 'Loading…';
  byId('detail-meta').replaceChildren();
  byId('cards').replaceChildren();
  byId('cards-empty').textContent = '';
  byId('detail').hidden = false;
  // subscribe first, then load: a change between the two is not lost
  stopCards = live<{ actionChanged: Card }>(s, ACTION_CHANGED_SUBSCRIPTION, { incidentId: id }, (d) => {
    applyCard(d.actionChanged);
    renderDetail();
  });
  void loadDetail();
}

async function loadDetail() {
  const s = session;
  const id = selectedId;
  if (!s || !id) return;
  const generation = ++detailGeneration;
  const result = await s.urql.query<{ node: Detail | null }>(INCIDENT_QUERY, { id }).toPromise();
  if (session !== s || id !== selectedId || generation !== detailGeneration) return;
  if (result.error) {
    showNotice(`Could not load the incident: ${describe(result.error)}`);
    return;
  }
  const node = result.data?.node;
  if (!node?.id) {
    // another tenant's id reads exactly like one that does not exist
    detail = null;
    byId('detail-title').textContent = 'Incident not found';
    byId('cards-empty').textContent = 'It does not exist, or your token may not read it.';
    return;
  }
  detail = node;
  const listed = node.managedResponse?.actions ?? [];
  for (const card of listed) applyCard(card);
  cardOrder = [...listed.map((c) => c.id), ...cardOrder.filter((id) => !listed.some((c) => c.id === id))];
  renderDetail();
}

function scheduleDetailReload() {
  clearTimeout(detailTimer);
  detailTimer = setTimeout(() => void loadDetail(), 200);
}

function applyCard(card: Card) {
  const before = cards.get(card.id);
  if (before && before.updatedAt > card.updatedAt) return;
  cards.set(card.id, card);
  if (!cardOrder.includes(card.id)) cardOrder.push(card.id);
}

function renderDetail() {
  if (!detail) return;
  const shown = rows.get(detail.id);
  const d = shown && shown.version > detail.version ? { ...detail, ...shown } : detail;
  byId('detail-title').textContent = `#${d.number} ${d.title}`;
  byId('detail-meta').replaceChildren(
    badge('sev', d.severity),
    ' ',
    badge('st', d.status),
    ` · assigned to ${words(d.assignment).toLowerCase()}`,
    d.managedResponse ? ' · managed response published ' : '',
    d.managedResponse ? time(d.managedResponse.publishedAt) : '',
  );
  const items = cardOrder.map((id) => {
    const card = cards.get(id)!;
    const note = [
      card.performedBy ? `performed by ${card.performedBy === 'EXPERTS' ? 'the experts' : 'the customer'}` : '',
      card.failureReason ? `failed: ${card.failureReason}` : '',
      card.skipReason ? `skipped: ${card.skipReason}` : '',
    ].filter(Boolean);
    const li = el(
      'li',
      '',
      el('strong', '', card.title || words(card.kind)),
      badge('st', card.status),
      el('span', 'sub', [card.title && card.title !== words(card.kind) ? words(card.kind) : '', ...note].filter(Boolean).join(' · ')),
    );
    li.dataset.id = card.id;
    li.dataset.status = card.status;
    return li;
  });
  byId('cards').replaceChildren(...items);
  byId('cards-empty').textContent = items.length ? '' : d.managedResponse ? 'No actions.' : 'No managed response published yet.';
}

// ---------------------------------------------------------------- wiring

function main() {
  byId('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = byId<HTMLInputElement>('token').value.trim();
    if (token) void signIn(token, false);
  });
  byId('forget').addEventListener('click', () => signOut('Token forgotten.'));
  for (const id of ['status-filter', 'severity-filter']) {
    byId(id).addEventListener('change', () => void loadQueue());
  }
  window.addEventListener('hashchange', selectFromHash);
  const remembered = sessionStorage.getItem(TOKEN_KEY);
  if (remembered) void signIn(remembered, true);
  else signOut(null, false);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
