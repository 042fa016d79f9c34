// Per-incident SLA times (SPEC.md section 8), from the activity log, the one source of truth.
//
// `foldSla` reads an incident's entries in order and says which timestamps count:
//   acknowledged  the first status → IN_PROGRESS (the experts started the investigation)
//   classified    the first classification other than UNKNOWN (a reopen that clears the verdict
//                 does not reset it: the customer was told a verdict then)
//   published     the first managedResponse → published (amendments do not count)
//   resolved      the LAST status → RESOLVED, while the incident is still resolved (a reopen
//                 clears it until the next resolution); kept when a resolved incident is merged
//   customer      the sum of the AWAITING_CUSTOMER_ACTION episodes, each from entering that
//                 status to leaving it (a merge ends an episode without counting it)
//   acknowledge clock: stops when the incident leaves ACTIVE (acknowledged, suppressed, merged)
// A REDIRECTED (merged) incident gets nothing after the merge; its target keeps its own times.
//
// The rollup table incident_sla holds the fold's result per incident: `applySlaEntries` folds each
// write's new entries onto the stored row in the write's transaction (called by writeOutboxes),
// `recomputeSla` folds the whole log again (the backfill, and the test that compares the two).
import { and, asc, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Database, DbOrTx, Tx } from '../db/client';
import { columnList, param, rowOf, Statement } from '../db/statement';
import { activity, incidents, incidentSla, type ActivityRow, type IncidentRow, type IncidentSlaRow } from '../db/schema';
import type { Severity } from './enums';

/** Acknowledge targets per severity, in seconds (SPEC.md section 8's defaults; INFORMATIONAL: a day). */
export const ACKNOWLEDGE_TARGETS: Record<Severity, number> = {
  HIGH: 30 * 60,
  MEDIUM: 2 * 3600,
  LOW: 8 * 3600,
  INFORMATIONAL: 24 * 3600,
};

/** The activity fields that move an SLA time or a column the metrics group by. */
const SLA_FIELDS = new Set(['status', 'classification', 'determination', 'managedResponse', 'severity']);

export type SlaTimes = Pick<
  IncidentSlaRow,
  'acknowledgedAt' | 'leftActiveAt' | 'classifiedAt' | 'publishedAt' | 'resolvedAt' | 'awaitingSince' | 'customerResponseMs'
>;

export const emptySlaTimes = (): SlaTimes => ({
  acknowledgedAt: null,
  leftActiveAt: null,
  classifiedAt: null,
  publishedAt: null,
  resolvedAt: null,
  awaitingSince: null,
  customerResponseMs: null,
});

type Entry = Pick<ActivityRow, 'field' | 'fromValue' | 'toValue' | 'createdAt'>;

/** Fold entries (in log order) onto the times so far. Pure: the rollup and the recomputation share it. */
export function foldSla(start: SlaTimes, entries: readonly Entry[]): SlaTimes {
  // (only the times: `start` may be a whole stored row)
  const t: SlaTimes = {
    acknowledgedAt: start.acknowledgedAt,
    leftActiveAt: start.leftActiveAt,
    classifiedAt: start.classifiedAt,
    publishedAt: start.publishedAt,
    resolvedAt: start.resolvedAt,
    awaitingSince: start.awaitingSince,
    customerResponseMs: start.customerResponseMs,
  };
  for (const e of entries) {
    const at = e.createdAt;
    if (e.field === 'classification') {
      if (!t.classifiedAt && e.toValue && e.toValue !== 'UNKNOWN') t.classifiedAt = at;
    } else if (e.field === 'managedResponse') {
      if (!t.publishedAt && e.toValue === 'published') t.publishedAt = at;
    } else if (e.field === 'status') {
      const from = e.fromValue;
      const to = e.toValue;
      if (from === 'ACTIVE') t.leftActiveAt = at;
      if (to === 'ACTIVE') t.leftActiveAt = null;
      if (to === 'IN_PROGRESS' && !t.acknowledgedAt) t.acknowledgedAt = at;
      if (from === 'AWAITING_CUSTOMER_ACTION' && t.awaitingSince) {
        if (to !== 'REDIRECTED') t.customerResponseMs = (t.customerResponseMs ?? 0) + Math.max(0, at.getTime() - t.awaitingSince.getTime());
        t.awaitingSince = null;
      }
      if (to === 'AWAITING_CUSTOMER_ACTION') t.awaitingSince = at;
      if (to === 'RESOLVED') t.resolvedAt = at;
      else if (to !== 'REDIRECTED') t.resolvedAt = null;
    }
  }
  return t;
}

