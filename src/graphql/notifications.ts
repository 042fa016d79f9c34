// Notifications (SPEC.md section 6, API.md "Notifications"): contacts and the Teams channel managed
// by the tenant ADMIN, every notification with its delivery state (ADMIN and experts), a test send.
import type { NotificationContactRow, NotificationRow } from '../db/schema';
import {
  CONTACT_PURPOSES,
  contactsById,
  createContact,
  deleteContact,
  DELIVERY_STATUSES,
  listContacts,
  listNotifications,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  notificationsById,
  sendTestNotification,
  setTeamsWebhook,
  updateContact,
} from '../domain/notifications/contacts';
import { allowsField } from '../domain/access';
import { builder } from './builder';
import { describedValues, localId, payload, queryLocalId, UserError } from './common';
import { IncidentRef, TenantRef } from './refs';
import { TenantPayload } from './settings';

export const ContactPurposeEnum = builder.enumType('ContactPurpose', {
  description: 'What a contact is told: INCIDENT_NOTIFICATION (published responses, resolutions, reminders, failed actions) and/or SERVICE_REVIEW (the monthly service report).',
  values: describedValues(CONTACT_PURPOSES, {
    INCIDENT_NOTIFICATION: 'Told when a managed response is published, the experts resolve an incident, an incident still awaits the customer (reminders), or an action fails.',
    SERVICE_REVIEW: "Sent the tenant's monthly service report.",
  }),
});
export const NotificationKindEnum = builder.enumType('NotificationKind', {
  description: 'Why a notification was sent.',
  values: describedValues(NOTIFICATION_KINDS, {
    MANAGED_RESPONSE_PUBLISHED: 'The experts published a managed response; the pending actions are listed.',
    INCIDENT_RESOLVED_BY_EXPERTS: 'The experts resolved an incident; with the classification and their summary.',
    AWAITING_ACTION_REMINDER: 'An incident still awaits customer action (repeated at an interval until it is resolved, at most once a day).',
    ACTION_FAILED: "An action the customer started, or the experts' action left to the customer, failed.",
    SERVICE_REPORT: 'The monthly service report, to SERVICE_REVIEW contacts.',
    WEBHOOK_ENDPOINT_DISABLED: "A webhook endpoint kept failing and was disabled; told to the tenant's admins.",
    TEST: 'A test sent by the tenant ADMIN (sendTestNotification).',
  }),
});
export const NotificationChannelEnum = builder.enumType('NotificationChannel', {
  description: 'EMAIL to a contact, or TEAMS: an Adaptive Card in the tenant\'s Teams channel.',
  values: describedValues(NOTIFICATION_CHANNELS, {
    EMAIL: 'An email to a contact.',
    TEAMS: "An Adaptive Card in the tenant's Microsoft Teams channel (through its workflow webhook).",
  }),
});
export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  description: 'QUEUED (not tried yet), SENDING (being sent), SENT (accepted by the mail server or Teams), FAILED (will be retried at nextAttemptAt), DEAD (gave up; lastError says why).',
  values: describedValues(DELIVERY_STATUSES, {
    QUEUED: 'Not tried yet.',
    SENDING: 'Being sent right now.',
    SENT: 'Delivered: accepted by the receiver.',
    FAILED: 'The last try failed (`lastError`); it will be retried at `nextAttemptAt`.',
    DEAD: 'Gave up after the last attempt (`lastError` says why); can be redelivered where the API offers it.',
  }),
});

