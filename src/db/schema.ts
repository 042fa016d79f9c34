// Drizzle tables: the one description of the database. Migrations in drizzle/ are generated from
// this file by drizzle-kit (`npm run db:generate`); never edit a released migration by hand.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { ACTION_KINDS } from '../registry/action-kinds';

// Millisecond precision everywhere: cursors carry JS Dates, and a microsecond column would make a
// cursor compare unequal to the row it came from (rows repeated or lost while paging).
const ts = (name: string) => timestamp(name, { precision: 3, withTimezone: true, mode: 'date' });

// Postgres enums sort in declaration order, which gives the SEVERITY ordering for free.
export const severityEnum = pgEnum('severity', ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH']);
export const incidentStatusEnum = pgEnum('incident_status', [
  'ACTIVE',
  'IN_PROGRESS',
  'AWAITING_CUSTOMER_ACTION',
  'RESOLVED',
  // merged into another incident (redirected_to_id): its id and number still resolve
  'REDIRECTED',
]);
export const assignmentEnum = pgEnum('assignment', ['EXPERTS', 'CUSTOMER', 'UNASSIGNED']);
export const classificationEnum = pgEnum('classification', [
  'UNKNOWN',
  'TRUE_POSITIVE',
  'FALSE_POSITIVE',
  'INFORMATIONAL_EXPECTED_ACTIVITY',
]);
export const determinationEnum = pgEnum('determination', [
  'UNKNOWN',
  'MULTI_STAGED_ATTACK',
  'MALICIOUS_USER_ACTIVITY',
  'COMPROMISED_ACCOUNT',
  'MALWARE',
  'PHISHING',
  'UNWANTED_SOFTWARE',
  'SECURITY_TESTING',
  'LINE_OF_BUSINESS_APPLICATION',
  'CONFIRMED_ACTIVITY',
  'NOT_MALICIOUS',
  'NOT_ENOUGH_DATA_TO_VALIDATE',
  'OTHER',
]);
export const roleEnum = pgEnum('role', ['READER', 'OPERATOR', 'ADMIN', 'EXPERT', 'INTEGRATION']);
export const serviceAccessLevelEnum = pgEnum('service_access_level', ['READER', 'OPERATOR']);
export const deviceHealthEnum = pgEnum('device_health', ['ACTIVE', 'INACTIVE']);
export const evidenceKindEnum = pgEnum('evidence_kind', ['DEVICE', 'FILE', 'PROCESS', 'USER', 'IP', 'URL', 'EMAIL']);
export const sideEnum = pgEnum('side', ['EXPERTS', 'CUSTOMER']);
// from the one registry of action kinds (a leaf module: storage reads the list, not the rules)
export const actionKindEnum = pgEnum('action_kind', ACTION_KINDS);
export const mailboxLocationEnum = pgEnum('mailbox_location', ['INBOX', 'JUNK', 'DELETED']);
export const indicatorTypeEnum = pgEnum('indicator_type', ['FILE_SHA1', 'FILE_SHA256', 'IP_ADDRESS', 'URL', 'DOMAIN']);
export const indicatorActionEnum = pgEnum('indicator_action', ['BLOCK', 'ALLOWED']);
export const actionStatusEnum = pgEnum('action_status', ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SKIPPED']);
/**
 * An execution attempt's own state: QUEUED (ready to claim), RUNNING (claimed by an executor
 * under a lease), WAITING (device offline), SENT (handed to a remote EDR, awaiting its callback),
 * then COMPLETED or FAILED.
 */
export const attemptStateEnum = pgEnum('attempt_state', ['QUEUED', 'RUNNING', 'WAITING', 'SENT', 'COMPLETED', 'FAILED']);

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  serviceAccessLevel: serviceAccessLevelEnum('service_access_level').notNull().default('READER'),
  remediationExclusions: text('remediation_exclusions').array().notNull().default(sql`'{}'::text[]`),
  /** Accounts the experts never act on (break-glass, VIP): ids of this tenant's accounts. */
  excludedAccountIds: uuid('excluded_account_ids').array().notNull().default(sql`'{}'::uuid[]`),
  /** Remote EDR endpoint for response actions; null = the built-in endpoint fleet. */
  edrEndpoint: text('edr_endpoint'),
  /** Shared secret that signs requests to the remote EDR and its callbacks (HMAC-SHA256). */
  edrSecret: text('edr_secret'),
  /** Microsoft Teams workflow webhook ("post to a channel when a webhook request is received"); a secret: never returned. */
  teamsWebhookUrl: text('teams_webhook_url'),
  // Per-tenant incident number sequence, bumped with UPDATE … RETURNING inside the ingest transaction.
  lastIncidentNumber: integer('last_incident_number').notNull().default(0),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const principals = pgTable(
  'principals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // null for provider-side principals (experts)
    tenantId: uuid('tenant_id').references(() => tenants.id),
    name: text('name').notNull(),
    email: text('email'),
    role: roleEnum('role').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    // A disabled principal keeps its history (activity, chat) but none of its tokens work.
    disabledAt: ts('disabled_at'),
  },
  (t) => [index('principals_tenant_idx').on(t.tenantId)],
);

// Which tenants an expert serves.
export const expertTenants = pgTable(
  'expert_tenants',
  {
    principalId: uuid('principal_id')
      .notNull()
      .references(() => principals.id),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
  },
  (t) => [primaryKey({ columns: [t.principalId, t.tenantId] })],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    principalId: uuid('principal_id')
      .notNull()
      .references(() => principals.id),
    name: text('name').notNull(),
    // SHA-256 of the token; the token itself is shown once and never stored.
    tokenHash: text('token_hash').notNull().unique(),
    // First characters of the token, to recognise it in listings.
    prefix: text('prefix').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    /** After this the token no longer authenticates (null: it does not expire). */
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('api_tokens_principal_idx').on(t.principalId)],
);

