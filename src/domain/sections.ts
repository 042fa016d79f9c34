// Where an action card stands for the customer: the one rule the action center, the incident
// state machine and the notifications share.
import type { ActionCardRow } from '../db/schema';

/** Cards waiting for the customer: PENDING, FAILED, and IN_PROGRESS ones the customer started. */
export function sectionOf(card: Pick<ActionCardRow, 'status' | 'performedBy'>): 'PENDING' | 'COMPLETED' | 'EXPERTS' {
  if (card.status === 'COMPLETED' || card.status === 'SKIPPED') return 'COMPLETED';
  if (card.status === 'IN_PROGRESS' && card.performedBy === 'EXPERTS') return 'EXPERTS';
  return 'PENDING';
}
