// Bulk verdicts and edits (SPEC.md section 8): the two mutations and their payload. The rules
// and the cost model are in src/domain/bulk.ts; here only ids are decoded and results shaped.
import type { IncidentRow } from '../db/schema';
import { bulkClassifyIncidents, bulkUpdateIncidents, BULK_LIMIT, type BulkItemResult } from '../domain/bulk';
import { builder } from './builder';
import { AssignmentEnum, ClassificationEnum, DeterminationEnum, localId, payload, SeverityEnum, UserError, type UserErrorShape } from './common';
import { IncidentRef } from './refs';
import { InvestigationSummaryInput } from './response';

const BulkIncidentResult = builder.objectRef<BulkItemResult>('BulkIncidentResult').implement({
  description: 'What happened to one incident of a bulk mutation: it changed, or its own errors say why not.',
  fields: (t) => ({
    incidentId: t.id({ description: 'The incident id exactly as you gave it (results come in the order of the ids).', resolve: (r) => r.incidentId }),
    incident: t.field({
      type: IncidentRef,
      nullable: true,
      description: 'The incident after its change; null when this item failed (a missing or foreign id included).',
      resolve: (r): IncidentRow | null => r.incident,
    }),
    errors: t.field({
      type: [UserError],
      description: 'Why this incident did not change (e.g. NOT_FOUND, INVALID_TRANSITION, INVALID_INPUT); empty when it did.',
      // plain shapes: an Error instance returned by a resolver would be raised as a GraphQL error
      resolve: (r): UserErrorShape[] => r.errors.map((e) => ({ code: e.code, message: e.message, field: e.field })),
    }),
  }),
});

const BulkIncidentPayload = builder.objectRef<{ results?: BulkItemResult[]; errors: UserErrorShape[] }>('BulkIncidentPayload').implement({
  description: 'The outcome of a bulk mutation: one result per incident named, or why the whole call was refused.',
  fields: (t) => ({
    results: t.field({
      type: [BulkIncidentResult],
      description: 'One per incident id given, in the same order; each item succeeds or fails on its own. Empty when the call was refused.',
      resolve: (p) => p.results ?? [],
    }),
    errors: t.field({
      type: [UserError],
      description: 'Why the whole call was refused with nothing written (too many or repeated ids, a bad verdict or tags); empty otherwise.',
      resolve: (p) => p.errors,
    }),
  }),
});

const incidentIdsDescription = `1 to ${BULK_LIMIT} Incident ids, each at most once. A malformed one fails its own item (INVALID_INPUT); another tenant's or a missing one fails its own item (NOT_FOUND).`;

const BulkClassifyIncidentsInput = builder.inputType('BulkClassifyIncidentsInput', {
  description: 'One verdict for up to 100 incidents, each classified exactly as classifyIncident would classify it.',
  fields: (t) => ({
    incidentIds: t.idList({ required: true, description: incidentIdsDescription }),
    classification: t.field({ type: ClassificationEnum, required: true, description: 'The verdict: TRUE_POSITIVE, FALSE_POSITIVE or INFORMATIONAL_EXPECTED_ACTIVITY.' }),
    determination: t.field({ type: DeterminationEnum, required: true, description: 'Must be valid for the classification (each Determination value names the classifications it pairs with).' }),
    summary: t.string({ required: true, description: 'Concise summary; the resolving comment of each incident this resolves.' }),
    investigationSummary: t.field({
      type: InvestigationSummaryInput,
      description:
        'FALSE_POSITIVE / INFORMATIONAL_EXPECTED_ACTIVITY: the summary each investigation concludes with (its narrative defaults to `summary`). Not for TRUE_POSITIVE.',
    }),
  }),
});

const BulkUpdateIncidentsInput = builder.inputType('BulkUpdateIncidentsInput', {
  description: 'One edit for up to 100 incidents, each changed exactly as updateIncident would change it. Name at least one change.',
  fields: (t) => ({
    incidentIds: t.idList({ required: true, description: incidentIdsDescription }),
    addTags: t.stringList({ description: "Custom tags added to each incident's own; a tag it has already is kept once." }),
    removeTags: t.stringList({ description: 'Custom tags taken off each incident; only these, and a tag it does not have is ignored.' }),
    assignment: t.field({ type: AssignmentEnum, description: 'The new assignment; without assigneeId it clears the named assignee.' }),
    assigneeId: t.id({ description: "A principal of each incident's tenant (CUSTOMER) or an expert serving it (EXPERTS); null clears the named assignee." }),
    severity: t.field({ type: SeverityEnum, description: 'The new severity (the priority score follows).' }),
  }),
});

const decodeIncidentId = (id: string, field: string[]) => localId(id, 'Incident', field);

builder.mutationFields((t) => ({
  bulkClassifyIncidents: t.field({
    type: BulkIncidentPayload,
    description:
      'EXPERT: classify up to 100 incidents with one verdict and summary. Each item succeeds or fails on its own; an ACTIVE incident is taken under investigation first; a resolved one fails with INVALID_TRANSITION.',
    authScopes: { policy: 'bulkClassifyIncidents' },
    args: { input: t.arg({ type: BulkClassifyIncidentsInput, required: true, description: 'The incidents and the verdict.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(() =>
        bulkClassifyIncidents(ctx, {
          incidentIds: input.incidentIds.map(String),
          decodeId: decodeIncidentId,
          classification: input.classification,
          determination: input.determination,
          summary: input.summary,
          investigationSummary: input.investigationSummary,
        }),
      ),
  }),
  bulkUpdateIncidents: t.field({
    type: BulkIncidentPayload,
    description: 'Change tags, assignment or severity of up to 100 incidents (OPERATOR, ADMIN, EXPERT). Each item succeeds or fails on its own.',
    authScopes: { policy: 'bulkUpdateIncidents' },
    args: { input: t.arg({ type: BulkUpdateIncidentsInput, required: true, description: 'The incidents and the change.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(() =>
        bulkUpdateIncidents(ctx, {
          incidentIds: input.incidentIds.map(String),
          decodeId: decodeIncidentId,
          addTags: input.addTags,
          removeTags: input.removeTags,
          assignment: input.assignment,
          assigneeId: input.assigneeId ? localId(String(input.assigneeId), 'Principal', ['assigneeId']) : input.assigneeId,
          severity: input.severity,
        }),
      ),
  }),
}));
