// Outbound integrations (SPEC.md section 6, API.md "Webhooks and sync connectors"): signed
// webhooks with their delivery log, and the ServiceNow / Sentinel sync connectors.
import type { DeliveryAttemptRow, ExternalTicketRow, OutboundDeliveryRow, SyncConnectorRow, WebhookEndpointRow } from '../db/schema';
import {
  attemptsOfDelivery,
  configureSyncConnector,
  connectorsById,
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  deliveriesById,
  endpointsById,
  listConnectors,
  listDeliveries,
  listEndpoints,
  redeliverWebhook,
  rotateWebhookSecret,
  ticketsOf,
  updateWebhookEndpoint,
} from '../domain/outbound/admin';
import { enumName, WEBHOOK_EVENT_TYPES, type WebhookEventEnum } from '../domain/outbound/events';
import { builder } from './builder';
import { invalid } from '../domain/errors';
import { describedValues, localId, payload, UserError } from './common';
import { DeliveryStatusEnum, DeleteNodePayload } from './notifications';
import { IncidentRef, TenantRef } from './refs';

export const WebhookEventTypeEnum = builder.enumType('WebhookEventType', {
  description: `What a webhook is sent for. Wire names (the body's "type"): ${Object.values(WEBHOOK_EVENT_TYPES).join(', ')}.`,
  values: describedValues(Object.keys(WEBHOOK_EVENT_TYPES) as WebhookEventEnum[], {
    INCIDENT_CREATED: 'A new incident was ingested.',
    INCIDENT_UPDATED: 'An incident changed (status, assignment, severity, tags, classification, comments …).',
    INCIDENT_RESOLVED: 'An incident became RESOLVED.',
    MANAGED_RESPONSE_PUBLISHED: 'The experts published a managed response.',
    ACTION_UPDATED: "An action card's status changed.",
    CHAT_MESSAGE_ADDED: 'A chat message was sent on a managed response.',
    INVESTIGATION_UPDATE_POSTED: 'An expert posted an investigation update.',
  }),
});
export const ExternalSystemEnum = builder.enumType('ExternalSystem', {
  description: 'SERVICENOW (Table API) or SENTINEL (Microsoft Sentinel incidents API).',
  values: describedValues(['SERVICENOW', 'SENTINEL'] as const, {
    SERVICENOW: 'ServiceNow: a ticket per incident through the Table API (state, work notes, closure code).',
    SENTINEL: "Microsoft Sentinel: the matching Sentinel incident's status, owner, classification and labels.",
  }),
});

const DeliveryAttemptRef = builder.objectRef<DeliveryAttemptRow>('WebhookDeliveryAttempt').implement({
  description: 'One try of a delivery: what the receiver answered.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', description: 'When the try started.', resolve: (a) => a.at }),
    responseStatus: t.exposeInt('responseStatus', { nullable: true, description: 'HTTP status; null when there was no answer (timeout, refused connection).' }),
    durationMs: t.exposeInt('durationMs', { description: 'How long the try took, in milliseconds.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed (a non-2xx status, a timeout, a refused address); null when it went through.' }),
    responseExcerpt: t.exposeString('responseExcerpt', { nullable: true, description: 'The first KB of the response body.' }),
  }),
});

