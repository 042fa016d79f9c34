// The investigation summary and the append-only record of its revisions (SPEC.md section 4).
// A leaf module: triage (a false positive's conclusion) and publish (a managed response) both
// append revisions, and publish imports triage, so this must import neither.
import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { investigationRevisions, type IncidentRow, type IndicatorOfAttack, type IndicatorOfCompromise, type TimelineEntry } from '../../db/schema';
import { invalid } from '../errors';
import { LIMITS, optionalText, text } from '../validate';
import type { Viewer } from '../viewer';

export interface SummaryInput {
  narrative: string;
  impact?: string | null;
  severityRationale?: string | null;
  timeline?: { at: Date; deviceName?: string | null; event: string }[] | null;
  indicatorsOfAttack?: { techniqueId: string; description: string }[] | null;
  indicatorsOfCompromise?: { type: string; value: string }[] | null;
}

export type CleanSummary = ReturnType<typeof cleanSummary>;
export type RevisionReason = 'PUBLISHED' | 'AMENDED' | 'CONCLUDED';

const MITRE = /^T\d{4}(\.\d{3})?$/;
export const IOC_TYPES = ['FILE_HASH', 'IP', 'URL', 'DOMAIN', 'PROCESS', 'USER'] as const;

export function cleanSummary(s: SummaryInput, at: string[] = ['summary']) {
  if ((s.timeline?.length ?? 0) > 500) throw invalid('at most 500 timeline entries', [...at, 'timeline']);
  if ((s.indicatorsOfAttack?.length ?? 0) > 200) throw invalid('at most 200 indicators of attack', [...at, 'indicatorsOfAttack']);
  if ((s.indicatorsOfCompromise?.length ?? 0) > 500) throw invalid('at most 500 indicators of compromise', [...at, 'indicatorsOfCompromise']);
  return {
    narrative: text(s.narrative, [...at, 'narrative'], LIMITS.description),
    impact: optionalText(s.impact, [...at, 'impact'], LIMITS.shortText),
    severityRationale: optionalText(s.severityRationale, [...at, 'severityRationale'], LIMITS.shortText),
    timeline: (s.timeline ?? []).map<TimelineEntry>((e, i) => ({
      at: e.at.toISOString(),
      deviceName: optionalText(e.deviceName, [...at, 'timeline', String(i), 'deviceName'], LIMITS.name),
      event: text(e.event, [...at, 'timeline', String(i), 'event'], LIMITS.shortText),
    })),
    indicatorsOfAttack: (s.indicatorsOfAttack ?? []).map<IndicatorOfAttack>((a, i) => {
      const techniqueId = text(a.techniqueId, [...at, 'indicatorsOfAttack', String(i), 'techniqueId'], 20).toUpperCase();
      if (!MITRE.test(techniqueId)) {
        throw invalid(`"${techniqueId}" is not a MITRE ATT&CK technique id (e.g. T1059 or T1059.001)`, [...at, 'indicatorsOfAttack', String(i), 'techniqueId']);
      }
      return { techniqueId, description: text(a.description, [...at, 'indicatorsOfAttack', String(i), 'description'], LIMITS.shortText) };
    }),
    indicatorsOfCompromise: (s.indicatorsOfCompromise ?? []).map<IndicatorOfCompromise>((c, i) => {
      if (!(IOC_TYPES as readonly string[]).includes(c.type)) {
        throw invalid(`type must be one of ${IOC_TYPES.join(', ')}`, [...at, 'indicatorsOfCompromise', String(i), 'type']);
      }
      return { type: c.type, value: text(c.value, [...at, 'indicatorsOfCompromise', String(i), 'value'], LIMITS.shortText) };
    }),
  };
}

/**
 * Append a revision to the incident's investigation record; returns its number. The record is
 * never rewritten: the incident row lock the caller holds orders revisions of one incident.
 */
export async function appendRevision(
  tx: Tx,
  incident: IncidentRow,
  viewer: Viewer,
  reason: RevisionReason,
  summary: CleanSummary,
): Promise<number> {
  const [{ n }] = await tx
    .select({ n: sql<number>`coalesce(max(${investigationRevisions.number}), 0)::int` })
    .from(investigationRevisions)
    .where(eq(investigationRevisions.incidentId, incident.id));
  const number = Number(n) + 1;
  await tx.insert(investigationRevisions).values({ incidentId: incident.id, number, tenantId: incident.tenantId, reason, publishedById: viewer.principalId, ...summary });
  return number;
}