/** The rollup row of an incident: its current values, and its times. */
function rollupRow(i: Pick<IncidentRow, 'id' | 'tenantId' | 'severity' | 'status' | 'classification' | 'determination' | 'createdAt'>, times: SlaTimes) {
  return {
    incidentId: i.id,
    tenantId: i.tenantId,
    severity: i.severity,
    status: i.status,
    classification: i.classification,
    determination: i.determination,
    createdAt: i.createdAt,
    ...times,
    updatedAt: new Date(),
  };
}

const upsert = (tx: DbOrTx, rows: ReturnType<typeof rollupRow>[]) =>
  tx
    .insert(incidentSla)
    .values(rows)
    .onConflictDoUpdate({
      target: incidentSla.incidentId,
      set: Object.fromEntries(
        (['severity', 'status', 'classification', 'determination', 'createdAt', 'acknowledgedAt', 'leftActiveAt', 'classifiedAt', 'publishedAt', 'resolvedAt', 'awaitingSince', 'customerResponseMs', 'updatedAt'] as const).map(
          (k) => [k, sql.raw(`excluded.${incidentSla[k].name}`)],
        ),
      ),
    });

const incidentColumns = {
  id: incidents.id,
  tenantId: incidents.tenantId,
  severity: incidents.severity,
  status: incidents.status,
  classification: incidents.classification,
  determination: incidents.determination,
  createdAt: incidents.createdAt,
};

/**
 * The rollup's write path (writeOutboxes calls it with every write's entries, in its transaction,
 * before they are inserted: ActivityLog.preview): fold the new entries onto the stored rows.
 * Writes that move no SLA field cost nothing; the others two statements, whatever the number of
 * incidents. An incident without a row yet (just created, or from before the rollup existed) is
 * folded from its whole log: what is written, then these entries.
 */
export async function applySlaEntries(tx: Tx, entries: readonly ActivityRow[], stored?: Promise<StoredRollup[]> | null): Promise<void> {
  const relevant = entries.filter((e) => e.incidentId && SLA_FIELDS.has(e.field));
  if (relevant.length === 0) return;
  const rows = await (stored ?? readSlaRollup(tx, relevant))!;
  const fresh = rows.filter((r) => !r.sla).map((r) => r.incident.id);
  const logs = fresh.length > 0 ? await logsOf(tx, fresh) : new Map<string, Entry[]>();
  const out = rows.map(({ incident, sla }) =>
    rollupRow(incident, sla ? foldSla(sla, relevant.filter((e) => e.incidentId === incident.id)) : foldSla(emptySlaTimes(), [...(logs.get(incident.id) ?? []), ...relevant.filter((e) => e.incidentId === incident.id)])),
  );
  if (out.length > 0) await upsertPrepared(tx, out);
}

type StoredRollup = { incident: Pick<IncidentRow, keyof typeof incidentColumns>; sla: IncidentSlaRow | null };

/**
 * The stored rows applySlaEntries folds onto: it depends only on which incidents the entries are
 * about (not on their time), so a write can send it before it knows `now()` (pipelined with its
 * first statement: writeOutboxes). Null when the entries move no SLA field.
 */