const WebhookDeliveryRef = builder.objectRef<OutboundDeliveryRow>('WebhookDelivery');
builder.node(WebhookDeliveryRef, {
  description: 'One event sent (or to be sent) to one webhook endpoint, or one sync call to a connector, with every attempt.',
  id: { resolve: (d) => d.id },
  loadMany: (ids, ctx) => deliveriesById(ctx, ids),
  fields: (t) => ({
    eventType: t.field({ type: WebhookEventTypeEnum, description: 'What the event was.', resolve: (d) => enumName(d.eventType) }),
    eventId: t.id({ description: 'The event (activity entry) id: commit order per incident.', resolve: (d) => String(d.eventId) }),
    webhookId: t.exposeString('messageId', { description: 'The webhook-id header: the same on every attempt and redelivery.' }),
    incident: t.field({ type: IncidentRef, nullable: true, description: 'The incident the event is about, if one.', resolve: (d, _a, ctx) => (d.incidentId ? ctx.loaders.incident.load(d.incidentId) : null) }),
    status: t.field({ type: DeliveryStatusEnum, description: 'How the delivery stands.', resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts', { description: 'Tries so far.' }),
    responseStatus: t.exposeInt('responseStatus', { nullable: true, description: "The last try's HTTP status; null when there was no answer." }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: "The last try's duration, in milliseconds." }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last try failed.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When the change that caused it committed.', resolve: (d) => d.createdAt }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, description: 'When the receiver accepted it; null until then.', resolve: (d) => d.deliveredAt }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, description: 'When it will be tried next; null once SENT or DEAD.', resolve: (d) => (d.status === 'QUEUED' || d.status === 'FAILED' ? d.nextAttemptAt : null) }),
    payload: t.string({ description: 'The JSON body sent.', resolve: (d) => JSON.stringify(d.payload) }),
    attemptLog: t.field({ type: [DeliveryAttemptRef], description: 'Every attempt, oldest first.', resolve: (d, _a, ctx) => attemptsOfDelivery(ctx, d) }),
  }),
});

const DeliveryFilterInput = builder.inputType('DeliveryFilter', {
  description: 'Delivery log filters: any of the values within one filter, every filter given.',
  fields: (t) => ({
    status: t.field({ type: [DeliveryStatusEnum], description: 'Any of these statuses.' }),
    eventType: t.field({ type: [WebhookEventTypeEnum], description: 'Any of these event types.' }),
  }),
});

const WebhookEndpointRef = builder.objectRef<WebhookEndpointRow>('WebhookEndpoint');
builder.node(WebhookEndpointRef, {
  description: 'A receiver of signed webhooks (Standard Webhooks). The secret is shown once, at creation and rotation.',
  id: { resolve: (e) => e.id },
  loadMany: (ids, ctx) => endpointsById(ctx, ids),
  fields: (t) => ({
    url: t.exposeString('url', { description: 'Where the events are POSTed.' }),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], description: 'The events it subscribes to.', resolve: (e) => e.eventTypes.map(enumName) }),
    active: t.exposeBoolean('active', { description: 'Whether events are sent to it.' }),
    disabledReason: t.exposeString('disabledReason', { nullable: true, description: 'Why it is inactive (an admin, or failing for WEBHOOK_DISABLE_AFTER).' }),
    failingSince: t.field({ type: 'DateTime', nullable: true, description: 'Start of the current run of failures.', resolve: (e) => e.failingSince }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was added.', resolve: (e) => e.createdAt }),
    deliveries: t.connection(
      {
        type: WebhookDeliveryRef,
        description: 'What was sent to it, newest first.',
        args: { filter: t.arg({ type: DeliveryFilterInput, description: 'Which deliveries; none: all of them.' }) },
        resolve: (e, args, ctx) => listDeliveries(ctx, { endpoint: e }, args.filter ? { status: args.filter.status, eventType: args.filter.eventType } : null, args),
      },
      { name: 'WebhookDeliveryConnection', description: 'A page of deliveries.' },
      { name: 'WebhookDeliveryEdge', description: 'A delivery of the page, with its cursor.' },
    ),
  }),
});