export const incidents = pgTable(
  'incidents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    number: integer('number').notNull(),
    externalId: text('external_id'),
    title: text('title').notNull(),
    description: text('description'),
    severity: severityEnum('severity').notNull(),
    status: incidentStatusEnum('status').notNull().default('ACTIVE'),
    classification: classificationEnum('classification').notNull().default('UNKNOWN'),
    determination: determinationEnum('determination').notNull().default('UNKNOWN'),
    assignment: assignmentEnum('assignment').notNull().default('UNASSIGNED'),
    assigneeId: uuid('assignee_id').references(() => principals.id),
    customTags: text('custom_tags').array().notNull().default(sql`'{}'::text[]`),
    systemTags: text('system_tags').array().notNull().default(sql`'{}'::text[]`),
    priorityScore: smallint('priority_score').notNull().default(0),
    resolvingComment: text('resolving_comment'),
    /** A REDIRECTED incident's target: the incident it was merged into. */
    redirectedToId: uuid('redirected_to_id').references((): AnyPgColumn => incidents.id),
    /** The suppression rule that resolved it at ingestion (undoSuppression reopens it). */
    suppressedByRuleId: uuid('suppressed_by_rule_id').references((): AnyPgColumn => suppressionRules.id),
    version: integer('version').notNull().default(1),
    // Lower-cased title, number and impacted asset names: what the queue's text search matches.
    searchText: text('search_text').notNull().default(''),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    firstActivityAt: ts('first_activity_at'),
    lastActivityAt: ts('last_activity_at'),
  },
  (t) => [
    uniqueIndex('incidents_tenant_number_uq').on(t.tenantId, t.number),
    uniqueIndex('incidents_tenant_external_uq').on(t.tenantId, t.externalId),
    // keyset orderings of the queue: (sort key, id) within a tenant
    index('incidents_tenant_updated_idx').on(t.tenantId, t.updatedAt, t.id),
    index('incidents_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('incidents_tenant_severity_idx').on(t.tenantId, t.severity, t.updatedAt, t.id),
    index('incidents_tenant_priority_idx').on(t.tenantId, t.priorityScore, t.updatedAt, t.id),
    index('incidents_tenant_status_idx').on(t.tenantId, t.status),
    index('incidents_tags_idx').using('gin', t.customTags),
    index('incidents_system_tags_idx').using('gin', t.systemTags),
  ],
);

export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    externalId: text('external_id').notNull(),
    title: text('title').notNull(),
    severity: severityEnum('severity').notNull(),
    category: text('category'),
    detectionSource: text('detection_source'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('alerts_tenant_external_uq').on(t.tenantId, t.externalId),
    index('alerts_incident_idx').on(t.incidentId, t.createdAt, t.id),
  ],
);

