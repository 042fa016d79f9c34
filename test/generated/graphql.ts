/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** What a response action does (Defender for Endpoint, Entra ID and Office 365 actions, indicators, plus MANUAL). */
export type ActionKind =
  /** On an indicator: The tenant's indicator list blocks it, until its expiry if one is set. Undone by UNBLOCK_INDICATOR. */
  | 'BLOCK_INDICATOR'
  /** On a device: A forensic package is collected from the device; its size and download reference are recorded on the attempt. */
  | 'COLLECT_INVESTIGATION_PACKAGE'
  /** On an account: The account can no longer sign in. Undone by ENABLE_USER. */
  | 'DISABLE_USER'
  /** On an account: The account may sign in again. */
  | 'ENABLE_USER'
  /** On an account: The user must change the password at the next sign-in. */
  | 'FORCE_PASSWORD_RESET'
  /** On a device: The device is cut off from the network except the EDR channel. Undone by RELEASE_FROM_ISOLATION. */
  | 'ISOLATE_DEVICE'
  /** Instructions the customer performs outside the service. */
  | 'MANUAL'
  /** On an email message: The message moves to the Junk folder. Undone by RESTORE_EMAIL. */
  | 'MOVE_EMAIL_TO_JUNK'
  /** On a file on a device: Running processes stop, the file is quarantined and its persistence removed. */
  | 'QUARANTINE_FILE'
  /** On a device: The isolation is lifted. */
  | 'RELEASE_FROM_ISOLATION'
  /** On a device: The app execution restriction is lifted. */
  | 'REMOVE_APP_RESTRICTION'
  /** On an email message: The message is back in the inbox. */
  | 'RESTORE_EMAIL'
  /** On a device: Only trusted-signed code may run on the device. Undone by REMOVE_APP_RESTRICTION. */
  | 'RESTRICT_APP_EXECUTION'
  /** On an account: Every session and refresh token of the account is invalidated. */
  | 'REVOKE_SESSIONS'
  /** On a device: An antivirus scan runs on the device; the threats it found are recorded on the attempt. */
  | 'RUN_ANTIVIRUS_SCAN'
  /** On an email message: The message leaves the mailbox for Recoverable Items. Undone by RESTORE_EMAIL. */
  | 'SOFT_DELETE_EMAIL'
  /** On an indicator: The indicator is removed from the block list. */
  | 'UNBLOCK_INDICATOR';

/** PENDING → IN_PROGRESS → COMPLETED | FAILED; FAILED → IN_PROGRESS (retry); PENDING | FAILED → SKIPPED. MANUAL: PENDING → COMPLETED | SKIPPED. */
export type ActionStatus =
  /** Done: performed successfully, or a MANUAL card the customer confirmed. */
  | 'COMPLETED'
  /** The attempt failed (`failureReason`); still pending for the customer: retry it (performAction) or skip it. */
  | 'FAILED'
  /** Running through the EDR; COMPLETED or FAILED once the endpoint reports (or the timeout passes). */
  | 'IN_PROGRESS'
  /** Not started: waiting for the customer (or the experts, where they may act). */
  | 'PENDING'
  /** The customer decided not to do it (`skipReason`). */
  | 'SKIPPED';

/** What an activity entry is about: the incident field that changed, or the event it records. */
export type ActivityField =
  /** An action card's status changed: `from` and `to` are ActionStatus values, `note` names the card (and a failure or skip reason). Entries of an ad-hoc action from an entity page belong to no incident. */
  | 'ACTION'
  /** Another ingestion of the same incident brought new alerts: `from` and `to` are the alert counts before and after. */
  | 'ALERTS'
  /** The named assignee changed: `from` and `to` are Principal ids (usable with `node`), null when nobody was named. */
  | 'ASSIGNEE'
  /** Who works the incident changed: `from` and `to` are Assignment values (EXPERTS, CUSTOMER, UNASSIGNED). */
  | 'ASSIGNMENT'
  /** A chat message was sent on the managed response: `to` is the ChatMessage id, `note` the start of its text. */
  | 'CHAT'
  /** The experts classified the incident: `from` and `to` are Classification values. */
  | 'CLASSIFICATION'
  /** Someone commented on the incident: `to` is the Comment id, `note` the start of its text. */
  | 'COMMENT'
  /** The determination changed with the classification: `from` and `to` are Determination values. */
  | 'DETERMINATION'
  /** Ingested evidence named another device group for a known device than the tenant's inventory: `from` is the inventory's group, `to` the one claimed. Not applied: a known device changes group only when the tenant confirms it. */
  | 'DEVICE_GROUP'
  /** An expert posted an investigation update: `to` is the InvestigationUpdate id, `note` the start of its text. */
  | 'INVESTIGATION_UPDATE'
  /** The experts published the managed response (`to`: "published") or amended it with a new revision (`to`: "amended"); `note` starts the narrative or says what the revision added. */
  | 'MANAGED_RESPONSE'
  /** Other incidents were merged into this one: `to` lists their numbers ("#12, #13"); their alerts, evidence and comments are here now. */
  | 'MERGED'
  /** A kind of change this version of the schema does not name (recorded by another version of the service). `from`, `to` and `note` still say what changed. */
  | 'OTHER'
  /** The experts' concluding summary was set or replaced: `from` and `to` are the texts. */
  | 'RESOLVING_COMMENT'
  /** The severity changed: `from` and `to` are Severity values (set by a person, or the highest severity of incidents merged in). */
  | 'SEVERITY'
  /** The incident moved in its lifecycle: `from` and `to` are IncidentStatus values (`from` is null for a newly ingested incident; `note` says why when the service made the move, e.g. the last pending action was done or a suppression rule matched). */
  | 'STATUS'
  /** A suppression rule auto-resolved the incident as expected activity (`to` is the rule's name), or that was undone (`from` is the rule's name, `to` null). */
  | 'SUPPRESSED_BY'
  /** The tags the service sets changed (e.g. the provider's name added when the experts conclude): whole lists, comma-separated. */
  | 'SYSTEM_TAGS'
  /** The custom tags changed: `from` and `to` are the whole lists, comma-separated (null when empty). */
  | 'TAGS';

