// Bulk verdicts and edits (SPEC.md section 8): experts classify up to 100 incidents with one
// verdict and summary; customers and experts change tags, assignment and severity of up to 100.
// Only what concerns the whole call refuses the whole call, with nothing written: no ids, more
// than BULK_LIMIT, an id given twice, a bad verdict or bad tags. Every item then succeeds or fails
// on its own with its own user errors, and a success is exactly the single mutation's change: the
// item runs the single command's rules (classifyLockedIncident, updateLockedIncident), so the
// two cannot drift, and its activity entries become events, notifications and webhooks as usual.
//
// Cost: ONE transaction for the whole bulk, not one per item. Its incidents are locked in one
// statement (lockIncidents); each item runs in a savepoint (a nested tx.transaction: on
// postgres.js a failed statement otherwise aborts the whole transaction, see
// response/perform.ts startAttempt) with its own activity log, which joins the bulk's log only
// once the item succeeded. writeTransaction then flushes every entry at once, so the event-order
// lock, the activity insert, the notification and webhook outboxes and the commit are paid once
// per bulk; an item costs its savepoint, its update and little else (the reads an edit needs are
// memoised or preloaded: ChangeLookups). The price: the bulk's incidents stay locked until it
// commits (tens of milliseconds for 100), a wait single edits of those incidents may see.
import { inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { alerts, type IncidentRow } from '../db/schema';
import { ActivityLog, writeTransaction } from '../events/activity';
import { authorize } from './access';
import type { DomainContext } from './context';
import type { Assignment, Classification, Determination, Severity } from './enums';
import { DomainError, invalid, notFound } from './errors';
import { cleanIncidentChange, directLookups, lockIncidents, refuseRedirected, updateLockedIncident, type ChangeLookups } from './incidents';
import { UUID } from './pagination';
import type { SummaryInput } from './response/summary';
import { classifyLockedIncident, cleanVerdict, startLockedInvestigation } from './triage';
import { tags as cleanTags } from './validate';
import type { Viewer } from './viewer';

/** The most incidents one bulk call may name. */
export const BULK_LIMIT = 100;

/** The incidents a bulk names, in the caller's order. */
export interface BulkTargets {
  incidentIds: readonly string[];
  /**
   * Turns a given id into an incident uuid, or throws the item's INVALID_INPUT (the GraphQL layer
   * decodes global ids here); by default the ids are uuids already.
   */
  decodeId?: (id: string, field: string[]) => string;
}

/** One item's outcome: the incident after its change, or why it did not change. */
export interface BulkItemResult {
  /** The id as the caller gave it. */
  incidentId: string;
  incident: IncidentRow | null;
  errors: DomainError[];
}

export interface BulkResult {
  results: BulkItemResult[];
}

export interface BulkClassifyInput extends BulkTargets {
  classification: Classification;
  determination: Determination;
  summary: string;
  investigationSummary?: SummaryInput | null;
}

/**
 * One verdict for many incidents, each exactly as classifyIncident would classify it. An ACTIVE
 * incident is first taken under investigation by the expert (its own recorded step, as
 * startInvestigation would record it): closing untouched noise from the queue is what a bulk
 * verdict is for, and the audit trail still shows both steps.
 */
export async function bulkClassifyIncidents(ctx: DomainContext, input: BulkClassifyInput): Promise<BulkResult> {
  const viewer = authorize(ctx.viewer, 'bulkClassifyIncidents');
  const targets = bulkTargets(input);
  const verdict = cleanVerdict(input);
  return runBulk(ctx, viewer, targets, {
    apply: async (tx, log, current) => {
      const started = current.status === 'ACTIVE' ? await startLockedInvestigation(ctx, tx, log, current) : current;
      return classifyLockedIncident(ctx, tx, log, started, verdict);
    },
  });
}

export interface BulkUpdateInput extends BulkTargets {
  /** Tags added to each incident's own (those it has already stay once). */
  addTags?: string[] | null;
  /** Tags taken off each incident (those it does not have are ignored). */
  removeTags?: string[] | null;
  assignment?: Assignment | null;
  assigneeId?: string | null;
  severity?: Severity | null;
}

/** One edit for many incidents, each exactly as updateIncident would change it. */
export async function bulkUpdateIncidents(ctx: DomainContext, input: BulkUpdateInput): Promise<BulkResult> {
  const viewer = authorize(ctx.viewer, 'bulkUpdateIncidents');
  const targets = bulkTargets(input);
  const add = input.addTags?.length ? cleanTags(input.addTags, ['addTags']) : [];
  const remove = input.removeTags?.length ? cleanTags(input.removeTags, ['removeTags']) : [];
  const both = add.find((t) => remove.includes(t));
  if (both !== undefined) throw invalid(`"${both}" is both added and removed`, ['removeTags']);
  if (!add.length && !remove.length && !input.assignment && input.assigneeId === undefined && !input.severity) {
    throw invalid('Name a change: addTags, removeTags, assignment, assigneeId or severity');
  }
  const change = cleanIncidentChange({ assignment: input.assignment, assigneeId: input.assigneeId, severity: input.severity });
  const lookups = bulkLookups();
  return runBulk(ctx, viewer, targets, {
    // the alert counts a severity change needs, for every incident in one statement
    prepare: input.severity ? (tx, rows) => lookups.preloadAlertCounts(tx, rows) : undefined,
    apply: (tx, log, current) => {
      const tags =
        add.length || remove.length
          ? cleanTags([...current.customTags.filter((t) => !remove.includes(t)), ...add.filter((t) => !current.customTags.includes(t))], ['addTags'])
          : null;
      return updateLockedIncident(tx, log, current, { ...change, tags }, lookups);
    },
  });
}

interface Target {
  given: string;
  /** The incident uuid (lower case), or null when the given id is malformed. */
  id: string | null;
  error: DomainError | null;
}

const uuidOnly = (id: string, field: string[]) => {
  if (!UUID.test(id)) throw invalid('not a valid incident id', field);
  return id;
};

/** The whole-call checks of the ids: some, at most BULK_LIMIT, none twice. A malformed one is its item's error. */
function bulkTargets({ incidentIds, decodeId = uuidOnly }: BulkTargets): Target[] {
  if (incidentIds.length === 0) throw invalid('Name at least one incident', ['incidentIds']);
  if (incidentIds.length > BULK_LIMIT) {
    throw invalid(`At most ${BULK_LIMIT} incidents per call; ${incidentIds.length} were given`, ['incidentIds']);
  }
  const seen = new Map<string, number>();
  return incidentIds.map((given, i) => {
    const field = ['incidentIds', String(i)];
    let id: string | null = null;
    let error: DomainError | null = null;
    try {
      id = decodeId(given, field).toLowerCase();
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      error = err;
    }
    const key = id ?? `given:${given}`;
    const first = seen.get(key);
    if (first !== undefined) throw invalid(`incidentIds ${first} and ${i} name the same incident; name each once`, field);
    seen.set(key, i);
    return { given, id, error };
  });
}

/** Lookups shared by every item of one bulk: an assignee is looked up once per tenant, alert counts at once. */
function bulkLookups(): ChangeLookups & { preloadAlertCounts(tx: Tx, rows: IncidentRow[]): Promise<void> } {
  const sides = new Map<string, ReturnType<ChangeLookups['assigneeSide']>>();
  const counts = new Map<string, number>();
  return {
    assigneeSide(tx, tenantId, principalId) {
      const key = `${tenantId}:${principalId}`;
      let side = sides.get(key);
      if (!side) sides.set(key, (side = directLookups.assigneeSide(tx, tenantId, principalId)));
      return side;
    },
    async alertCount(tx, incidentId) {
      return counts.get(incidentId) ?? directLookups.alertCount(tx, incidentId);
    },
    async preloadAlertCounts(tx, rows) {
      if (rows.length === 0) return;
      for (const r of rows) counts.set(r.id, 0);
      const found = await tx
        .select({ incidentId: alerts.incidentId, n: sql<number>`count(*)::int` })
        .from(alerts)
        .where(inArray(alerts.incidentId, rows.map((r) => r.id)))
        .groupBy(alerts.incidentId);
      for (const f of found) counts.set(f.incidentId, Number(f.n));
    },
  };
}

/**
 * The bulk's one transaction: lock the named incidents, run each item in its own savepoint with
 * its own activity log, keep the entries of the items that succeeded (see the top of this file).
 * It may run twice (writeTransaction retries on a lost connection): the results are rebuilt inside.
 */
async function runBulk(
  ctx: DomainContext,
  viewer: Viewer,
  targets: Target[],
  steps: {
    prepare?: (tx: Tx, rows: IncidentRow[]) => Promise<void>;
    apply: (tx: Tx, log: ActivityLog, current: IncidentRow) => Promise<IncidentRow>;
  },
): Promise<BulkResult> {
  const ids = targets.flatMap((t) => (t.id ? [t.id] : []));
  const results = await writeTransaction(ctx, async (tx, log) => {
    const locked = await lockIncidents(tx, viewer, ids);
    if (locked.size > 0) await steps.prepare?.(tx, [...locked.values()]);
    const out: BulkItemResult[] = [];
    for (const [i, target] of targets.entries()) {
      const current = target.id ? locked.get(target.id) : undefined;
      if (!current) {
        // a foreign id is exactly a missing one (lockIncidents scopes by tenant)
        out.push({ incidentId: target.given, incident: null, errors: [target.error ?? notFound('Incident', ['incidentIds', String(i)])] });
        continue;
      }
      const itemLog = new ActivityLog();
      try {
        const incident = await tx.transaction(async (savepoint) => {
          // a merged incident is refused as lockIncident refuses it for a single command
          await refuseRedirected(savepoint, current, ['incidentIds', String(i)]);
          return steps.apply(savepoint, itemLog, current);
        });
        log.absorb(itemLog);
        out.push({ incidentId: target.given, incident, errors: [] });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        out.push({ incidentId: target.given, incident: null, errors: [err] });
      }
    }
    return out;
  });
  for (const r of results) if (r.incident) ctx.loaders.incident.clear(r.incident.id).prime(r.incident.id, r.incident);
  return { results };
}