export function readSlaRollup(tx: Tx, entries: readonly Pick<ActivityRow, 'incidentId' | 'field'>[]): Promise<StoredRollup[]> | null {
  const ids = [...new Set(entries.filter((e) => e.incidentId && SLA_FIELDS.has(e.field)).map((e) => e.incidentId!))];
  if (ids.length === 0) return null;
  return ROLLUP_READ.run(tx, { ids }).then((raws) =>
    raws.map((raw) => ({
      incident: rowOf<StoredRollup['incident']>(incidentColumns, raw),
      sla: raw.s_present ? rowOf<IncidentSlaRow>(slaColumns, Object.fromEntries(Object.values(slaColumns).map((c) => [c.name, raw[`s_${c.name}`]]))) : null,
    })),
  );
}

// The write path's two statements run on every write that moves an SLA field: fixed texts,
// prepared (src/db/statement.ts). The incidents' columns the rollup keeps, and their stored rows.
const slaColumns = getTableColumns(incidentSla);
const ROLLUP_READ = new Statement<Record<string, unknown>>(
  'sla_rollup_read',
  () => sql`
    select ${columnList(incidentColumns, 'i')}, s.incident_id is not null as s_present,
           ${sql.raw(Object.values(slaColumns).map((c) => `s."${c.name}" as "s_${c.name}"`).join(', '))}
      from incidents i left join incident_sla s on s.incident_id = i.id
     where i.id = any(${param('ids')}::uuid[])`,
);
const TIMES = ['acknowledgedAt', 'leftActiveAt', 'classifiedAt', 'publishedAt', 'resolvedAt', 'awaitingSince'] as const;
const ROLLUP_WRITE = new Statement(
  'sla_rollup_write',
  () => sql`
    insert into incident_sla (incident_id, tenant_id, severity, status, classification, determination, created_at,
                              ${sql.raw(TIMES.map((k) => incidentSla[k].name).join(', '))}, customer_response_ms, updated_at)
    select incident_id, tenant_id, severity::severity, status::incident_status, classification::classification, determination::determination,
           created_at::timestamptz, ${sql.raw(TIMES.map((k) => `${incidentSla[k].name}::timestamptz`).join(', '))}, customer_response_ms, updated_at::timestamptz
      from unnest(${param('incident')}::uuid[], ${param('tenant')}::uuid[], ${param('severity')}::text[], ${param('status')}::text[],
                  ${param('classification')}::text[], ${param('determination')}::text[], ${param('created')}::text[],
                  ${sql.join(TIMES.map((k) => sql`${param(k)}::text[]`), sql`, `)}, ${param('customerMs')}::bigint[], ${param('updated')}::text[])
           as x(incident_id, tenant_id, severity, status, classification, determination, created_at,
                ${sql.raw(TIMES.map((k) => incidentSla[k].name).join(', '))}, customer_response_ms, updated_at)
    on conflict (incident_id) do update set
      ${sql.raw(
        ['severity', 'status', 'classification', 'determination', 'created_at', ...TIMES.map((k) => incidentSla[k].name), 'customer_response_ms', 'updated_at']
          .map((c) => `${c} = excluded.${c}`)
          .join(', '),
      )}`,
);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

function upsertPrepared(tx: Tx, rows: ReturnType<typeof rollupRow>[]) {
  return ROLLUP_WRITE.run(tx, {
    incident: rows.map((r) => r.incidentId),
    tenant: rows.map((r) => r.tenantId),
    severity: rows.map((r) => r.severity),
    status: rows.map((r) => r.status),
    classification: rows.map((r) => r.classification),
    determination: rows.map((r) => r.determination),
    created: rows.map((r) => iso(r.createdAt)),
    ...Object.fromEntries(TIMES.map((k) => [k, rows.map((r) => iso(r[k]))])),
    customerMs: rows.map((r) => r.customerResponseMs),
    updated: rows.map((r) => iso(r.updatedAt)),
  });
}

async function logsOf(db: DbOrTx, incidentIds: string[]): Promise<Map<string, Entry[]>> {
  const entries = await db
    .select({ incidentId: activity.incidentId, field: activity.field, fromValue: activity.fromValue, toValue: activity.toValue, createdAt: activity.createdAt })
    .from(activity)
    .where(and(inArray(activity.incidentId, incidentIds), inArray(activity.field, [...SLA_FIELDS])))
    .orderBy(asc(activity.incidentId), asc(activity.id));
  const map = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = map.get(e.incidentId!) ?? [];
    list.push(e);
    map.set(e.incidentId!, list);
  }
  return map;
}

