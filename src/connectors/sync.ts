// Sync connectors: the customer's ServiceNow (Table API) and Microsoft Sentinel (incidents API)
// kept in step with an incident. Each call sends the incident's current state (so a retry or a
// late call never sets an older state) plus the work notes of the events that caused it.
//
// ServiceNow: find the ticket (ours, or one with our correlation_id, in case a create committed
// there but not here), create it if there is none (POST /api/now/table/incident), else PATCH it;
// notes go in as work_notes. Sentinel: GET the matching incident (its name is our externalId),
// then PUT it with its etag; on 412 (someone else changed it) read again and retry.
import { sentinelView, serviceNowView, type ServiceNowMapping } from './siem';
import { DeliveryError, failedAnswer, HttpDeliveryError, outboundRequest, type HttpAnswer } from './http';
import type { IncidentRow } from '../db/schema';

export type Credentials = { username: string; password: string } | { token: string };

export interface SyncTarget {
  baseUrl: string;
  credentials: Credentials;
  mapping: Record<string, Record<string, string>>;
  timeoutMs: number;
  allowPrivate: boolean;
  providerName: string;
}

export interface SyncOutcome {
  externalId: string;
  number: string | null;
  url: string | null;
  /** Sentinel: the labels we set (removed next time if no longer ours). */
  labels?: string[];
  answer: HttpAnswer;
}

const auth = (c: Credentials) =>
  'token' in c ? `Bearer ${c.token}` : `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;

function headers(t: SyncTarget): Record<string, string> {
  return { authorization: auth(t.credentials), accept: 'application/json', 'content-type': 'application/json' };
}

const base = (u: string) => u.replace(/\/+$/, '');

function json(a: HttpAnswer): any {
  try {
    return JSON.parse(a.body);
  } catch {
    throw new DeliveryError(`unexpected answer (not JSON, HTTP ${a.status}): ${a.excerpt.slice(0, 200)}`, false);
  }
}

export async function syncServiceNow(
  t: SyncTarget,
  incident: IncidentRow,
  correlationId: string,
  workNotes: string[],
  ticket: { externalId: string } | null,
): Promise<SyncOutcome> {
  const what = 'ServiceNow';
  const opts = { timeoutMs: t.timeoutMs, allowPrivate: t.allowPrivate, what };
  const table = `${base(t.baseUrl)}/api/now/table/incident`;
  const fields = { ...serviceNowView(incident, correlationId, t.mapping as ServiceNowMapping), ...(workNotes.length ? { work_notes: workNotes.join('\n\n') } : {}) };
  const search = async (): Promise<string | null> => {
    // a create that committed in ServiceNow but not here (a crash between the two) is found again
    const found = await outboundRequest(`${table}?sysparm_query=${encodeURIComponent(`correlation_id=${correlationId}`)}&sysparm_limit=1&sysparm_fields=sys_id,number`, { method: 'GET', headers: headers(t) }, opts);
    if (found.status !== 200) throw failedAnswer(what, found);
    const list = json(found).result;
    if (!Array.isArray(list)) throw new DeliveryError('ServiceNow search answered without a result list', false);
    return list[0]?.sys_id ?? null;
  };
  const write = (sysId: string | null) =>
    sysId
      ? outboundRequest(`${table}/${encodeURIComponent(sysId)}`, { method: 'PATCH', headers: headers(t), body: JSON.stringify(fields) }, opts)
      : outboundRequest(table, { method: 'POST', headers: headers(t), body: JSON.stringify(fields) }, opts);
  let sysId = ticket?.externalId ?? (await search());
  let answer = await write(sysId);
  if (answer.status === 404 && ticket) {
    // the ticket we knew is gone there (deleted, or another instance): find or create it again
    sysId = await search();
    answer = await write(sysId);
  }
  if (answer.status < 200 || answer.status >= 300) throw failedAnswer(what, answer);
  const result = json(answer).result ?? {};
  const id = String(result.sys_id ?? sysId ?? '');
  if (!id) throw new DeliveryError('ServiceNow answered without a sys_id', false);
  return { externalId: id, number: result.number ?? null, url: `${base(t.baseUrl)}/nav_to.do?uri=incident.do?sys_id=${encodeURIComponent(id)}`, answer };
}

export async function syncSentinel(t: SyncTarget, incident: IncidentRow, previousLabels: readonly string[] = []): Promise<SyncOutcome> {
  const what = 'Sentinel';
  const opts = { timeoutMs: t.timeoutMs, allowPrivate: t.allowPrivate, what };
  if (!incident.externalId) throw new DeliveryError('Sentinel: the incident has no externalId, so no Sentinel incident matches it', true);
  const url = `${base(t.baseUrl)}/${encodeURIComponent(incident.externalId)}?api-version=2023-02-01`;
  const view = sentinelView(incident, t.providerName);
  let last: HttpAnswer | null = null;
  for (let round = 0; round < 3; round++) {
    const current = await outboundRequest(url, { method: 'GET', headers: headers(t) }, opts);
    if (current.status === 404) throw new HttpDeliveryError(`Sentinel has no incident ${incident.externalId}`, true, current);
    if (current.status !== 200) throw failedAnswer(what, current);
    const existing = json(current);
    // Sentinel's own labels stay; ours are replaced (a tag removed here goes there too)
    const ours = new Set([...view.labels, ...previousLabels, 'Awaiting Customer Action']);
    const keep = ((existing.properties?.labels ?? []) as { labelName: string }[]).filter((l) => !ours.has(l.labelName));
    const properties = {
      ...existing.properties,
      status: view.status,
      // the whole owner: Sentinel goes by objectId, so a previous analyst's must not linger
      owner: view.owner ? { assignedTo: view.owner, objectId: null, email: null, userPrincipalName: null } : {},
      labels: [...keep, ...view.labels.map((labelName) => ({ labelName, labelType: 'User' }))],
      ...(view.status === 'Closed'
        ? { classification: view.classification, classificationReason: view.classificationReason ?? undefined, classificationComment: incident.resolvingComment ?? undefined }
        : {}),
    };
    const answer = await outboundRequest(
      url,
      { method: 'PUT', headers: { ...headers(t), 'if-match': String(existing.etag ?? '') }, body: JSON.stringify({ etag: existing.etag, properties }) },
      opts,
    );
    last = answer;
    if (answer.status === 412) continue; // changed under us: read it again
    if (answer.status < 200 || answer.status >= 300) throw failedAnswer(what, answer);
    return {
      externalId: incident.externalId,
      number: existing.properties?.incidentNumber != null ? String(existing.properties.incidentNumber) : null,
      url: existing.properties?.incidentUrl ?? null,
      labels: view.labels,
      answer,
    };
  }
  // someone keeps changing it: try again later
  throw failedAnswer(what, last!, { retryAll: true });
}