/** A comment to add. */
export type AddCommentInput = {
  /** At most 30,000 characters. */
  body: string;
  /** The incident to comment on. */
  incidentId: string | number;
};

/** One alert of an ingested incident, with its evidence. */
export type AlertInput = {
  /** The detection category, e.g. Execution or CredentialAccess. */
  category?: string | null | undefined;
  /** When the alert was raised; default now. */
  createdAt?: string | null | undefined;
  /** What raised it, e.g. EDR or Antivirus (suppression rules can match it). */
  detectionSource?: string | null | undefined;
  /** The entities involved (may be empty). */
  evidence: Array<EvidenceInput>;
  /** Unique per tenant; a known one is skipped. */
  externalId: string;
  /** The alert's own severity. */
  severity: Severity;
  /** What the detection saw. */
  title: string;
};

/** Who works the incident: the provider's experts, the customer, or nobody yet. A customer assignment may also name a person (`assignee`). */
export type Assignment =
  /** The customer's security team: set when a managed response leaves actions to it, or a true positive is resolved. */
  | 'CUSTOMER'
  /** The provider's experts: set when an investigation starts, and while their actions run. */
  | 'EXPERTS'
  /** Nobody: a new incident, or one concluded as a false positive or informational. */
  | 'UNASSIGNED';

/** The experts' verdict on an incident. Each allows only some determinations: TRUE_POSITIVE with MULTI_STAGED_ATTACK, MALICIOUS_USER_ACTIVITY, COMPROMISED_ACCOUNT, MALWARE, PHISHING, UNWANTED_SOFTWARE or OTHER; INFORMATIONAL_EXPECTED_ACTIVITY with SECURITY_TESTING, LINE_OF_BUSINESS_APPLICATION, CONFIRMED_ACTIVITY or OTHER; FALSE_POSITIVE with NOT_MALICIOUS, NOT_ENOUGH_DATA_TO_VALIDATE or OTHER; UNKNOWN with UNKNOWN. Any other pair is refused (INVALID_INPUT). */
export type Classification =
  /** The detection was wrong: resolved with a summary, nothing to do. */
  | 'FALSE_POSITIVE'
  /** Real activity, but expected or harmless (also what a suppression rule concludes): resolved with a summary, nothing to do. */
  | 'INFORMATIONAL_EXPECTED_ACTIVITY'
  /** A real threat: the experts publish a managed response with the actions to take. */
  | 'TRUE_POSITIVE'
  /** Not classified yet (the value of every new incident). */
  | 'UNKNOWN';

/** The detail of a classification; each value names the classifications it is valid with, and any other pair is refused. */
export type Determination =
  /** An account in an attacker's hands. Valid with TRUE_POSITIVE. */
  | 'COMPROMISED_ACCOUNT'
  /** Activity the customer confirmed as theirs. Valid with INFORMATIONAL_EXPECTED_ACTIVITY. */
  | 'CONFIRMED_ACTIVITY'
  /** A business application behaving as designed. Valid with INFORMATIONAL_EXPECTED_ACTIVITY. */
  | 'LINE_OF_BUSINESS_APPLICATION'
  /** A user acting maliciously. Valid with TRUE_POSITIVE. */
  | 'MALICIOUS_USER_ACTIVITY'
  /** Malicious software. Valid with TRUE_POSITIVE. */
  | 'MALWARE'
  /** Several stages of an attack (e.g. initial access, then lateral movement). Valid with TRUE_POSITIVE. */
  | 'MULTI_STAGED_ATTACK'
  /** Too little data to confirm a threat. Valid with FALSE_POSITIVE. */
  | 'NOT_ENOUGH_DATA_TO_VALIDATE'
  /** Nothing malicious happened. Valid with FALSE_POSITIVE. */
  | 'NOT_MALICIOUS'
  /** Another reason, told in the summary. Valid with TRUE_POSITIVE, FALSE_POSITIVE, INFORMATIONAL_EXPECTED_ACTIVITY. */
  | 'OTHER'
  /** A phishing message. Valid with TRUE_POSITIVE. */
  | 'PHISHING'
  /** A penetration test or red-team exercise. Valid with INFORMATIONAL_EXPECTED_ACTIVITY. */
  | 'SECURITY_TESTING'
  /** Not determined yet. Valid with UNKNOWN. */
  | 'UNKNOWN'
  /** Potentially unwanted software (adware, unsanctioned tools). Valid with TRUE_POSITIVE. */
  | 'UNWANTED_SOFTWARE';

/** A device: matched in the tenant's inventory by name, created (ACTIVE) when new. */
export type DeviceEvidenceInput = {
  /** Its device group (remediation exclusions name groups). Sets a new device's group; a different group for a known device is only recorded in the activity log. */
  deviceGroup?: string | null | undefined;
  /** The device name, unique within the tenant. */
  deviceName: string;
  /** Operating system, e.g. Windows11. */
  osPlatform?: string | null | undefined;
};

/** Whether a device reports to the EDR. Actions on an inactive device wait until it returns, or time out. */
export type DeviceHealth =
  /** Reporting: a device named in ingested evidence counts as active, since it has just reported. */
  | 'ACTIVE'
  /** Not reporting (marked by the tenant ADMIN or by the EDR): its actions wait or fail TIMED_OUT. */
  | 'INACTIVE';

