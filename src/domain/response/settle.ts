// How card changes move the incident along (SPEC.md section 3).
import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { actionCards, incidents, managedResponses, type IncidentRow } from '../../db/schema';
import type { ActivityLog } from '../../events/activity';
import { sectionOf } from '../sections';
import { changeIncident } from '../triage';

/**
 * After any card change: move the incident along SPEC.md section 3.
 * - IN_PROGRESS with a managed response and no expert action still running: anything left for
 *   the customer → AWAITING_CUSTOMER_ACTION, else RESOLVED; assignment CUSTOMER either way.
 * - AWAITING_CUSTOMER_ACTION with nothing pending any more → RESOLVED (automatic).
 * An ad-hoc card (no incident) moves nothing.
 */
export async function settleIncident(tx: Tx, log: ActivityLog, incidentId: string | null): Promise<IncidentRow | null> {
  if (!incidentId) return null;
  const [current] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for('update');
  const cards = await tx.select().from(actionCards).where(eq(actionCards.incidentId, incidentId));
  const [published] = await tx.select({ id: managedResponses.incidentId }).from(managedResponses).where(eq(managedResponses.incidentId, incidentId));
  if (!published) return current;
  const expertsRunning = cards.some((c) => sectionOf(c) === 'EXPERTS');
  const pending = cards.some((c) => sectionOf(c) === 'PENDING');
  if (current.status === 'IN_PROGRESS' && !expertsRunning) {
    return changeIncident(tx, log, current, {
      status: pending ? 'AWAITING_CUSTOMER_ACTION' : 'RESOLVED',
      assignment: 'CUSTOMER',
      assigneeId: null,
    }, pending ? 'actions left for the customer' : 'all response actions completed by the experts');
  }
  if (current.status === 'AWAITING_CUSTOMER_ACTION' && !pending && !expertsRunning) {
    return changeIncident(tx, log, current, { status: 'RESOLVED', assignment: 'CUSTOMER' }, 'resolved automatically: the last pending action is done');
  }
  // still touched: the card change is an update of the incident (queue order, version)
  const [row] = await tx.update(incidents).set({ updatedAt: new Date(), version: current.version + 1 }).where(eq(incidents.id, incidentId)).returning();
  return row;
}
