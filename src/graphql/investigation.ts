// The investigation record (SPEC.md section 4): the experts' updates and the append-only
// revisions of the summary, each with the cards it added; posting updates and amending a
// published managed response.
import type { IncidentRow, InvestigationRevisionRow, InvestigationUpdateRow } from '../db/schema';
import { loadAll } from '../domain/loaders';
import {
  amendManagedResponse,
  currentRevisionOf,
  listUpdates,
  postInvestigationUpdate,
  revisionCards,
  revisionsOf,
} from '../domain/response/investigation';
import type { RevisionReason } from '../domain/response/summary';
import { builder } from './builder';
import { localId, payload, UserError } from './common';
import { IncidentPayload } from './incident';
import { IncidentRef, PrincipalRef } from './refs';
import { ActionCardInput, ActionCardRef, cardInput, InvestigationSummary, InvestigationSummaryInput } from './response';

export const InvestigationUpdateRef = builder.objectRef<InvestigationUpdateRow>('InvestigationUpdate');

builder.node(InvestigationUpdateRef, {
  description: 'A time-stamped note the experts posted while working the incident; kept as posted.',
  id: { resolve: (u) => u.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.investigationUpdate, ids),
  fields: (t) => ({
    author: t.field({
      type: PrincipalRef,
      description: 'The expert who posted it.',
      resolve: async (u, _a, ctx) => (await ctx.loaders.principal.load(u.authorId))!,
    }),
    body: t.exposeString('body', { description: 'The note, as posted.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was posted.', resolve: (u) => u.createdAt }),
  }),
});

const RevisionReasonEnum = builder.enumType('InvestigationRevisionReason', {
  description: 'What made a revision of the investigation record.',
  values: {
    PUBLISHED: { description: 'A managed response was published (the first time, or again after a reopen).' },
    AMENDED: { description: 'A published managed response was amended: a revised summary, more action cards, or both.' },
    CONCLUDED: { description: 'The incident was concluded FALSE_POSITIVE or INFORMATIONAL_EXPECTED_ACTIVITY with this summary.' },
  } satisfies Record<RevisionReason, { description: string }>,
});

const InvestigationRevision = builder.objectRef<InvestigationRevisionRow>('InvestigationRevision').implement({
  description: 'One revision of the investigation record, as published; never rewritten.',
  fields: (t) => ({
    number: t.exposeInt('number', { description: '1 for the first revision, then 2, 3…' }),
    reason: t.field({ type: RevisionReasonEnum, description: 'What made this revision.', resolve: (r) => r.reason as RevisionReason }),
    publishedAt: t.field({ type: 'DateTime', description: 'When it was published.', resolve: (r) => r.publishedAt }),
    publishedBy: t.field({
      type: PrincipalRef,
      description: 'The expert who published it.',
      resolve: async (r, _a, ctx) => (await ctx.loaders.principal.load(r.publishedById))!,
    }),
    summary: t.field({ type: InvestigationSummary, description: 'The investigation summary as it stood in this revision.', resolve: (r) => r }),
    actions: t.field({
      type: [ActionCardRef],
      description: 'The action cards this revision added (with their current status), in the order the experts listed them.',
      resolve: (r, _a, ctx) => revisionCards(ctx, r),
    }),
  }),
});

const Investigation = builder.objectRef<IncidentRow>('Investigation').implement({
  description: 'The append-only investigation record of an incident: the experts\' updates and the revisions of their summary.',
  fields: (t) => ({
    summary: t.field({
      type: InvestigationSummary,
      nullable: true,
      description: 'The current (latest) revision\'s summary; null until the experts conclude the incident or publish a managed response.',
      resolve: (i, _a, ctx) => currentRevisionOf(ctx, i.id),
    }),
    updates: t.connection(
      {
        type: InvestigationUpdateRef,
        description: 'The experts\' updates, oldest first.',
        resolve: (i, args, ctx) => listUpdates(ctx, i, args),
      },
      { name: 'InvestigationUpdateConnection', description: 'A page of investigation updates.' },
      { name: 'InvestigationUpdateEdge', description: 'An investigation update and its cursor.' },
    ),
    revisions: t.field({
      type: [InvestigationRevision],
      description: 'Every revision, oldest first; earlier ones stay as they were published.',
      resolve: (i, _a, ctx) => revisionsOf(ctx, i.id),
    }),
  }),
});

builder.objectField(IncidentRef, 'investigation', (t) =>
  t.field({
    type: Investigation,
    description: 'The investigation record: updates while the experts work, and the revisions of their summary.',
    resolve: (i) => i,
  }),
);

// ---- mutations

const InvestigationUpdatePayload = builder.objectRef<{ update?: InvestigationUpdateRow; errors: unknown[] }>('InvestigationUpdatePayload').implement({
  description: 'The posted update, or why nothing was posted.',
  fields: (t) => ({
    update: t.field({ type: InvestigationUpdateRef, nullable: true, description: 'The update as stored.', resolve: (p) => p.update ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing was posted; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const PostInvestigationUpdateInput = builder.inputType('PostInvestigationUpdateInput', {
  description: 'An update on an incident of a tenant you serve.',
  fields: (t) => ({
    incidentId: t.id({ required: true, description: 'The incident.' }),
    body: t.string({ required: true, description: 'The note; surrounding whitespace is trimmed; 1 to 30,000 characters.' }),
  }),
});

const AmendManagedResponseInput = builder.inputType('AmendManagedResponseInput', {
  description: 'A new revision of a published managed response: a revised summary, more action cards, or both.',
  fields: (t) => ({
    incidentId: t.id({ required: true, description: 'The incident whose managed response is amended.' }),
    summary: t.field({ type: InvestigationSummaryInput, description: 'The revised summary, whole; omitted, the previous revision\'s summary is carried over.' }),
    addActions: t.field({ type: [ActionCardInput], description: 'Action cards to add under the new revision (at most 50); the earlier cards stay.' }),
    version: t.int({ description: 'The version you saw; a stale one is a VERSION_CONFLICT.' }),
  }),
});

const incidentId = (id: string | number) => localId(String(id), 'Incident', ['incidentId']);

builder.mutationFields((t) => ({
  postInvestigationUpdate: t.field({
    type: InvestigationUpdatePayload,
    description: 'EXPERT: post an update on an incident, in any status; the customer reads it live (incidentChanged) and it is kept.',
    authScopes: { policy: 'postInvestigationUpdate' },
    args: { input: t.arg({ type: PostInvestigationUpdateInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ update: await postInvestigationUpdate(ctx, { incidentId: incidentId(input.incidentId), body: input.body }) })),
  }),
  amendManagedResponse: t.field({
    type: IncidentPayload,
    description:
      'EXPERT: amend the managed response of an open incident (IN_PROGRESS or AWAITING_CUSTOMER_ACTION) with a new revision; earlier revisions and their cards stay readable.',
    authScopes: { policy: 'amendManagedResponse' },
    args: { input: t.arg({ type: AmendManagedResponseInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        incident: await amendManagedResponse(ctx, {
          incidentId: incidentId(input.incidentId),
          version: input.version,
          summary: input.summary,
          addActions: input.addActions?.map((a, i) => cardInput(a, ['addActions', String(i)])),
        }),
      })),
  }),
}));