/** A message in a recipient's mailbox (the target of email actions): matched by network message id and recipient. */
export type EmailEvidenceInput = {
  /** The id Exchange Online gives the message. */
  networkMessageId: string;
  /** When the mailbox received it. */
  receivedAt?: string | null | undefined;
  /** The mailbox (email address) it was delivered to. */
  recipient: string;
  /** The From address. */
  sender?: string | null | undefined;
  /** The subject line. */
  subject?: string | null | undefined;
};

/** One evidence item: set exactly one member. */
export type EvidenceInput = {
  /** A device (the target of device actions). */
  device?: DeviceEvidenceInput | null | undefined;
  /** A mailbox message (the target of email actions). */
  email?: EmailEvidenceInput | null | undefined;
  /** A file on a device (the target of QUARANTINE_FILE). */
  file?: FileEvidenceInput | null | undefined;
  /** An IP address. */
  ip?: IpEvidenceInput | null | undefined;
  /** A process. */
  process?: ProcessEvidenceInput | null | undefined;
  /** A URL. */
  url?: UrlEvidenceInput | null | undefined;
  /** A user account (the target of account actions). */
  user?: UserEvidenceInput | null | undefined;
};

/** What an evidence item of an alert is. */
export type EvidenceKind =
  /** A device (`device`). */
  | 'DEVICE'
  /** A message in a mailbox (`emailMessage`). */
  | 'EMAIL'
  /** A file on a device (`file`, `device`). */
  | 'FILE'
  /** An IP address (`value`). */
  | 'IP'
  /** A process, possibly on a device (`details`: command line, process id). */
  | 'PROCESS'
  /** A URL (`value`). */
  | 'URL'
  /** A user account (`account`). */
  | 'USER';

/** A file on a device (the target of QUARANTINE_FILE): matched by device and hash or path. */
export type FileEvidenceInput = {
  /** The device it is on (created when new). */
  deviceName: string;
  /** The file name, e.g. evil.ps1. */
  fileName: string;
  /** The folder or full path. */
  filePath?: string | null | undefined;
  /** SHA-1, 40 hexadecimal characters. */
  sha1?: string | null | undefined;
  /** SHA-256, 64 hexadecimal characters. */
  sha256?: string | null | undefined;
};

/** Queue filters: any of the values within one filter (OR), every filter given (AND). */
export type IncidentFilter = {
  /** A named assignee (Principal id); ORed with `assignment`. */
  assigneeId?: string | number | null | undefined;
  /** Any of these assignments. */
  assignment?: Array<Assignment> | null | undefined;
  /** Any of these classifications. */
  classification?: Array<Classification> | null | undefined;
  /** Ingested at or after this time. */
  createdAfter?: string | null | undefined;
  /** Ingested before this time. */
  createdBefore?: string | null | undefined;
  /** Any of these determinations. */
  determination?: Array<Determination> | null | undefined;
  /** Text in the title, the number (e.g. "42" or "#42"), or an impacted asset name. */
  search?: string | null | undefined;
  /** Any of these severities. */
  severity?: Array<Severity> | null | undefined;
  /** Any of these statuses. */
  status?: Array<IncidentStatus> | null | undefined;
  /** Custom or system tags; any of them. */
  tags?: Array<string> | null | undefined;
  /** Experts only: restrict to these served tenants. */
  tenantIds?: Array<string | number> | null | undefined;
  /** Last changed at or after this time. */
  updatedAfter?: string | null | undefined;
  /** Last changed before this time. */
  updatedBefore?: string | null | undefined;
};

/** Queue order. */
export type IncidentOrder = {
  /** ASC or DESC. */
  direction: OrderDirection;
  /** What to order by. */
  field: IncidentOrderField;
};

/** Queue orderings. LAST_UPDATE is the default. */
export type IncidentOrderField =
  /** When the incident was ingested. */
  | 'CREATED'
  /** When the incident last changed. */
  | 'LAST_UPDATE'
  /** The priority score (0-100), the experts' usual order. */
  | 'PRIORITY'
  /** Severity (INFORMATIONAL < LOW < MEDIUM < HIGH), then last update. */
  | 'SEVERITY';

/** Where an incident is in its lifecycle: ingested ACTIVE → IN_PROGRESS (an expert investigates) → RESOLVED (false positive or informational, or a true positive the experts fully handled) or AWAITING_CUSTOMER_ACTION (a true positive with actions left for the customer) → RESOLVED once the customer completes or skips the last one. Experts may reopen a resolved incident; a merged one is REDIRECTED. Any other move is refused with INVALID_TRANSITION. */
export type IncidentStatus =
  /** Ingested, not yet picked up by the experts (assignment UNASSIGNED). */
  | 'ACTIVE'
  /** A managed response is published and action cards wait for the customer (assignment CUSTOMER): pending, manual, on an excluded target, or failed. Resolves by itself when the last one is completed or skipped. */
  | 'AWAITING_CUSTOMER_ACTION'
  /** Under investigation by the experts (assignment EXPERTS), also while the experts' own one-click actions run. An expert starts it with startInvestigation, or reopens a resolved incident back to it. */
  | 'IN_PROGRESS'
  /** Merged into another incident (`redirectedTo`), which now holds its alerts, evidence and comments; it no longer changes. */
  | 'REDIRECTED'
  /** Concluded: classified, and nothing left to do. False positives and informational ones resolve UNASSIGNED; true positives resolve assigned to the CUSTOMER. */
  | 'RESOLVED';

/** An incident as a detection tool raised it. Suppression rules may resolve it at once as expected activity. */
export type IngestIncidentInput = {
  /** Its alerts; on a repeated ingestion, new ones join the incident. */
  alerts: Array<AlertInput>;
  /** Free text. */
  description?: string | null | undefined;
  /** Your id for the incident; sending it again is idempotent. */
  externalId: string;
  /** When the earliest activity it describes happened. */
  firstActivityAt?: string | null | undefined;
  /** How bad it is. */
  severity: Severity;
  /** Its display name. */
  title: string;
};

