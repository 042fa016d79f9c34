// The monthly service report email (SPEC.md sections 6 and 8): from the first day of a month
// (00:00 UTC), the notification deliverer's sweep queues last month's report for every tenant that
// existed before the month began, to its active SERVICE_REVIEW contacts, through the notification
// outbox (so delivery, retries and the dead state are the notifications' own).
//
// Once across processes and instances: the tenant's row in service_report_runs is inserted in the
// transaction that queues its emails (INSERT … ON CONFLICT DO NOTHING: a second process waits on
// the first's row and then finds it there). A process that was down on the 1st catches up at its
// next sweep within the month. A contact added after the emails were queued waits for next month.
import { and, asc, inArray, lt, notExists, sql, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { serviceReportRuns, tenants } from '../../db/schema';
import { metricsOf } from '../metrics';
import { enqueue, recipientsOf } from '../notifications/outbox';
import type { NoticePayload } from '../notifications/templates';
import { parseMonth, previousMonth } from './data';
import { monthName } from './html';

/** The email's attachment name. */
export const reportFilename = (month: string) => `service-report-${month}.html`;

const BATCH = 50;

/**
 * Queue last month's report emails for the tenants that have not had theirs; returns how many
 * emails were queued. `scope` limits the tenants (tests sharing one database).
 */
export async function queueMonthlyReports(database: Database, opts: { now?: Date; scope?: readonly string[] | null } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const month = previousMonth(now);
  const reported = parseMonth(month, now);
  let queued = 0;
  for (let round = 0; round < 100; round++) {
    const due = await database.db
      .select({ id: tenants.id, name: tenants.name })
      .from(tenants)
      .where(
        and(
          // a tenant that did not exist during the month has nothing to report on
          lt(tenants.createdAt, reported.to),
          opts.scope ? (opts.scope.length ? inArray(tenants.id, [...opts.scope]) : sql`false`) : undefined,
          notExists(
            database.db
              .select({ one: sql`1` })
              .from(serviceReportRuns)
              .where(and(eq(serviceReportRuns.tenantId, tenants.id), eq(serviceReportRuns.month, month))),
          ),
        ),
      )
      .orderBy(asc(tenants.id))
      .limit(BATCH);
    for (const tenant of due) {
      const { totals } = await metricsOf(database, [tenant.id], { from: reported.from, to: reported.to, interval: 'MONTH', now });
      const payload: NoticePayload = {
        tenant: { name: tenant.name },
        report: {
          tenantId: tenant.id,
          month,
          monthName: monthName(reported.from),
          incidents: totals.incidents,
          truePositives: totals.byClassification.find((c) => c.key === 'TRUE_POSITIVE')?.count ?? 0,
          breaches: totals.breaches,
          acknowledgeP50: totals.timeToAcknowledge.p50,
          resolveP50: totals.timeToResolve.p50,
          actionsCompleted: totals.actionsByPerformer.reduce((n, c) => n + c.count, 0),
        },
      };
      queued += await database.transaction(async (tx) => {
        const [run] = await tx.insert(serviceReportRuns).values({ tenantId: tenant.id, month }).onConflictDoNothing().returning();
        if (!run) return 0; // another process queued it first
        // email only: the report is a document for the people who review the service
        const recipients = { ...(await recipientsOf(tx, tenant.id, 'SERVICE_REVIEW')), teams: false };
        const ids = await enqueue(tx, { tenantId: tenant.id, incidentId: null, kind: 'SERVICE_REPORT', payload, recipients, dedupe: `service-report:${tenant.id}:${month}` });
        await tx.update(serviceReportRuns).set({ recipients: ids.length }).where(and(eq(serviceReportRuns.tenantId, tenant.id), eq(serviceReportRuns.month, month)));
        return ids.length;
      });
    }
    if (due.length < BATCH) break;
  }
  return queued;
}