const SyncConnectorRef = builder.objectRef<SyncConnectorRow>('SyncConnector');
builder.node(SyncConnectorRef, {
  description: 'ServiceNow or Sentinel, kept in step with the tenant\'s incidents. Credentials are stored encrypted and never returned.',
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => connectorsById(ctx, ids),
  fields: (t) => ({
    system: t.field({ type: ExternalSystemEnum, description: 'SERVICENOW or SENTINEL.', resolve: (c) => c.system }),
    baseUrl: t.exposeString('baseUrl', { description: "The ServiceNow instance, or the Sentinel workspace's incidents URL." }),
    active: t.exposeBoolean('active', { description: 'Whether changes are synced.' }),
    lastSyncAt: t.field({ type: 'DateTime', nullable: true, description: 'When a sync call last went through.', resolve: (c) => c.lastSyncAt }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last sync call failed, if it did.' }),
    mapping: t.string({ description: 'The mapping overrides, as JSON.', resolve: (c) => JSON.stringify(c.mapping) }),
    deliveries: t.connection(
      {
        type: WebhookDeliveryRef,
        description: 'Its sync calls, newest first, in the shape of webhook deliveries (eventType: the last event of the change that caused it); redeliverWebhook sends one again.',
        args: { filter: t.arg({ type: DeliveryFilterInput, description: 'Which sync calls; none: all of them.' }) },
        resolve: (c, args, ctx) => listDeliveries(ctx, { connector: c }, args.filter ? { status: args.filter.status, eventType: args.filter.eventType } : null, args),
      },
      { name: 'SyncDeliveryConnection', description: 'A page of sync calls.' },
      { name: 'SyncDeliveryEdge', description: 'A sync call of the page, with its cursor.' },
    ),
  }),
});

const ExternalTicketRef = builder.objectRef<ExternalTicketRow>('ExternalTicket').implement({
  description: 'The incident\'s ticket in ServiceNow, or its incident in Sentinel.',
  fields: (t) => ({
    system: t.field({ type: ExternalSystemEnum, description: 'SERVICENOW or SENTINEL.', resolve: (x) => x.system }),
    externalId: t.exposeString('externalId', { description: 'ServiceNow sys_id, or the Sentinel incident name.' }),
    number: t.exposeString('number', { nullable: true, description: 'ServiceNow\'s INC number.' }),
    url: t.exposeString('url', { nullable: true, description: 'A link to it in that system, when known.' }),
    lastSyncedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was last brought up to date.', resolve: (x) => x.lastSyncedAt }),
    status: t.field({ type: DeliveryStatusEnum, description: 'SENT when the last sync went through; FAILED (retrying) or DEAD otherwise.', resolve: (x) => x.status }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last sync failed, if it did.' }),
  }),
});

builder.objectFields(TenantRef, (t) => ({
  webhookEndpoints: t.field({
    type: [WebhookEndpointRef],
    description: 'Where the tenant\'s events are pushed (ADMIN and experts).',
    authScopes: { fieldPolicy: 'Tenant.webhookEndpoints' },
    resolve: (tenant, _a, ctx) => listEndpoints(ctx, tenant.id),
  }),
  syncConnectors: t.field({
    type: [SyncConnectorRef],
    description: 'ServiceNow / Sentinel connectors (ADMIN and experts).',
    authScopes: { fieldPolicy: 'Tenant.syncConnectors' },
    resolve: (tenant, _a, ctx) => listConnectors(ctx, tenant.id),
  }),
}));

builder.objectFields(IncidentRef, (t) => ({
  externalTickets: t.field({
    type: [ExternalTicketRef],
    description: 'Its ticket in ServiceNow and its incident in Sentinel, once synced.',
    resolve: (i, _a, ctx) => ticketsOf(ctx, i.id),
  }),
}));

// ---- mutations

const WebhookEndpointPayload = builder.objectRef<{ endpoint?: WebhookEndpointRow; errors: unknown[] }>('WebhookEndpointPayload').implement({
  description: 'The endpoint after the change, or why nothing changed.',
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, nullable: true, description: 'The endpoint as it is now; null when there were errors.', resolve: (p) => p.endpoint ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});
const WebhookEndpointSecretPayload = builder.objectRef<{ endpoint?: WebhookEndpointRow; secret?: string; errors: unknown[] }>('WebhookEndpointSecretPayload').implement({
  description: 'The endpoint and its signing secret: shown this once, keep it.',
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, nullable: true, description: 'The endpoint as it is now; null when there were errors.', resolve: (p) => p.endpoint ?? null }),
    secret: t.string({ nullable: true, description: '"whsec_…": verify signatures with it (any Standard Webhooks library).', resolve: (p) => p.secret ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});
const WebhookDeliveryPayload = builder.objectRef<{ delivery?: OutboundDeliveryRow; errors: unknown[] }>('WebhookDeliveryPayload').implement({
  description: 'The delivery, queued again, or why not.',
  fields: (t) => ({
    delivery: t.field({ type: WebhookDeliveryRef, nullable: true, description: 'The delivery as it is now; null when there were errors.', resolve: (p) => p.delivery ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});
const SyncConnectorPayload = builder.objectRef<{ connector?: SyncConnectorRow; errors: unknown[] }>('SyncConnectorPayload').implement({
  description: 'The connector after the change, or why nothing changed.',
  fields: (t) => ({
    connector: t.field({ type: SyncConnectorRef, nullable: true, description: 'The connector as it is now; null when there were errors.', resolve: (p) => p.connector ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  description: 'A new webhook endpoint of your tenant; its signing secret is returned once.',
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional).' }),
    url: t.string({ required: true, description: 'https URL on a public address (WEBHOOK_ALLOW_PRIVATE=1 lifts that).' }),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], required: true, description: 'The events to send it (at least one).' }),
  }),
});
const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'What to change on an endpoint; fields left out stay as they are.',
  fields: (t) => ({
    endpointId: t.id({ required: true, description: 'The WebhookEndpoint.' }),
    url: t.string({ description: 'The new URL (same rules as at creation).' }),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], description: 'The new event list (the whole list).' }),
    active: t.boolean({ description: 'false disables it; true enables it again and starts a fresh failure window.' }),
  }),
});
const EndpointRefInput = builder.inputType('EndpointRefInput', {
  description: 'A webhook endpoint to act on.',
  fields: (t) => ({ endpointId: t.id({ required: true, description: 'The WebhookEndpoint.' }) }),
});
const RedeliverWebhookInput = builder.inputType('RedeliverWebhookInput', {
  description: 'A delivery (or sync call) to send again.',
  fields: (t) => ({ deliveryId: t.id({ required: true, description: 'The WebhookDelivery.' }) }),
});
const SyncCredentialsInput = builder.inputType('SyncCredentialsInput', {
  description: 'A bearer token, or (ServiceNow) a basic-auth user and password. Stored encrypted, never returned.',
  fields: (t) => ({
    username: t.string({ description: 'ServiceNow: the basic-auth user.' }),
    password: t.string({ description: 'ServiceNow: the basic-auth password.' }),
    token: t.string({ description: 'A bearer token (Sentinel, or ServiceNow OAuth).' }),
  }),
});
const ConfigureSyncConnectorInput = builder.inputType('ConfigureSyncConnectorInput', {
  description: "Your tenant's connector to one external system (one per system: set again to change it).",
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional).' }),
    system: t.field({ type: ExternalSystemEnum, required: true, description: 'Which system.' }),
    baseUrl: t.string({ required: true, description: 'ServiceNow: the instance (https://acme.service-now.com). Sentinel: the workspace\'s incidents collection URL.' }),
    credentials: t.field({ type: SyncCredentialsInput, description: 'Required the first time; leave out to keep the stored ones.' }),
    mapping: t.string({ description: 'ServiceNow overrides as JSON, e.g. {"impact":{"LOW":"2"},"state":{"AWAITING_CUSTOMER_ACTION":"2"},"closeCode":{"FALSE_POSITIVE":"Closed/Resolved by Caller"}}.' }),
    active: t.boolean({ required: true, description: 'Whether to sync changes now.' }),
  }),
});