/** The rollup rows these incidents' whole logs give (nothing written). */
export async function computeSla(db: DbOrTx, incidentIds: readonly string[]): Promise<ReturnType<typeof rollupRow>[]> {
  if (incidentIds.length === 0) return [];
  const rows = await db.select(incidentColumns).from(incidents).where(inArray(incidents.id, [...incidentIds]));
  const logs = await logsOf(db, rows.map((r) => r.id));
  return rows.map((i) => rollupRow(i, foldSla(emptySlaTimes(), logs.get(i.id) ?? [])));
}

/** Recompute and store these incidents' rows from their activity logs alone. */
export async function recomputeSla(db: DbOrTx, incidentIds: readonly string[]): Promise<void> {
  const rows = await computeSla(db, incidentIds);
  if (rows.length > 0) await upsert(db, rows);
}

/**
 * At start: a row for every incident that has none (created before the rollup existed, or
 * inserted outside the domain's write path), in batches. Idempotent; a no-op once done.
 */
export async function backfillSla(database: Database, batch = 1000): Promise<number> {
  let done = 0;
  for (;;) {
    const missing = await database.query<{ id: string }>(
      `select i.id from incidents i where not exists (select 1 from incident_sla s where s.incident_id = i.id) limit ${batch}`,
    );
    if (missing.length === 0) return done;
    await database.transaction(async (tx) => {
      const rows = await computeSla(tx, missing.map((m) => m.id));
      if (rows.length > 0) await tx.insert(incidentSla).values(rows).onConflictDoNothing();
    });
    done += missing.length;
  }
}

/** What Incident.sla shows: seconds from creation, the target, and whether it was missed. */
export interface IncidentSla {
  timeToAcknowledge: number | null;
  timeToClassify: number | null;
  timeToPublish: number | null;
  timeToResolve: number | null;
  customerResponseTime: number | null;
  acknowledgeTarget: number;
  breached: boolean;
}

const seconds = (from: Date, to: Date | null) => (to ? Math.max(0, Math.floor((to.getTime() - from.getTime()) / 1000)) : null);

export function slaOf(row: Pick<IncidentSlaRow, keyof SlaTimes | 'createdAt' | 'severity'>, now = new Date()): IncidentSla {
  const target = ACKNOWLEDGE_TARGETS[row.severity];
  // the acknowledge clock runs while the incident is ACTIVE (see the top of this file)
  const waited = (row.leftActiveAt ?? now).getTime() - row.createdAt.getTime();
  return {
    timeToAcknowledge: seconds(row.createdAt, row.acknowledgedAt),
    timeToClassify: seconds(row.createdAt, row.classifiedAt),
    timeToPublish: seconds(row.createdAt, row.publishedAt),
    timeToResolve: seconds(row.createdAt, row.resolvedAt),
    customerResponseTime: row.customerResponseMs == null ? null : Math.floor(row.customerResponseMs / 1000),
    acknowledgeTarget: target,
    breached: waited > target * 1000,
  };
}

/** The rollup rows of these incidents (the Incident.sla loader); an incident without one is computed from its log. */
export async function slaRowsOf(db: DbOrTx, incidentIds: readonly string[], tenantIds: readonly string[]): Promise<Map<string, IncidentSlaRow>> {
  if (incidentIds.length === 0 || tenantIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(incidentSla)
    .where(and(inArray(incidentSla.incidentId, [...incidentIds]), inArray(incidentSla.tenantId, [...tenantIds])));
  const map = new Map(rows.map((r) => [r.incidentId, r]));
  const missing = incidentIds.filter((id) => !map.has(id));
  for (const r of await computeSla(db, missing)) if (tenantIds.includes(r.tenantId)) map.set(r.incidentId, r);
  return map;
}
