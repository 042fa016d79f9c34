// The activity log as the API shows it: the Activity node and the ActivityField enum.
// The column `activity.field` is text and stays so; the enum is derived from ACTIVITY_FIELDS (the
// list the writers are typed against), and a stored value outside it (written by another version
// of the service, or by hand) reads as OTHER instead of failing the query.
import { loadAll } from '../domain/loaders';
import { ACTIVITY_FIELDS, type ActivityFieldName } from '../events/activity';
import { builder } from './builder';
import { encodeGlobalId } from './global-ids';
import { SideEnum } from './common';
import { ActivityRef, PrincipalRef } from './refs';

/** ActivityField value → its description; the compiler says when a new field lacks one. */
const FIELD_DESCRIPTIONS = {
  status:
    'The incident moved in its lifecycle: `from` and `to` are IncidentStatus values (`from` is null for a newly ingested incident; ' +
    '`note` says why when the service made the move, e.g. the last pending action was done or a suppression rule matched).',
  assignment: 'Who works the incident changed: `from` and `to` are Assignment values (EXPERTS, CUSTOMER, UNASSIGNED).',
  assignee: 'The named assignee changed: `from` and `to` are Principal ids (usable with `node`), null when nobody was named.',
  severity: 'The severity changed: `from` and `to` are Severity values (set by a person, or the highest severity of incidents merged in).',
  tags: 'The custom tags changed: `from` and `to` are the whole lists, comma-separated (null when empty).',
  systemTags: "The tags the service sets changed (e.g. the provider's name added when the experts conclude): whole lists, comma-separated.",
  classification: 'The experts classified the incident: `from` and `to` are Classification values.',
  determination: 'The determination changed with the classification: `from` and `to` are Determination values.',
  resolvingComment: "The experts' concluding summary was set or replaced: `from` and `to` are the texts.",
  alerts: 'Another ingestion of the same incident brought new alerts: `from` and `to` are the alert counts before and after.',
  deviceGroup:
    "Ingested evidence named another device group for a known device than the tenant's inventory: `from` is the inventory's group, " +
    '`to` the one claimed. Not applied: a known device changes group only when the tenant confirms it.',
  merged: 'Other incidents were merged into this one: `to` lists their numbers ("#12, #13"); their alerts, evidence and comments are here now.',
  suppressedBy:
    "A suppression rule auto-resolved the incident as expected activity (`to` is the rule's name), or that was undone (`from` is the rule's name, `to` null).",
  managedResponse:
    'The experts published the managed response (`to`: "published") or amended it with a new revision (`to`: "amended"); `note` starts the narrative or says what the revision added.',
  investigationUpdate: 'An expert posted an investigation update: `to` is the InvestigationUpdate id, `note` the start of its text.',
  action:
    "An action card's status changed: `from` and `to` are ActionStatus values, `note` names the card (and a failure or skip reason). " +
    'Entries of an ad-hoc action from an entity page belong to no incident.',
  comment: 'Someone commented on the incident: `to` is the Comment id, `note` the start of its text.',
  chat: 'A chat message was sent on the managed response: `to` is the ChatMessage id, `note` the start of its text.',
} satisfies Record<ActivityFieldName, string>;

/** camelCase field name → the UPPER_SNAKE_CASE enum value. */
const enumName = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
const KNOWN = new Map<string, string>(ACTIVITY_FIELDS.map((f) => [f, enumName(f)]));

export const ActivityFieldEnum = builder.enumType('ActivityField', {
  description: 'What an activity entry is about: the incident field that changed, or the event it records.',
  values: {
    ...Object.fromEntries(ACTIVITY_FIELDS.map((f) => [enumName(f), { description: FIELD_DESCRIPTIONS[f] }])),
    OTHER: {
      description:
        'A kind of change this version of the schema does not name (recorded by another version of the service). ' +
        '`from`, `to` and `note` still say what changed.',
    },
  } as Record<string, { description: string }>,
});

/** The enum value of a stored field name: unknown ones read as OTHER, never as an error. */
export const activityFieldOf = (stored: string): string => KNOWN.get(stored) ?? 'OTHER';

/** Entry values that name an object are given as that object's global id (usable with `node`). */
const VALUE_TYPES: Partial<Record<ActivityFieldName, string>> = {
  assignee: 'Principal',
  comment: 'Comment',
  chat: 'ChatMessage',
  investigationUpdate: 'InvestigationUpdate',
};
function activityValue(field: string, value: string | null): string | null {
  const type = VALUE_TYPES[field as ActivityFieldName];
  return value && type ? encodeGlobalId(type, value) : value;
}

builder.node(ActivityRef, {
  description:
    'One entry of the audit trail: who changed what, when, from what to what. Every change to an incident, by a person or by ' +
    'the service, writes one; entries are never changed or removed.',
  id: { resolve: (a) => a.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.activity, ids),
  fields: (t) => ({
    eventId: t.id({
      description: 'The commit-ordered event id of this entry (the `eventId` of its IncidentEvent): later changes have larger ids.',
      resolve: (a) => String(a.id),
    }),
    field: t.field({
      type: ActivityFieldEnum,
      description: 'What changed; the value also says how to read `from` and `to`.',
      resolve: (a) => activityFieldOf(a.field),
    }),
    from: t.string({
      nullable: true,
      description: 'The value before the change, as text (see `field`); an object is named by its global id. Null when there was none.',
      resolve: (a) => activityValue(a.field, a.fromValue),
    }),
    to: t.string({
      nullable: true,
      description: 'The value after the change, as text (see `field`); an object is named by its global id. Null when there is none.',
      resolve: (a) => activityValue(a.field, a.toValue),
    }),
    note: t.exposeString('note', { nullable: true, description: 'Why, or what, in words: a reason, a rule, a card title, the start of a text.' }),
    actor: t.field({
      type: PrincipalRef,
      nullable: true,
      description: 'Who made the change; null when the service made it (ingestion, an EDR reporting back, a suppression rule).',
      resolve: (a, _x, ctx) => (a.actorId ? ctx.loaders.principal.load(a.actorId) : null),
    }),
    actorSide: t.field({
      type: SideEnum,
      nullable: true,
      description: "The actor's side: EXPERTS or CUSTOMER; null when the service made the change.",
      resolve: (a) => a.actorSide,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When the change was committed.', resolve: (a) => a.createdAt }),
  }),
});