// The endpoint fleet: devices belong to a tenant, not to an incident.
export const devices = pgTable(
  'devices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    deviceGroup: text('device_group'),
    osPlatform: text('os_platform'),
    healthStatus: deviceHealthEnum('health_status').notNull().default('ACTIVE'),
    isolated: boolean('isolated').notNull().default(false),
    appExecutionRestricted: boolean('app_execution_restricted').notNull().default(false),
    lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('devices_tenant_name_uq').on(t.tenantId, sql`lower(${t.name})`)],
);

export const deviceFiles = pgTable(
  'device_files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id),
    fileName: text('file_name').notNull(),
    filePath: text('file_path').notNull().default(''),
    sha1: text('sha1'),
    sha256: text('sha256'),
    quarantined: boolean('quarantined').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('device_files_device_path_uq').on(t.deviceId, t.filePath, t.fileName)],
);

// The rest of the built-in estate, tenant inventory like devices: accounts, mailbox messages and
// indicators, each created (or matched) from ingested evidence.
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    accountName: text('account_name').notNull(),
    domain: text('domain'),
    upn: text('upn'),
    displayName: text('display_name'),
    enabled: boolean('enabled').notNull().default(true),
    sessionsRevokedAt: ts('sessions_revoked_at'),
    passwordResetRequired: boolean('password_reset_required').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    // an account is found by its UPN when it has one, else by domain\name (both case-insensitive)
    uniqueIndex('accounts_tenant_upn_uq').on(t.tenantId, sql`lower(${t.upn})`).where(sql`upn is not null`),
    index('accounts_tenant_name_idx').on(t.tenantId, sql`lower(${t.accountName})`),
  ],
);

export const emailMessages = pgTable(
  'email_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    networkMessageId: text('network_message_id').notNull(),
    recipient: text('recipient').notNull(),
    sender: text('sender'),
    subject: text('subject'),
    receivedAt: ts('received_at'),
    location: mailboxLocationEnum('location').notNull().default('INBOX'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  // one copy of a message per recipient mailbox
  (t) => [uniqueIndex('email_messages_tenant_message_uq').on(t.tenantId, sql`lower(${t.networkMessageId})`, sql`lower(${t.recipient})`)],
);

export const indicators = pgTable(
  'indicators',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    type: indicatorTypeEnum('type').notNull(),
    /** Normalised: hashes and domains lower case, URLs as parsed. */
    value: text('value').notNull(),
    action: indicatorActionEnum('action').notNull().default('ALLOWED'),
    /** A block lapses at this time (the indicator reads as ALLOWED after it). */
    expiresAt: ts('expires_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('indicators_tenant_value_uq').on(t.tenantId, t.type, t.value)],
);

// One row per evidence item of an alert. Devices and files point into the fleet; the other kinds
// (process, user, IP, URL) keep their value and details inline.
export const evidence = pgTable(
  'evidence',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    alertId: uuid('alert_id')
      .notNull()
      .references(() => alerts.id),
    kind: evidenceKindEnum('kind').notNull(),
    /** Order within the alert, as the source listed it. */
    position: smallint('position').notNull().default(0),
    deviceId: uuid('device_id').references(() => devices.id),
    fileId: uuid('file_id').references(() => deviceFiles.id),
    accountId: uuid('account_id').references(() => accounts.id),
    emailMessageId: uuid('email_message_id').references(() => emailMessages.id),
    indicatorId: uuid('indicator_id').references(() => indicators.id),
    value: text('value').notNull(),
    details: jsonb('details').$type<Record<string, string | null>>().notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('evidence_alert_idx').on(t.alertId),
    index('evidence_incident_device_idx').on(t.incidentId, t.deviceId),
  ],
);

export const comments = pgTable(
  'comments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    authorId: uuid('author_id')
      .notNull()
      .references(() => principals.id),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('comments_incident_idx').on(t.incidentId, t.createdAt, t.id)],
);