/** An IP address. */
export type IpEvidenceInput = {
  /** An IPv4 or IPv6 address. */
  address: string;
};

/** Where a message is: INBOX, JUNK, or DELETED (soft-deleted to Recoverable Items). */
export type MailboxLocation =
  /** Soft-deleted to Recoverable Items (SOFT_DELETE_EMAIL). */
  | 'DELETED'
  /** In the inbox (where RESTORE_EMAIL puts it back). */
  | 'INBOX'
  /** In the Junk folder (MOVE_EMAIL_TO_JUNK). */
  | 'JUNK';

/** Ascending or descending. */
export type OrderDirection =
  /** Smallest or oldest first. */
  | 'ASC'
  /** Largest or newest first. */
  | 'DESC';

/** A process seen running. */
export type ProcessEvidenceInput = {
  /** The full command line. */
  commandLine?: string | null | undefined;
  /** The device it ran on, if known. */
  deviceName?: string | null | undefined;
  /** The process id, a non-negative integer. */
  processId?: number | null | undefined;
  /** The image name, e.g. powershell.exe. */
  processName: string;
};

/** What a principal may do. Customer roles (READER, OPERATOR, ADMIN, INTEGRATION) belong to one tenant; EXPERT is the provider's and works every tenant it serves. A role that may not use an operation gets a FORBIDDEN error. */
export type Role =
  /** Customer: OPERATOR, plus the tenant's settings: principals and API tokens, service access level, remediation exclusions, device health, notification contacts, Teams, webhooks, sync connectors, suppression rules. */
  | 'ADMIN'
  /** Provider: reads the tenants it serves; triages, classifies, merges, publishes and amends managed responses, posts updates, manages suppression rules; performs one-click actions where the tenant granted OPERATOR and the target is not excluded; comments and chats. */
  | 'EXPERT'
  /** Customer service principal: ingests incidents (idempotent on externalId) and reads its tenant's data. */
  | 'INTEGRATION'
  /** Customer: READER, plus performs, retries, confirms or skips actions, acts from an entity page, and edits tags, assignment, severity and comments. */
  | 'OPERATOR'
  /** Customer: reads everything of its tenant (incidents, managed responses, actions, chat), chats, keeps saved views. */
  | 'READER';

/** What a customer allows the experts to do, set by its ADMIN. */
export type ServiceAccessLevel =
  /** Respond directly: the experts may perform one-click actions themselves, except on remediation-excluded targets. */
  | 'OPERATOR'
  /** Investigate and guide: the experts recommend, and every response action is left pending for the customer (the default). */
  | 'READER';

/** How bad an incident or alert is, from INFORMATIONAL to HIGH. It weighs most in the priority score. */
export type Severity =
  /** A serious threat: acknowledged first (the tightest SLA target). */
  | 'HIGH'
  /** Worth knowing; no threat by itself. */
  | 'INFORMATIONAL'
  /** A minor threat. */
  | 'LOW'
  /** A threat to look at soon. */
  | 'MEDIUM';

/** The provider's experts or the customer: who did something (an action, a message, a change). */
export type Side =
  /** The customer's people and service principals (READER, OPERATOR, ADMIN, INTEGRATION). */
  | 'CUSTOMER'
  /** The provider's experts (role EXPERT). */
  | 'EXPERTS';

/** What to change; fields left out stay as they are. */
export type UpdateIncidentInput = {
  /** A principal of the tenant (CUSTOMER) or an expert serving it (EXPERTS). */
  assigneeId?: string | number | null | undefined;
  /** The new assignment; without `assigneeId` it clears the named assignee. */
  assignment?: Assignment | null | undefined;
  /** The incident to change. */
  incidentId: string | number;
  /** The new severity (the priority score follows). */
  severity?: Severity | null | undefined;
  /** The full new list of custom tags. */
  tags?: Array<string> | null | undefined;
  /** The version you saw; a stale one is a VERSION_CONFLICT and nothing changes. */
  version?: number | null | undefined;
};

/** A URL. */
export type UrlEvidenceInput = {
  /** An absolute URL. */
  url: string;
};

/** Why a mutation did nothing. */
export type UserErrorCode =
  /** Something with the same identity exists already (e.g. a contact with that email). */
  | 'ALREADY_EXISTS'
  /** An action on the same target is already running; it is not started twice. */
  | 'ALREADY_IN_PROGRESS'
  /** Your role may not do this to this object (e.g. an action only the customer may take). */
  | 'FORBIDDEN'
  /** A value is malformed or breaks a rule (length, format, a classification and determination that do not pair, a mistyped id). */
  | 'INVALID_INPUT'
  /** The lifecycle forbids this now (e.g. classifying a resolved incident, starting an investigation twice, skipping a completed card). */
  | 'INVALID_TRANSITION'
  /** A setting this needs is missing (e.g. a test notification to Teams with no Teams webhook set). */
  | 'NOT_CONFIGURED'
  /** No such object, or one of a tenant you do not read (the two look the same). */
  | 'NOT_FOUND'
  /** The tenant's service access level is READER: the experts may not perform actions there. */
  | 'NOT_PERMITTED_FOR_ACCESS_LEVEL'
  /** The target is a remediation exclusion of the tenant: the experts never act on it; the customer does. */
  | 'TARGET_EXCLUDED'
  /** The `version` you passed is stale: someone changed the object since you read it. Reload and try again. */
  | 'VERSION_CONFLICT';