const NotificationContactRef = builder.objectRef<NotificationContactRow>('NotificationContact');
builder.node(NotificationContactRef, {
  description: 'Someone the tenant wants told about its incidents or sent the service report. Managed by the tenant ADMIN; read by the ADMIN and the experts serving the tenant.',
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => contactsById(ctx, ids),
  fields: (t) => ({
    name: t.exposeString('name', { description: "The person's or team's name." }),
    email: t.exposeString('email', { description: 'Where notification mail goes (unique within the tenant).' }),
    phone: t.exposeString('phone', { nullable: true, description: 'A phone number for the experts to call, if given.' }),
    purposes: t.field({ type: [ContactPurposeEnum], description: 'What the contact is told.', resolve: (c) => c.purposes }),
    active: t.exposeBoolean('active', { description: 'Inactive contacts are kept but told nothing.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was added.', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When it last changed.', resolve: (c) => c.updatedAt }),
  }),
});

const NotificationRef = builder.objectRef<NotificationRow>('Notification');
builder.node(NotificationRef, {
  description: 'One message to one recipient on one channel, and how its delivery went. Written in the transaction of the change that caused it; delivered once, with retries.',
  id: { resolve: (n) => n.id },
  loadMany: (ids, ctx) => notificationsById(ctx, ids),
  fields: (t) => ({
    kind: t.field({ type: NotificationKindEnum, description: 'Why it was sent.', resolve: (n) => n.kind }),
    channel: t.field({ type: NotificationChannelEnum, description: 'EMAIL or TEAMS.', resolve: (n) => n.channel }),
    recipient: t.exposeString('recipient', { description: 'The email address, or "Teams channel" (the webhook URL is a secret and never shown).' }),
    incident: t.field({
      type: IncidentRef,
      nullable: true,
      description: 'The incident it is about; null for TEST and service notifications.',
      resolve: (n, _a, ctx) => (n.incidentId ? ctx.loaders.incident.load(n.incidentId) : null),
    }),
    status: t.field({ type: DeliveryStatusEnum, description: 'How its delivery stands.', resolve: (n) => n.status }),
    attempts: t.exposeInt('attempts', { description: 'Sends tried so far.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last try failed (e.g. "SMTP 550: mailbox unavailable", "Teams webhook answered HTTP 429").' }),
    messageId: t.exposeString('messageId', { description: 'The email Message-ID, the same on every resend (receivers de-duplicate on it).' }),
    createdAt: t.field({ type: 'DateTime', description: 'When the change that caused it committed.', resolve: (n) => n.createdAt }),
    sentAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was delivered; null until SENT.', resolve: (n) => n.sentAt }),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it will be tried next; null once SENT or DEAD.',
      resolve: (n) => (n.status === 'QUEUED' || n.status === 'FAILED' ? n.nextAttemptAt : n.status === 'SENDING' ? n.leaseUntil : null),
    }),
  }),
});

const NotificationFilterInput = builder.inputType('NotificationFilter', {
  description: 'Notification log filters: any of the values within one filter, every filter given.',
  fields: (t) => ({
    status: t.field({ type: [DeliveryStatusEnum], description: 'Any of these statuses.' }),
    kind: t.field({ type: [NotificationKindEnum], description: 'Any of these kinds.' }),
    channel: t.field({ type: [NotificationChannelEnum], description: 'Any of these channels.' }),
    incidentId: t.id({ description: 'About this incident.' }),
  }),
});

builder.objectFields(TenantRef, (t) => ({
  notificationContacts: t.field({
    type: [NotificationContactRef],
    description: 'Who is told about incidents and sent the service report (ADMIN and experts).',
    authScopes: { fieldPolicy: 'Tenant.notificationContacts' },
    resolve: (tenant, _a, ctx) => listContacts(ctx, tenant.id),
  }),
  teamsWebhookConfigured: t.boolean({
    description: 'Whether a Teams workflow webhook is set (the URL itself is a secret and never returned). ADMIN and experts.',
    authScopes: { fieldPolicy: 'Tenant.teamsWebhookConfigured' },
    resolve: (tenant, _a, ctx) => allowsField(ctx.viewer, 'Tenant.teamsWebhookConfigured') && !!tenant.teamsWebhookUrl,
  }),
  notifications: t.connection(
    {
      type: NotificationRef,
      description: 'Every notification of the tenant with its delivery state, newest first (ADMIN and experts).',
      authScopes: { fieldPolicy: 'Tenant.notifications' },
      args: { filter: t.arg({ type: NotificationFilterInput, description: 'Which notifications; none: all of them.' }) },
      resolve: (tenant, args, ctx) =>
        listNotifications(
          ctx,
          tenant.id,
          args.filter
            ? {
                status: args.filter.status,
                kind: args.filter.kind,
                channel: args.filter.channel,
                incidentId: args.filter.incidentId ? queryLocalId(String(args.filter.incidentId), 'Incident', 'filter.incidentId') : null,
              }
            : null,
          args,
        ),
    },
    { name: 'NotificationConnection', description: 'A page of notifications.' },
    { name: 'NotificationEdge' },
  ),
}));

// ---- mutations