// The audit trail: one row per changed field. Its bigserial id orders events for subscriptions.
export const activity = pgTable(
  'activity',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** Null for a change outside any incident (an ad-hoc action from an entity's page). */
    incidentId: uuid('incident_id').references(() => incidents.id),
    actorId: uuid('actor_id').references(() => principals.id),
    actorSide: sideEnum('actor_side'),
    field: text('field').notNull(),
    /** The action card, chat message or comment the entry is about, if any. */
    subjectId: uuid('subject_id'),
    fromValue: text('from_value'),
    toValue: text('to_value'),
    note: text('note'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('activity_incident_idx').on(t.incidentId, t.id),
    index('activity_tenant_idx').on(t.tenantId, t.id),
  ],
);

export interface TimelineEntry {
  at: string;
  deviceName: string | null;
  event: string;
}
export interface IndicatorOfAttack {
  techniqueId: string;
  description: string;
}
export interface IndicatorOfCompromise {
  type: string;
  value: string;
}

// The experts' hand-over of a true-positive incident: one per incident.
export const managedResponses = pgTable('managed_responses', {
  incidentId: uuid('incident_id')
    .primaryKey()
    .references(() => incidents.id),
  tenantId: uuid('tenant_id')
    .notNull()
    .references(() => tenants.id),
  publishedById: uuid('published_by_id')
    .notNull()
    .references(() => principals.id),
  publishedAt: ts('published_at').notNull().defaultNow(),
  narrative: text('narrative').notNull(),
  impact: text('impact'),
  severityRationale: text('severity_rationale'),
  timeline: jsonb('timeline').$type<TimelineEntry[]>().notNull().default([]),
  indicatorsOfAttack: jsonb('indicators_of_attack').$type<IndicatorOfAttack[]>().notNull().default([]),
  indicatorsOfCompromise: jsonb('indicators_of_compromise').$type<IndicatorOfCompromise[]>().notNull().default([]),
});

/**
 * The append-only investigation record (SPEC.md section 4): one revision per publication, amendment
 * or conclusion (a false positive's summary too). Never updated; managed_responses holds a copy of
 * the current revision for the reads that need only that.
 */
export const investigationRevisions = pgTable(
  'investigation_revisions',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    number: smallint('number').notNull(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** PUBLISHED (a managed response), AMENDED, or CONCLUDED (false positive / informational). */
    reason: text('reason').notNull(),
    publishedById: uuid('published_by_id')
      .notNull()
      .references(() => principals.id),
    publishedAt: ts('published_at').notNull().defaultNow(),
    narrative: text('narrative').notNull(),
    impact: text('impact'),
    severityRationale: text('severity_rationale'),
    timeline: jsonb('timeline').$type<TimelineEntry[]>().notNull().default([]),
    indicatorsOfAttack: jsonb('indicators_of_attack').$type<IndicatorOfAttack[]>().notNull().default([]),
    indicatorsOfCompromise: jsonb('indicators_of_compromise').$type<IndicatorOfCompromise[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.number] })],
);

/** The experts' time-stamped notes while they work an incident, shown to the customer and kept. */
export const investigationUpdates = pgTable(
  'investigation_updates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    authorId: uuid('author_id')
      .notNull()
      .references(() => principals.id),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('investigation_updates_incident_idx').on(t.incidentId, t.createdAt, t.id)],
);

export const actionCards = pgTable(
  'action_cards',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** Null for an ad-hoc card: a customer's action from an entity's page, outside any incident. */
    incidentId: uuid('incident_id').references(() => incidents.id),
    /** The investigation revision that added the card (null for ad-hoc cards). */
    revision: smallint('revision'),
    position: smallint('position').notNull(),
    kind: actionKindEnum('kind').notNull(),
    title: text('title').notNull(),
    instructions: text('instructions'),
    targetDeviceId: uuid('target_device_id').references(() => devices.id),
    targetFileId: uuid('target_file_id').references(() => deviceFiles.id),
    targetAccountId: uuid('target_account_id').references(() => accounts.id),
    targetEmailId: uuid('target_email_id').references(() => emailMessages.id),
    targetIndicatorId: uuid('target_indicator_id').references(() => indicators.id),
    /** Options of the kind: a block's expiry (`expiresAt`, ISO), a scan's type (`scanType`). */
    parameters: jsonb('parameters').$type<ActionParameters>().notNull().default({}),
    /** The device, file, account, message or indicator id the action acts on: one action of a kind per target at a time. */
    targetKey: text('target_key'),
    status: actionStatusEnum('status').notNull().default('PENDING'),
    /** Who performed (or is performing) the action. */
    performedBy: sideEnum('performed_by'),
    performedById: uuid('performed_by_id').references(() => principals.id),
    /** Why the experts left this card to the customer (manual, access level, excluded target, failure). */
    leftToCustomerReason: text('left_to_customer_reason'),
    failureReason: text('failure_reason'),
    skipReason: text('skip_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    completedAt: ts('completed_at'),
  },
  (t) => [
    index('action_cards_incident_idx').on(t.incidentId, t.position),
    index('action_cards_tenant_updated_idx').on(t.tenantId, t.updatedAt, t.id),
    // serviceMetrics: the cards completed in a period, per tenant
    index('action_cards_tenant_completed_idx').on(t.tenantId, t.completedAt).where(sql`completed_at is not null`),
    // the database backs ALREADY_IN_PROGRESS: one running action of a kind per target
    uniqueIndex('action_cards_one_running_uq')
      .on(t.kind, t.targetKey)
      .where(sql`status = 'IN_PROGRESS' and target_key is not null`),
  ],
);