/** An account: matched in the tenant's directory by UPN, else by domain and name; created when new. */
export type UserEvidenceInput = {
  /** The sAMAccountName, e.g. jdoe. */
  accountName: string;
  /** The person's name as the directory shows it. */
  displayName?: string | null | undefined;
  /** The NetBIOS domain, e.g. CORP. */
  domain?: string | null | undefined;
  /** User principal name (name@domain). */
  upn?: string | null | undefined;
  /**
   * The older name of `upn`.
   * @deprecated Use `upn`.
   */
  userPrincipalName?: string | null | undefined;
};

export type CliViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type CliViewerQuery = { viewer: { role: Role, principal: { name: string }, tenant: { slug: string } | null, tenantsServed: Array<{ slug: string }> } };

export type CrashIngestMutationVariables = Exact<{
  input: IngestIncidentInput;
}>;


export type CrashIngestMutation = { ingestIncident: { created: boolean, incident: { number: number, title: string } | null, errors: Array<{ code: UserErrorCode, message: string }> } };

export type CrashIncidentsQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type CrashIncidentsQuery = { incidents: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ number: number, title: string, externalId: string | null }> } };

export type DemoOverviewQueryVariables = Exact<{
  since: string;
}>;


export type DemoOverviewQuery = { viewer: { role: Role, tenant: { slug: string } | null, tenantsServed: Array<{ slug: string }> }, incidents: { totalCount: number }, live: { totalCount: number }, history: { totalCount: number }, historyOpen: { totalCount: number } };

export type DemoMetricsQueryVariables = Exact<{
  from: string;
  to: string;
  tenantId?: string | number | null | undefined;
}>;


export type DemoMetricsQuery = { serviceMetrics: { buckets: Array<{ start: string, incidents: number }>, totals: { incidents: number, breaches: number, bySeverity: Array<{ key: string, count: number }>, byClassification: Array<{ key: string, count: number }>, timeToAcknowledge: { count: number, p50: number | null, p90: number | null }, timeToResolve: { count: number, p50: number | null, p90: number | null }, customerResponseTime: { count: number, p50: number | null }, actionsByKind: Array<{ key: string, count: number }>, actionsByPerformer: Array<{ key: string, count: number }> } } };

export type DemoActionsQueryVariables = Exact<{ [key: string]: never; }>;


export type DemoActionsQuery = { responseActions: { nodes: Array<{ kind: ActionKind, status: ActionStatus, incident: { number: number } | null, target:
        | { __typename: 'Account' }
        | { __typename: 'Device' }
        | { __typename: 'DeviceFile' }
        | { __typename: 'EmailMessage' }
        | { __typename: 'Indicator' }
       | null, attempts: Array<{ result: string | null }> }> }, incidents: { nodes: Array<{ title: string, accounts: Array<{ upn: string | null, enabled: boolean }>, emailMessages: Array<{ location: MailboxLocation }> }> }, tenant: { excludedAccounts: Array<{ upn: string | null }> } | null, savedViews: Array<{ name: string, shared: boolean }>, suppressionRules: Array<{ name: string, hitCount: number, lastHitAt: string | null }>, suppressed: { nodes: Array<{ title: string, status: IncidentStatus, classification: Classification }> } };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { role: Role, principal: { id: string, name: string }, tenant: { id: string, slug: string } | null, tenantsServed: Array<{ id: string, slug: string }> } };

export type IngestMutationVariables = Exact<{
  input: IngestIncidentInput;
}>;


export type IngestMutation = { ingestIncident: { created: boolean, incident: { id: string, number: number, title: string, version: number, status: IncidentStatus, severity: Severity, priorityScore: number | null, alerts: { totalCount: number }, devices: Array<{ id: string, name: string }> } | null, errors: Array<{ code: UserErrorCode, message: string, field: Array<string> | null }> } };

export type QueueQueryVariables = Exact<{
  filter?: IncidentFilter | null | undefined;
  orderBy?: IncidentOrder | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type QueueQuery = { incidents: { totalCount: number, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, number: number, title: string, severity: Severity, status: IncidentStatus, priorityScore: number | null, updatedAt: string, createdAt: string, tags: Array<string>, systemTags: Array<string>, assignment: Assignment, tenant: { slug: string } } }> } };

export type NestedQueueQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type NestedQueueQuery = { incidents: { nodes: Array<{ id: string, number: number, title: string, assignee: { id: string, name: string } | null, tenant: { id: string, name: string }, devices: Array<{ id: string, name: string, healthStatus: DeviceHealth, isolated: boolean }>, alerts: { nodes: Array<{ id: string, title: string, severity: Severity, evidence: Array<{ kind: EvidenceKind, value: string, device: { id: string, name: string } | null, file: { id: string, fileName: string } | null }> }> } }> } };

export type UpdateIncidentMutationVariables = Exact<{
  input: UpdateIncidentInput;
}>;


export type UpdateIncidentMutation = { updateIncident: { incident: { id: string, version: number, tags: Array<string>, severity: Severity, assignment: Assignment, priorityScore: number | null, assignee: { id: string } | null } | null, errors: Array<{ code: UserErrorCode, message: string, field: Array<string> | null }> } };

export type AddCommentMutationVariables = Exact<{
  input: AddCommentInput;
}>;


export type AddCommentMutation = { addComment: { incident: { id: string, version: number, comments: { totalCount: number, nodes: Array<{ body: string, author: { name: string } | null }> } } | null, errors: Array<{ code: UserErrorCode, message: string, field: Array<string> | null }> } };

export type IncidentActivityQueryVariables = Exact<{
  id: string | number;
}>;


export type IncidentActivityQuery = { node:
    | { id: string, version: number, activity: { totalCount: number, nodes: Array<{ field: ActivityField, from: string | null, to: string | null, actorSide: Side | null, actor: { id: string } | null }> } }
    | Record<PropertyKey, never>
   | null };

