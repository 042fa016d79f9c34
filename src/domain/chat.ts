// Chat between the customer and the experts, once a managed response exists.
import { eq } from 'drizzle-orm';
import { chatMessages, managedResponses, type ChatMessageRow, type IncidentRow } from '../db/schema';
import { writeTransaction } from '../events/activity';
import type { DomainContext } from './context';
import { DomainError } from './errors';
import type { Page, PageArgs } from './pagination';
import { messagePage } from './timeline';
import { LIMITS, text } from './validate';
import { authorize } from './access';
import { lockIncident } from './incidents';

export async function sendChatMessage(ctx: DomainContext, input: { incidentId: string; body: string }): Promise<ChatMessageRow> {
  const viewer = authorize(ctx.viewer, 'sendChatMessage');
  const body = text(input.body, ['body'], LIMITS.comment);
  const message = await writeTransaction(ctx, async (tx, log) => {
    // the incident lock orders the message's event with every other change of the incident
    const incident = await lockIncident(tx, viewer, input.incidentId);
    const [published] = await tx.select({ id: managedResponses.incidentId }).from(managedResponses).where(eq(managedResponses.incidentId, incident.id));
    if (!published) {
      throw new DomainError('INVALID_TRANSITION', 'Chat opens once the experts publish a managed response for this incident');
    }
    const [row] = await tx
      .insert(chatMessages)
      .values({
        tenantId: incident.tenantId,
        incidentId: incident.id,
        authorId: viewer.principalId,
        side: viewer.role === 'EXPERT' ? 'EXPERTS' : 'CUSTOMER',
        body,
      })
      .returning();
    log.add({ tenantId: incident.tenantId, incidentId: incident.id, field: 'chat', subjectId: row.id, to: row.id, note: body.slice(0, 200) });
    return row;
  });
  return message;
}

/** Chat of one incident (already through the tenant guard), oldest first. */
export function listChat(ctx: DomainContext, incident: IncidentRow, args: PageArgs): Promise<Page<ChatMessageRow>> {
  return messagePage(ctx.db, chatMessages, incident, args, () => ctx.loaders.chatCount.load(incident.id));
}