// Every execution attempt of a one-click card; also the executors' work queue.
export const actionAttempts = pgTable(
  'action_attempts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    actionId: uuid('action_id')
      .notNull()
      .references(() => actionCards.id),
    number: smallint('number').notNull(),
    side: sideEnum('side').notNull(),
    principalId: uuid('principal_id').references(() => principals.id),
    state: attemptStateEnum('state').notNull().default('QUEUED'),
    connector: text('connector').notNull(),
    /** Executor process holding the attempt, and until when (a crashed executor's lease expires). */
    claimedBy: text('claimed_by'),
    leaseUntil: ts('lease_until'),
    /** After this the attempt fails with TIMED_OUT (e.g. the device stayed offline). */
    deadline: ts('deadline').notNull(),
    /** Times the connector could not be reached and the attempt went back to the queue (the backoff exponent). */
    retries: smallint('retries').notNull().default(0),
    /** Why the last try did not get through (kept while the attempt waits for its retry). */
    lastError: text('last_error'),
    failureReason: text('failure_reason'),
    /** What a completed attempt found (scan findings, the package's size and reference). */
    result: text('result'),
    startedAt: ts('started_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    uniqueIndex('action_attempts_action_number_uq').on(t.actionId, t.number),
    index('action_attempts_open_idx')
      .on(t.state, t.leaseUntil)
      .where(sql`state in ('QUEUED', 'RUNNING', 'WAITING', 'SENT')`),
  ],
);

export const chatMessages = pgTable(
  'chat_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    authorId: uuid('author_id')
      .notNull()
      .references(() => principals.id),
    side: sideEnum('side').notNull(),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('chat_messages_incident_idx').on(t.incidentId, t.createdAt, t.id)],
);

export const contactPurposeEnum = pgEnum('contact_purpose', ['INCIDENT_NOTIFICATION', 'SERVICE_REVIEW']);
export const notificationKindEnum = pgEnum('notification_kind', [
  'MANAGED_RESPONSE_PUBLISHED',
  'INCIDENT_RESOLVED_BY_EXPERTS',
  'AWAITING_ACTION_REMINDER',
  'ACTION_FAILED',
  'SERVICE_REPORT',
  'WEBHOOK_ENDPOINT_DISABLED',
  'TEST',
]);
export const notificationChannelEnum = pgEnum('notification_channel', ['EMAIL', 'TEAMS']);
/** QUEUED → SENDING (claimed under a lease) → SENT | FAILED (retried at next_attempt_at) | DEAD (gave up). */
export const deliveryStatusEnum = pgEnum('delivery_status', ['QUEUED', 'SENDING', 'SENT', 'FAILED', 'DEAD']);

// The people a tenant wants told (SPEC.md section 6), managed by its ADMIN.
export const notificationContacts = pgTable(
  'notification_contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    email: text('email').notNull(),
    phone: text('phone'),
    purposes: contactPurposeEnum('purposes').array().notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('notification_contacts_tenant_email_uq').on(t.tenantId, sql`lower(${t.email})`)],
);