export type NodeByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type NodeByIdQuery = { node:
    | { __typename: 'Account', id: string }
    | { __typename: 'ActionCard', id: string }
    | { __typename: 'Activity', id: string }
    | { __typename: 'Alert', id: string }
    | { __typename: 'ApiToken', id: string }
    | { __typename: 'ChatMessage', id: string }
    | { __typename: 'Comment', id: string }
    | { __typename: 'Device', id: string }
    | { __typename: 'DeviceFile', id: string }
    | { __typename: 'EmailMessage', id: string }
    | { __typename: 'Incident', id: string }
    | { __typename: 'Indicator', id: string }
    | { __typename: 'InvestigationUpdate', id: string }
    | { __typename: 'Notification', id: string }
    | { __typename: 'NotificationContact', id: string }
    | { __typename: 'Principal', id: string }
    | { __typename: 'SavedView', id: string }
    | { __typename: 'SuppressionRule', id: string }
    | { __typename: 'SyncConnector', id: string }
    | { __typename: 'Tenant', id: string }
    | { __typename: 'WebhookDelivery', id: string }
    | { __typename: 'WebhookEndpoint', id: string }
   | null };

export type SummaryQueryVariables = Exact<{
  tenantId?: string | number | null | undefined;
}>;


export type SummaryQuery = { managedResponseSummary: { awaitingCustomerAction: number, investigating: number } };

export type NodesByIdsQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type NodesByIdsQuery = { nodes: Array<
    | { __typename: 'Account', id: string }
    | { __typename: 'ActionCard', id: string }
    | { __typename: 'Activity', id: string }
    | { __typename: 'Alert', id: string }
    | { __typename: 'ApiToken', id: string }
    | { __typename: 'ChatMessage', id: string }
    | { __typename: 'Comment', id: string }
    | { __typename: 'Device', id: string }
    | { __typename: 'DeviceFile', id: string }
    | { __typename: 'EmailMessage', id: string }
    | { __typename: 'Incident', id: string }
    | { __typename: 'Indicator', id: string }
    | { __typename: 'InvestigationUpdate', id: string }
    | { __typename: 'Notification', id: string }
    | { __typename: 'NotificationContact', id: string }
    | { __typename: 'Principal', id: string }
    | { __typename: 'SavedView', id: string }
    | { __typename: 'SuppressionRule', id: string }
    | { __typename: 'SyncConnector', id: string }
    | { __typename: 'Tenant', id: string }
    | { __typename: 'WebhookDelivery', id: string }
    | { __typename: 'WebhookEndpoint', id: string }
   | null> };

export type IncidentByNumberQueryVariables = Exact<{
  number: number;
  tenantId?: string | number | null | undefined;
}>;


export type IncidentByNumberQuery = { incident: { id: string, number: number, title: string, tenant: { id: string } } | null };

export type TenantByIdQueryVariables = Exact<{
  id?: string | number | null | undefined;
}>;


export type TenantByIdQuery = { tenant: { id: string, slug: string, name: string, serviceAccessLevel: ServiceAccessLevel } | null };

export type IncidentDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type IncidentDetailQuery = { node:
    | { id: string, number: number, title: string, version: number, severity: Severity, status: IncidentStatus, assignment: Assignment, classification: Classification, determination: Determination, tags: Array<string>, systemTags: Array<string>, priorityScore: number | null, updatedAt: string, viewerCanUpdate: boolean, assignee: { id: string, name: string } | null, tenant: { id: string }, devices: Array<{ id: string, name: string, deviceGroup: string | null, healthStatus: DeviceHealth }>, alerts: { totalCount: number, nodes: Array<{ id: string, externalId: string, title: string, incident: { id: string }, evidence: Array<{ kind: EvidenceKind, value: string, device: { id: string, name: string } | null, file: { id: string, fileName: string, sha256: string | null } | null, details: Array<{ name: string, value: string }> }> }> }, sentinel: { status: string, owner: string | null, classification: string, classificationReason: string | null, labels: Array<string> } }
    | Record<PropertyKey, never>
   | null };

export type IncidentCommentsQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type IncidentCommentsQuery = { node:
    | { id: string, version: number, comments: { totalCount: number, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, body: string, createdAt: string, author: { id: string, name: string } | null } }> } }
    | Record<PropertyKey, never>
   | null };

export type IngestDetailMutationVariables = Exact<{
  input: IngestIncidentInput;
}>;


export type IngestDetailMutation = { ingestIncident: { created: boolean, incident: { id: string, number: number, title: string, version: number, priorityScore: number | null, alerts: { totalCount: number, nodes: Array<{ externalId: string, evidence: Array<{ kind: EvidenceKind, value: string, device: { id: string, name: string } | null }> }> }, devices: Array<{ id: string, name: string, deviceGroup: string | null, osPlatform: string | null, healthStatus: DeviceHealth }> } | null, errors: Array<{ code: UserErrorCode, message: string, field: Array<string> | null }> } };

export type AlertsPageQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type AlertsPageQuery = { node:
    | { alerts: { totalCount: number, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, nodes: Array<{ externalId: string }> } }
    | Record<PropertyKey, never>
   | null };

export type ExpertQueueQueryVariables = Exact<{
  filter?: IncidentFilter | null | undefined;
  first?: number | null | undefined;
}>;


export type ExpertQueueQuery = { incidents: { totalCount: number, nodes: Array<{ id: string, number: number, tenant: { id: string } }> } };


