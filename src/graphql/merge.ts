// Merging incidents (SPEC.md section 8): the mutation, and the link from a merged (REDIRECTED)
// incident to the one it was merged into. The rules live in domain/merge.ts.
import { MAX_MERGE_SOURCES, mergeIncidents } from '../domain/merge';
import { builder } from './builder';
import { localId, payload } from './common';
import { IncidentPayload } from './incident';
import { ActivityRef, IncidentRef } from './refs';

builder.objectField(IncidentRef, 'redirectedTo', (t) =>
  t.field({
    type: IncidentRef,
    nullable: true,
    description:
      'For a REDIRECTED incident, the incident it was merged into (which holds its alerts, evidence and comments now); null otherwise.',
    resolve: (i, _a, ctx) => (i.redirectedToId ? ctx.loaders.incident.load(i.redirectedToId) : null),
  }),
);

builder.objectField(ActivityRef, 'incident', (t) =>
  t.field({
    type: IncidentRef,
    nullable: true,
    description:
      'The incident the change was made on: in the log of an incident that others were merged into, their entries name them. ' +
      'Null for a change outside any incident.',
    resolve: (a, _x, ctx) => (a.incidentId ? ctx.loaders.incident.load(a.incidentId) : null),
  }),
);

const MergeIncidentsInput = builder.inputType('MergeIncidentsInput', {
  description: 'Which incidents to merge into which.',
  fields: (t) => ({
    targetId: t.id({
      required: true,
      description: 'The incident that receives the alerts, evidence and comments; neither RESOLVED nor REDIRECTED.',
    }),
    sourceIds: t.idList({
      required: true,
      description: `1 to ${MAX_MERGE_SOURCES} incidents of the same tenant, each named once, none with a published managed response; each becomes REDIRECTED.`,
    }),
    version: t.int({ description: "The target's version you saw; a stale one is a VERSION_CONFLICT and nothing changes." }),
  }),
});

builder.mutationField('mergeIncidents', (t) =>
  t.field({
    type: IncidentPayload,
    description:
      'EXPERT: merge duplicate incidents of one tenant into a target. Their alerts, evidence, comments and investigation updates ' +
      'move to it, their activity is listed in its log, its severity, priority score, devices and activity times are recomputed; ' +
      'each source becomes REDIRECTED (`redirectedTo`) and keeps resolving by id and number. All or nothing.',
    authScopes: { policy: 'mergeIncidents' },
    args: { input: t.arg({ type: MergeIncidentsInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        incident: await mergeIncidents(ctx, {
          targetId: localId(String(input.targetId), 'Incident', ['targetId']),
          sourceIds: input.sourceIds.map((id, i) => localId(String(id), 'Incident', ['sourceIds', String(i)])),
          version: input.version,
        }),
      })),
  }),
);