// The outbox: one row per message to one recipient on one channel, written in the transaction of
// the change that causes it, delivered by the job engine (src/domain/notifications/delivery.ts).
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    incidentId: uuid('incident_id').references(() => incidents.id),
    kind: notificationKindEnum('kind').notNull(),
    channel: notificationChannelEnum('channel').notNull(),
    /** An email address, or "Teams channel" for the tenant's Teams webhook (whose URL is a secret). */
    recipient: text('recipient').notNull(),
    contactId: uuid('contact_id').references(() => notificationContacts.id, { onDelete: 'set null' }),
    /** What the message says, captured when the change committed (the template renders it). */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** The same on every resend (an email's Message-ID), so a receiver can de-duplicate. */
    messageId: text('message_id').notNull(),
    /** At most one notification per key (e.g. one reminder per incident, round and recipient). */
    dedupeKey: text('dedupe_key'),
    status: deliveryStatusEnum('status').notNull().default('QUEUED'),
    attempts: smallint('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    claimedBy: text('claimed_by'),
    leaseUntil: ts('lease_until'),
    createdAt: ts('created_at').notNull().defaultNow(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('notifications_dedupe_uq').on(t.dedupeKey),
    index('notifications_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('notifications_open_idx')
      .on(t.status, t.nextAttemptAt)
      .where(sql`status in ('QUEUED', 'SENDING', 'FAILED')`),
  ],
);

// Reminders while an incident awaits the customer: one row per awaiting incident, written and
// removed in the transaction that moves the incident into and out of AWAITING_CUSTOMER_ACTION; the
// delivery sweep turns a due row into reminder notifications under a row lock (one per round).
export const incidentReminders = pgTable('incident_reminders', {
  incidentId: uuid('incident_id')
    .primaryKey()
    .references(() => incidents.id),
  tenantId: uuid('tenant_id')
    .notNull()
    .references(() => tenants.id),
  /** When the incident started awaiting the customer. */
  since: ts('since').notNull().defaultNow(),
  lastSentAt: ts('last_sent_at'),
  sent: integer('sent').notNull().default(0),
});

export const externalSystemEnum = pgEnum('external_system', ['SERVICENOW', 'SENTINEL']);
/** Where an outbound delivery goes: a tenant's webhook endpoint, or one of its sync connectors. */
export const outboundTargetEnum = pgEnum('outbound_target', ['WEBHOOK', 'SERVICENOW', 'SENTINEL']);

// Signed webhooks (Standard Webhooks), per tenant, managed by its ADMIN.
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    url: text('url').notNull(),
    /** Wire names: incident.created, incident.updated, … */
    eventTypes: text('event_types').array().notNull(),
    /** The signing secret (whsec_…), encrypted with SECRETS_KEY; shown once. */
    secretEnc: text('secret_enc').notNull(),
    /** After a rotation the previous secret signs too, until previousSecretUntil. */
    previousSecretEnc: text('previous_secret_enc'),
    previousSecretUntil: ts('previous_secret_until'),
    active: boolean('active').notNull().default(true),
    disabledReason: text('disabled_reason'),
    /** First failure of the current run of failures; cleared by a success. */
    failingSince: ts('failing_since'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId)],
);

// ServiceNow and Sentinel, kept in step with the tenant's incidents (one connector per system).
export const syncConnectors = pgTable(
  'sync_connectors',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    system: externalSystemEnum('system').notNull(),
    baseUrl: text('base_url').notNull(),
    /** JSON credentials (basic user/password or a bearer token), encrypted with SECRETS_KEY; never returned. */
    credentialsEnc: text('credentials_enc').notNull(),
    /** Overrides of the default field mappings (SPEC.md section 6). */
    mapping: jsonb('mapping').$type<Record<string, Record<string, string>>>().notNull().default({}),
    active: boolean('active').notNull().default(true),
    lastSyncAt: ts('last_sync_at'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sync_connectors_tenant_system_uq').on(t.tenantId, t.system)],
);

// The ticket or incident an incident has in an external system.
export const externalTickets = pgTable(
  'external_tickets',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    connectorId: uuid('connector_id')
      .notNull()
      .references(() => syncConnectors.id, { onDelete: 'cascade' }),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    system: externalSystemEnum('system').notNull(),
    /** ServiceNow sys_id / the Sentinel incident name. */
    externalId: text('external_id').notNull(),
    /** ServiceNow's INC number, when there is one. */
    number: text('number'),
    url: text('url'),
    status: deliveryStatusEnum('status').notNull().default('SENT'),
    lastError: text('last_error'),
    lastSyncedAt: ts('last_synced_at'),
    /** Sentinel: the labels we set last time (ours to replace; the others are Sentinel's). */
    labels: text('labels').array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.connectorId] })],
);