export const CliViewerDocument = {"__meta__":{"hash":"sha256:c6b842526d06c7533b01d764b238caca127cb0a96cab25273f8df5cdb8764a81"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CliViewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"principal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"slug"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenantsServed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"slug"}}]}}]}}]}}]} as unknown as DocumentNode<CliViewerQuery, CliViewerQueryVariables>;
export const CrashIngestDocument = {"__meta__":{"hash":"sha256:d5ebdbf86d4c9ded4fead3a59c5943210a0f85a718328dc985d6be10993bbb80"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CrashIngest"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"IngestIncidentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ingestIncident"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"created"}},{"kind":"Field","name":{"kind":"Name","value":"incident"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CrashIngestMutation, CrashIngestMutationVariables>;
export const CrashIncidentsDocument = {"__meta__":{"hash":"sha256:323eeaa91ee458caa47d164031012fe7bc190780c048e27654d791930ea73553"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CrashIncidents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"field"},"value":{"kind":"EnumValue","value":"CREATED"}},{"kind":"ObjectField","name":{"kind":"Name","value":"direction"},"value":{"kind":"EnumValue","value":"ASC"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}}]}}]}}]}}]} as unknown as DocumentNode<CrashIncidentsQuery, CrashIncidentsQueryVariables>;
export const DemoOverviewDocument = {"__meta__":{"hash":"sha256:61f9395e9d6e44a2c2a5b7de8416bc2cc5efbff94f71e0661c9708f008d606a5"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DemoOverview"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"since"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"slug"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenantsServed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"slug"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"live"},"name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"createdAfter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"history"},"name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"createdBefore"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"historyOpen"},"name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"createdBefore"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"status"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"ACTIVE"},{"kind":"EnumValue","value":"IN_PROGRESS"},{"kind":"EnumValue","value":"AWAITING_CUSTOMER_ACTION"}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}}]}}]} as unknown as DocumentNode<DemoOverviewQuery, DemoOverviewQueryVariables>;
export const DemoMetricsDocument = {"__meta__":{"hash":"sha256:3fc541a4924110f76efcae78ff67d2a9fdd4df8b6a57973da5b1551ade20ac2a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DemoMetrics"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serviceMetrics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"interval"},"value":{"kind":"EnumValue","value":"MONTH"}},{"kind":"Argument","name":{"kind":"Name","value":"tenantId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"buckets"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"incidents"}}]}},{"kind":"Field","name":{"kind":"Name","value":"totals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incidents"}},{"kind":"Field","name":{"kind":"Name","value":"breaches"}},{"kind":"Field","name":{"kind":"Name","value":"bySeverity"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"byClassification"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"timeToAcknowledge"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"p50"}},{"kind":"Field","name":{"kind":"Name","value":"p90"}}]}},{"kind":"Field","name":{"kind":"Name","value":"timeToResolve"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"p50"}},{"kind":"Field","name":{"kind":"Name","value":"p90"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customerResponseTime"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"p50"}}]}},{"kind":"Field","name":{"kind":"Name","value":"actionsByKind"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"actionsByPerformer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]}}]}}]} as unknown as DocumentNode<DemoMetricsQuery, DemoMetricsQueryVariables>;
export const DemoActionsDocument = {"__meta__":{"hash":"sha256:1390d2077fd075374ac2d4936aeb947cde2620d33879a22ec40130722ed860b8"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DemoActions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"responseActions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"incident"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"number"}}]}},{"kind":"Field","name":{"kind":"Name","value":"target"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}}]}},{"kind":"Field","name":{"kind":"Name","value":"attempts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"result"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"accounts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upn"}},{"kind":"Field","name":{"kind":"Name","value":"enabled"}}]}},{"kind":"Field","name":{"kind":"Name","value":"emailMessages"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"location"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"excludedAccounts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upn"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"savedViews"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"shared"}}]}},{"kind":"Field","name":{"kind":"Name","value":"suppressionRules"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"hitCount"}},{"kind":"Field","name":{"kind":"Name","value":"lastHitAt"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"suppressed"},"name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"tags"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"Suppressed","block":false}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"classification"}}]}}]}}]}}]} as unknown as DocumentNode<DemoActionsQuery, DemoActionsQueryVariables>;
export const ViewerDocument = {"__meta__":{"hash":"sha256:ef5e48fede4574dcb5c158469ca74001e8c93478a95bb3dc4a8a2905d9bc15d0"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"principal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenantsServed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}}]}}]}}]}}]} as unknown as DocumentNode<ViewerQuery, ViewerQueryVariables>;
export const IngestDocument = {"__meta__":{"hash":"sha256:1153143dd0c2df7deb8fc53a5221c98b1d4673261d91b97454205fd699e8fab5"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Ingest"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"IngestIncidentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ingestIncident"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"created"}},{"kind":"Field","name":{"kind":"Name","value":"incident"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"priorityScore"}},{"kind":"Field","name":{"kind":"Name","value":"alerts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"devices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<IngestMutation, IngestMutationVariables>;
export const QueueDocument = {"__meta__":{"hash":"sha256:ad7970e141b5eadafc31a6ed80b9ea067fadf9290874eed97a42b69068ced731"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Queue"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"IncidentFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"IncidentOrder"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"priorityScore"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"systemTags"}},{"kind":"Field","name":{"kind":"Name","value":"assignment"}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"slug"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<QueueQuery, QueueQueryVariables>;
export const NestedQueueDocument = {"__meta__":{"hash":"sha256:954294947521ddfdccefb96425c973e6923c9d33ba8a64c3b7c919bb7945c065"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NestedQueue"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"assignee"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"devices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}},{"kind":"Field","name":{"kind":"Name","value":"isolated"}}]}},{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"evidence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"device"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"file"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"fileName"}}]}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<NestedQueueQuery, NestedQueueQueryVariables>;
export const UpdateIncidentDocument = {"__meta__":{"hash":"sha256:7c61cbdec006801bdf4b766d77055d4a4916fd37fa392a5c90ac2e2377197e6d"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateIncident"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateIncidentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateIncident"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incident"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"assignment"}},{"kind":"Field","name":{"kind":"Name","value":"assignee"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"priorityScore"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<UpdateIncidentMutation, UpdateIncidentMutationVariables>;
export const AddCommentDocument = {"__meta__":{"hash":"sha256:18a049d7e6471ebf00773929e248352881da4e0d7494557ec485f5cbace9636a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AddComment"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AddCommentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"addComment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incident"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"comments"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"body"}},{"kind":"Field","name":{"kind":"Name","value":"author"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<AddCommentMutation, AddCommentMutationVariables>;
export const IncidentActivityDocument = {"__meta__":{"hash":"sha256:f927695e2f01cb6feb7424c143de188c02d9abffaa987e800ec93fcb055eeab7"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"IncidentActivity"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Incident"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"activity"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"actor"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"actorSide"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<IncidentActivityQuery, IncidentActivityQueryVariables>;
export const NodeByIdDocument = {"__meta__":{"hash":"sha256:4b874610b09419d48602f9c9eb24aec0269442f809541448b555d4ba5e1331f9"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NodeById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"__typename"}}]}}]}}]} as unknown as DocumentNode<NodeByIdQuery, NodeByIdQueryVariables>;
export const SummaryDocument = {"__meta__":{"hash":"sha256:002cd29a92dfddb8a2d9c01b68c7668100ef23faf57ee824bc16d9e2fbcb7e19"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Summary"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"managedResponseSummary"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tenantId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"awaitingCustomerAction"}},{"kind":"Field","name":{"kind":"Name","value":"investigating"}}]}}]}}]} as unknown as DocumentNode<SummaryQuery, SummaryQueryVariables>;
export const NodesByIdsDocument = {"__meta__":{"hash":"sha256:d420e249d2371453b74c30b894f79d533948cb4920ce5745731efb4b997784cd"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NodesByIds"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"__typename"}}]}}]}}]} as unknown as DocumentNode<NodesByIdsQuery, NodesByIdsQueryVariables>;
export const IncidentByNumberDocument = {"__meta__":{"hash":"sha256:4855925f80d8fe50afe31e9f9618af2f088670f6e263f7482dfb36454804323d"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"IncidentByNumber"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"number"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incident"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"number"},"value":{"kind":"Variable","name":{"kind":"Name","value":"number"}}},{"kind":"Argument","name":{"kind":"Name","value":"tenantId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"tenantId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<IncidentByNumberQuery, IncidentByNumberQueryVariables>;
export const TenantByIdDocument = {"__meta__":{"hash":"sha256:eca642d6b85e800a180ac195b27bd7402eaa3088c3a3269b33ddcf2634d3acfd"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TenantById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tenant"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"serviceAccessLevel"}}]}}]}}]} as unknown as DocumentNode<TenantByIdQuery, TenantByIdQueryVariables>;
export const IncidentDetailDocument = {"__meta__":{"hash":"sha256:b2db626ca7d0cec15ee6cb25563abca9d1132ffdadb42b38e8e9e8b17b076d73"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"IncidentDetail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Incident"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"assignment"}},{"kind":"Field","name":{"kind":"Name","value":"classification"}},{"kind":"Field","name":{"kind":"Name","value":"determination"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"systemTags"}},{"kind":"Field","name":{"kind":"Name","value":"priorityScore"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"viewerCanUpdate"}},{"kind":"Field","name":{"kind":"Name","value":"assignee"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"devices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"deviceGroup"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}}]}},{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"incident"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"evidence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"device"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"file"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"fileName"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}}]}},{"kind":"Field","name":{"kind":"Name","value":"details"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"sentinel"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"owner"}},{"kind":"Field","name":{"kind":"Name","value":"classification"}},{"kind":"Field","name":{"kind":"Name","value":"classificationReason"}},{"kind":"Field","name":{"kind":"Name","value":"labels"}}]}}]}}]}}]}}]} as unknown as DocumentNode<IncidentDetailQuery, IncidentDetailQueryVariables>;
export const IncidentCommentsDocument = {"__meta__":{"hash":"sha256:7f88cff4795b3b5205fd1ea8b017a52b6dd43ba0844e57584659a899bc8196b4"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"IncidentComments"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Incident"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"comments"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"body"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"author"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<IncidentCommentsQuery, IncidentCommentsQueryVariables>;
export const IngestDetailDocument = {"__meta__":{"hash":"sha256:042c7df40bb06c9f4cc11d0ece49eb484932668e7951a45ac1d102a45bc8acb1"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"IngestDetail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"IngestIncidentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ingestIncident"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"created"}},{"kind":"Field","name":{"kind":"Name","value":"incident"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"priorityScore"}},{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","name":{"kind":"Name","value":"evidence"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"device"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"devices"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"deviceGroup"}},{"kind":"Field","name":{"kind":"Name","value":"osPlatform"}},{"kind":"Field","name":{"kind":"Name","value":"healthStatus"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<IngestDetailMutation, IngestDetailMutationVariables>;
export const AlertsPageDocument = {"__meta__":{"hash":"sha256:3b830428025e2bdff46847bebad13cfa2787148e87c85c91fef9f27cb922ea3b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AlertsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Incident"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"alerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"externalId"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<AlertsPageQuery, AlertsPageQueryVariables>;
export const ExpertQueueDocument = {"__meta__":{"hash":"sha256:073d850ecfde1761eb6cedadbacc186b03a87636fb9a8cdde73ae494c96b63f8"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ExpertQueue"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"IncidentFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"incidents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"number"}},{"kind":"Field","name":{"kind":"Name","value":"tenant"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ExpertQueueQuery, ExpertQueueQueryVariables>;