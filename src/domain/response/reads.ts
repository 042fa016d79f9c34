// Reads of the managed response: the current summary, the cards by section, their attempts.
import type { IncidentRow, ManagedResponseRow } from '../../db/schema';
import type { DomainContext } from '../context';
import { sectionOf } from '../sections';

export async function managedResponseOf(ctx: DomainContext, incident: IncidentRow): Promise<ManagedResponseRow | null> {
  return ctx.loaders.managedResponse.load(incident.id);
}

export async function cardsOf(ctx: DomainContext, incidentId: string, section: 'PENDING' | 'COMPLETED' | 'ALL' | null | undefined) {
  const cards = await ctx.loaders.actionsByIncident.load(incidentId);
  if (!section || section === 'ALL') return cards;
  return cards.filter((c) => (section === 'COMPLETED' ? sectionOf(c) === 'COMPLETED' : sectionOf(c) === 'PENDING'));
}

export async function attemptsOf(ctx: DomainContext, actionId: string) {
  return ctx.loaders.attemptsByAction.load(actionId);
}