const NotificationContactPayload = builder.objectRef<{ contact?: NotificationContactRow; errors: unknown[] }>('NotificationContactPayload').implement({
  description: 'The contact after the change, or why nothing changed.',
  fields: (t) => ({
    contact: t.field({ type: NotificationContactRef, nullable: true, description: 'The contact as it is now; null when there were errors.', resolve: (p) => p.contact ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});
export const DeleteNodePayload = builder.objectRef<{ deletedId?: string; errors: unknown[] }>('DeleteNodePayload').implement({
  description: 'The global id of what was deleted, or why nothing was.',
  fields: (t) => ({
    deletedId: t.id({ nullable: true, description: 'The global id of the deleted object; null when there were errors.', resolve: (p) => p.deletedId ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});
const NotificationPayload = builder.objectRef<{ notifications?: NotificationRow[]; errors: unknown[] }>('NotificationPayload').implement({
  description: 'The queued notification(s), or why nothing was queued.',
  fields: (t) => ({
    notification: t.field({ type: NotificationRef, nullable: true, description: 'The first of `notifications`.', resolve: (p) => p.notifications?.[0] ?? null }),
    notifications: t.field({ type: [NotificationRef], description: 'One per recipient (EMAIL: every active contact).', resolve: (p) => p.notifications ?? [] }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const CreateNotificationContactInput = builder.inputType('CreateNotificationContactInput', {
  description: 'A new notification contact of your tenant (active).',
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional).' }),
    name: t.string({ required: true, description: "The person's or team's name." }),
    email: t.string({ required: true, description: 'An email address not yet used by another contact of the tenant.' }),
    phone: t.string({ description: 'A phone number, optional.' }),
    purposes: t.field({ type: [ContactPurposeEnum], required: true, description: 'What the contact is told (at least one).' }),
  }),
});
const UpdateNotificationContactInput = builder.inputType('UpdateNotificationContactInput', {
  description: 'What to change on a contact; fields left out stay as they are.',
  fields: (t) => ({
    contactId: t.id({ required: true, description: 'The NotificationContact.' }),
    name: t.string({ description: 'The new name.' }),
    email: t.string({ description: 'The new email address.' }),
    phone: t.string({ description: 'null clears it.' }),
    purposes: t.field({ type: [ContactPurposeEnum], description: 'The new purposes (the whole list).' }),
    active: t.boolean({ description: 'false: keep the contact but tell it nothing.' }),
  }),
});
const DeleteNotificationContactInput = builder.inputType('DeleteNotificationContactInput', {
  description: 'A contact to remove.',
  fields: (t) => ({ contactId: t.id({ required: true, description: 'The NotificationContact.' }) }),
});
const SetTeamsWebhookInput = builder.inputType('SetTeamsWebhookInput', {
  description: "The Microsoft Teams workflow webhook that posts Adaptive Cards to the tenant's channel.",
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional).' }),
    url: t.string({ description: 'The workflow\'s HTTP POST URL (https); null clears it.' }),
  }),
});
const SendTestNotificationInput = builder.inputType('SendTestNotificationInput', {
  description: 'A test message through one channel.',
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional).' }),
    channel: t.field({ type: NotificationChannelEnum, required: true, description: 'EMAIL (every active contact) or TEAMS (the channel).' }),
  }),
});

const tenantArg = (id: string | number | null | undefined) => (id ? localId(String(id), 'Tenant', ['tenantId']) : null);
const contactArg = (id: string | number) => localId(String(id), 'NotificationContact', ['contactId']);

builder.mutationFields((t) => ({
  createNotificationContact: t.field({
    type: NotificationContactPayload,
    description: 'ADMIN: add someone to be told about incidents (INCIDENT_NOTIFICATION) and/or sent the service report (SERVICE_REVIEW).',
    authScopes: { policy: 'createNotificationContact' },
    args: { input: t.arg({ type: CreateNotificationContactInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        contact: await createContact(ctx, { tenantId: tenantArg(input.tenantId), name: input.name, email: input.email, phone: input.phone, purposes: input.purposes }),
      })),
  }),
  updateNotificationContact: t.field({
    type: NotificationContactPayload,
    description: 'ADMIN: change a contact; fields left out stay as they are. active: false deactivates it.',
    authScopes: { policy: 'updateNotificationContact' },
    args: { input: t.arg({ type: UpdateNotificationContactInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        contact: await updateContact(ctx, {
          contactId: contactArg(input.contactId),
          name: input.name,
          email: input.email,
          phone: input.phone,
          purposes: input.purposes,
          active: input.active,
        }),
      })),
  }),
  deleteNotificationContact: t.field({
    type: DeleteNodePayload,
    description: 'ADMIN: remove a contact. Notifications already sent keep their recipient address.',
    authScopes: { policy: 'deleteNotificationContact' },
    args: { input: t.arg({ type: DeleteNotificationContactInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => {
        await deleteContact(ctx, { contactId: contactArg(input.contactId) });
        return { deletedId: String(input.contactId) };
      }),
  }),
  setTeamsWebhook: t.field({
    type: TenantPayload,
    description: 'ADMIN: the Teams workflow webhook (https) that receives an Adaptive Card per notification; null clears it. Stored as a secret: only teamsWebhookConfigured is ever returned.',
    authScopes: { policy: 'setTeamsWebhook' },
    args: { input: t.arg({ type: SetTeamsWebhookInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ tenant: await setTeamsWebhook(ctx, { tenantId: tenantArg(input.tenantId), url: input.url ?? null }) })),
  }),
  sendTestNotification: t.field({
    type: NotificationPayload,
    description: 'ADMIN: send a TEST notification on one channel (EMAIL: every active contact; TEAMS: the channel) and follow its delivery in Tenant.notifications.',
    authScopes: { policy: 'sendTestNotification' },
    args: { input: t.arg({ type: SendTestNotificationInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ notifications: await sendTestNotification(ctx, { tenantId: tenantArg(input.tenantId), channel: input.channel }) })),
  }),
}));