const tenantArg = (id: string | number | null | undefined) => (id ? localId(String(id), 'Tenant', ['tenantId']) : null);
const endpointArg = (id: string | number) => localId(String(id), 'WebhookEndpoint', ['endpointId']);

/** The mapping argument (JSON text) as an object; anything else is INVALID_INPUT on input.mapping. */
function parseMapping(raw: string | null | undefined): Record<string, Record<string, string>> | null {
  if (raw == null) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid('mapping must be a JSON object', ['mapping']);
  return v as Record<string, Record<string, string>>;
}

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookEndpointSecretPayload,
    description: 'ADMIN: push these events, signed, to this URL. The secret is in this answer only.',
    authScopes: { policy: 'createWebhookEndpoint' },
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(() => createWebhookEndpoint(ctx, { tenantId: tenantArg(input.tenantId), url: input.url, eventTypes: input.eventTypes })),
  }),
  updateWebhookEndpoint: t.field({
    type: WebhookEndpointPayload,
    description: 'ADMIN: change the URL or the events, disable or enable again.',
    authScopes: { policy: 'updateWebhookEndpoint' },
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        endpoint: await updateWebhookEndpoint(ctx, { endpointId: endpointArg(input.endpointId), url: input.url, eventTypes: input.eventTypes, active: input.active }),
      })),
  }),
  rotateWebhookSecret: t.field({
    type: WebhookEndpointSecretPayload,
    description: 'ADMIN: a new secret (in this answer only); the old one keeps signing beside it for 24 hours.',
    authScopes: { policy: 'rotateWebhookSecret' },
    args: { input: t.arg({ type: EndpointRefInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(() => rotateWebhookSecret(ctx, { endpointId: endpointArg(input.endpointId) })),
  }),
  deleteWebhookEndpoint: t.field({
    type: DeleteNodePayload,
    description: 'ADMIN: remove an endpoint and its delivery log.',
    authScopes: { policy: 'deleteWebhookEndpoint' },
    args: { input: t.arg({ type: EndpointRefInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => {
        await deleteWebhookEndpoint(ctx, { endpointId: endpointArg(input.endpointId) });
        return { deletedId: String(input.endpointId) };
      }),
  }),
  redeliverWebhook: t.field({
    type: WebhookDeliveryPayload,
    description: 'ADMIN: send a webhook delivery (same webhook-id) or a sync call again now.',
    authScopes: { policy: 'redeliverWebhook' },
    args: { input: t.arg({ type: RedeliverWebhookInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ delivery: await redeliverWebhook(ctx, { deliveryId: localId(String(input.deliveryId), 'WebhookDelivery', ['deliveryId']) }) })),
  }),
  configureSyncConnector: t.field({
    type: SyncConnectorPayload,
    description: 'ADMIN: connect (or change, or pause with active: false) ServiceNow or Sentinel.',
    authScopes: { policy: 'configureSyncConnector' },
    args: { input: t.arg({ type: ConfigureSyncConnectorInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        connector: await configureSyncConnector(ctx, {
          tenantId: tenantArg(input.tenantId),
          system: input.system,
          baseUrl: input.baseUrl,
          credentials: input.credentials,
          mapping: parseMapping(input.mapping),
          active: input.active,
        }),
      })),
  }),
}));