// Outbound deliveries: webhook calls and sync calls, written in the transaction of the change
// (the outbox) and delivered by the job engine, in commit order per incident and target.
export const outboundDeliveries = pgTable(
  'outbound_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    target: outboundTargetEnum('target').notNull(),
    endpointId: uuid('endpoint_id').references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    connectorId: uuid('connector_id').references(() => syncConnectors.id, { onDelete: 'cascade' }),
    incidentId: uuid('incident_id').references(() => incidents.id),
    /** Wire name of the event (incident.updated…). */
    eventType: text('event_type').notNull(),
    /** The activity entry the event comes from: commit order. */
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    /** webhook-id: the same on every attempt and redelivery. */
    messageId: text('message_id').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: deliveryStatusEnum('status').notNull().default('QUEUED'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    claimedBy: text('claimed_by'),
    leaseUntil: ts('lease_until'),
    responseStatus: integer('response_status'),
    durationMs: integer('duration_ms'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [
    index('outbound_deliveries_endpoint_idx').on(t.endpointId, t.createdAt, t.id),
    // commit order per target and incident: the earlier open delivery of the same pair is looked up here
    index('outbound_deliveries_order_idx').on(sql`coalesce(${t.endpointId}, ${t.connectorId})`, t.incidentId, t.eventId),
    index('outbound_deliveries_open_idx')
      .on(t.status, t.nextAttemptAt)
      .where(sql`status in ('QUEUED', 'SENDING', 'FAILED')`),
  ],
);

// Every attempt of a delivery: what the receiver answered.
export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => outboundDeliveries.id, { onDelete: 'cascade' }),
    at: ts('at').notNull().defaultNow(),
    responseStatus: integer('response_status'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    /** The first KB of the response body. */
    responseExcerpt: text('response_excerpt'),
  },
  (t) => [index('delivery_attempts_delivery_idx').on(t.deliveryId, t.id)],
);

export type ManagedResponseRow = typeof managedResponses.$inferSelect;
export type ActionCardRow = typeof actionCards.$inferSelect;
export interface ActionParameters {
  expiresAt?: string;
  scanType?: 'QUICK' | 'FULL';
}
export type InvestigationRevisionRow = typeof investigationRevisions.$inferSelect;
export type InvestigationUpdateRow = typeof investigationUpdates.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type EmailMessageRow = typeof emailMessages.$inferSelect;
export type IndicatorRow = typeof indicators.$inferSelect;
export type ActionAttemptRow = typeof actionAttempts.$inferSelect;
export type ChatMessageRow = typeof chatMessages.$inferSelect;
export type TenantRow = typeof tenants.$inferSelect;
export type PrincipalRow = typeof principals.$inferSelect;
export type IncidentRow = typeof incidents.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type DeviceRow = typeof devices.$inferSelect;
export type DeviceFileRow = typeof deviceFiles.$inferSelect;
export type EvidenceRow = typeof evidence.$inferSelect;
export type CommentRow = typeof comments.$inferSelect;
export type ActivityRow = typeof activity.$inferSelect;
export type NotificationContactRow = typeof notificationContacts.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type SyncConnectorRow = typeof syncConnectors.$inferSelect;
export type ExternalTicketRow = typeof externalTickets.$inferSelect;
export type OutboundDeliveryRow = typeof outboundDeliveries.$inferSelect;
export type DeliveryAttemptRow = typeof deliveryAttempts.$inferSelect;

// ---------------------------------------------------------------- working the queue (SPEC.md section 8)

/** A saved view's filter, stored typed: the IncidentFilter fields, with ids as database uuids. */
export interface SavedViewFilter {
  status?: string[];
  severity?: string[];
  assignment?: string[];
  assigneeId?: string;
  tags?: string[];
  classification?: string[];
  determination?: string[];
  createdAfter?: string;
  createdBefore?: string;
  updatedAfter?: string;
  updatedBefore?: string;
  search?: string;
  tenantIds?: string[];
}

export const savedViews = pgTable(
  'saved_views',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The owner's tenant; null for an expert's view (experts have no tenant; theirs stay private). */
    tenantId: uuid('tenant_id').references(() => tenants.id),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => principals.id),
    name: text('name').notNull(),
    /** Shared with everyone of the owner's tenant; private to the owner otherwise. */
    shared: boolean('shared').notNull().default(false),
    filter: jsonb('filter').$type<SavedViewFilter>().notNull().default({}),
    orderField: text('order_field'),
    orderDirection: text('order_direction'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('saved_views_owner_name_uq').on(t.ownerId, sql`lower(${t.name})`), index('saved_views_tenant_idx').on(t.tenantId)],
);

export const suppressionFieldEnum = pgEnum('suppression_field', [
  'ALERT_TITLE',
  'DETECTION_SOURCE',
  'CATEGORY',
  'DEVICE_GROUP',
  'DEVICE_NAME',
  'ACCOUNT',
  'EVIDENCE_VALUE',
]);
export const matchOperatorEnum = pgEnum('match_operator', ['EQUALS', 'CONTAINS', 'GLOB']);

export interface SuppressionCondition {
  field: (typeof suppressionFieldEnum.enumValues)[number];
  operator: (typeof matchOperatorEnum.enumValues)[number];
  value: string;
}

export const suppressionRules = pgTable(
  'suppression_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    /** Every condition must hold (AND); each compares case-insensitively. */
    conditions: jsonb('conditions').$type<SuppressionCondition[]>().notNull(),
    /** A HIGH severity incident is suppressed only when the rule says so. */
    includeHighSeverity: boolean('include_high_severity').notNull().default(false),
    expiresAt: ts('expires_at'),
    active: boolean('active').notNull().default(true),
    hitCount: integer('hit_count').notNull().default(0),
    lastHitAt: ts('last_hit_at'),
    createdById: uuid('created_by_id')
      .notNull()
      .references(() => principals.id),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('suppression_rules_tenant_idx').on(t.tenantId)],
);

export type SavedViewRow = typeof savedViews.$inferSelect;
export type SuppressionRuleRow = typeof suppressionRules.$inferSelect;

// ---------------------------------------------------------------- SLA metrics (SPEC.md section 8)

/**
 * One row per incident: the SLA timestamps its activity log yields (src/domain/sla.ts folds the
 * entries), kept current in the transaction of every change, so that serviceMetrics aggregates
 * one narrow table instead of replaying the log. severity, status, classification and
 * determination are copies of the incident's current values (the metrics group by them).
 */
export const incidentSla = pgTable(
  'incident_sla',
  {
    incidentId: uuid('incident_id')
      .primaryKey()
      .references(() => incidents.id),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    severity: severityEnum('severity').notNull(),
    status: incidentStatusEnum('status').notNull(),
    classification: classificationEnum('classification').notNull(),
    determination: determinationEnum('determination').notNull(),
    createdAt: ts('created_at').notNull(),
    /** The first move to IN_PROGRESS (the experts started the investigation). */
    acknowledgedAt: ts('acknowledged_at'),
    /** When the incident last left ACTIVE (null while ACTIVE): where the acknowledge clock stops. */
    leftActiveAt: ts('left_active_at'),
    /** The first classification other than UNKNOWN (a reopen that clears it does not reset this). */
    classifiedAt: ts('classified_at'),
    /** The first publication of the managed response. */
    publishedAt: ts('published_at'),
    /** The last resolution, while the incident is resolved (or was resolved when it was merged). */
    resolvedAt: ts('resolved_at'),
    /** Start of the AWAITING_CUSTOMER_ACTION episode in progress, if any. */
    awaitingSince: ts('awaiting_since'),
    /** Sum of the finished AWAITING_CUSTOMER_ACTION episodes (ms); null before the first one ends. */
    customerResponseMs: bigint('customer_response_ms', { mode: 'number' }),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('incident_sla_tenant_created_idx').on(t.tenantId, t.createdAt)],
);

export type IncidentSlaRow = typeof incidentSla.$inferSelect;

// The monthly service report's email (src/domain/report/schedule.ts): one row per tenant and
// reported month, written in the transaction that queues that month's emails, so that however
// many processes look on the 1st, a tenant's report is queued once.
export const serviceReportRuns = pgTable(
  'service_report_runs',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** The reported month, YYYY-MM. */
    month: text('month').notNull(),
    queuedAt: ts('queued_at').notNull().defaultNow(),
    /** How many emails were queued (0: the tenant had no active SERVICE_REVIEW contact then). */
    recipients: integer('recipients').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.month] })],
);

// The queue page cache's validator (src/domain/queue-cache.ts): one row per tenant, `version` a
// random uuid drawn anew by every transaction that changes the tenant's queue data (incidents,
// alerts, evidence, devices), at its commit. Kept by triggers (drizzle/0013_queue_version_triggers.sql),
// so that no write, from any code path, a CLI or plain SQL, can miss it: a page cached under a
// tenant's version is served only while that version is still current. Random, not a transaction
// id: ids of commits lost in a failover or a point-in-time restore are handed out again.
export const queueVersions = pgTable('queue_versions', {
  tenantId: uuid('tenant_id').primaryKey(),
  version: uuid('version').notNull(),
});
