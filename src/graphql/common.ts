// Shared GraphQL pieces: the DateTime scalar, the enums, UserError and the mutation payload
// helper, global id decoding, and totalCount on every connection.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { GraphQLError, Kind } from 'graphql';
import {
  ASSIGNMENTS,
  CLASSIFICATIONS,
  DETERMINATIONS,
  DEVICE_HEALTH,
  EVIDENCE_KINDS,
  INCIDENT_STATUSES,
  SERVICE_ACCESS_LEVELS,
  SEVERITIES,
  SIDES,
  isValidClassificationPair,
} from '../domain/enums';
import { DomainError, USER_ERROR_CODES } from '../domain/errors';
import { UUID } from '../domain/pagination';
import { ORDER_FIELDS } from '../domain/queue';
import { ROLES } from '../domain/viewer';
import { builder } from './builder';

/** The instants a DateTime may name: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
export const MIN_DATE_TIME = Date.UTC(1970, 0, 1);
export const MAX_DATE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const badDate = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/**
 * A DateTime input: an ISO-8601 instant with a time zone (Z or ±hh:mm), every part in range and
 * a day its month has (2026-02-30 is refused, not moved to March 2), within 1970 to 9999.
 */
export function parseDateTime(value: unknown): Date {
  const m = typeof value === 'string' ? ISO_INSTANT.exec(value) : null;
  if (!m) throw badDate('DateTime must be an ISO-8601 string with a time zone, e.g. 2026-01-31T12:00:00Z');
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] ? Number(m[6]) : 0;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const [offH, offM] = [Number(m[9] ?? 0), Number(m[10] ?? 0)];
  const daysInMonth = [31, leap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offH > 23 || offM > 59) {
    throw badDate(`"${value as string}" is not a valid date and time`);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // (Date.UTC would read years 0-99 as 1900-1999)
  utc.setUTCHours(hour, minute, second, ms);
  const t = utc.getTime() - (m[8] === '-' ? -1 : 1) * (offH * 60 + offM) * 60_000;
  if (!(t >= MIN_DATE_TIME && t <= MAX_DATE_TIME)) {
    throw badDate(`DateTime must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z, got "${value as string}"`);
  }
  return new Date(t);
}

builder.scalarType('DateTime', {
  description:
    'An ISO-8601 date and time, e.g. 2026-11-27T18:23:00.000Z. Inputs need a time zone (Z or ±hh:mm), a real calendar ' +
    'date and a year from 1970 to 9999; outputs are always UTC with milliseconds.',
  serialize: (d) => (d instanceof Date ? d : new Date(d as string)).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** Enum values with their descriptions, in the domain list's order (the compiler says when one lacks a text). */
export function describedValues<V extends string>(values: readonly V[], descriptions: Record<V, string>): Record<V, { description: string }> {
  return Object.fromEntries(values.map((v) => [v, { description: descriptions[v] }])) as Record<V, { description: string }>;
}

export const SeverityEnum = builder.enumType('Severity', {
  description: 'How bad an incident or alert is, from INFORMATIONAL to HIGH. It weighs most in the priority score.',
  values: describedValues(SEVERITIES, {
    INFORMATIONAL: 'Worth knowing; no threat by itself.',
    LOW: 'A minor threat.',
    MEDIUM: 'A threat to look at soon.',
    HIGH: 'A serious threat: acknowledged first (the tightest SLA target).',
  }),
});
/** Every database status has a description here (the compiler says when a new one lacks it). */
const INCIDENT_STATUS_DESCRIPTIONS = {
  ACTIVE: 'Ingested, not yet picked up by the experts (assignment UNASSIGNED).',
  IN_PROGRESS:
    "Under investigation by the experts (assignment EXPERTS), also while the experts' own one-click actions run. " +
    'An expert starts it with startInvestigation, or reopens a resolved incident back to it.',
  AWAITING_CUSTOMER_ACTION:
    'A managed response is published and action cards wait for the customer (assignment CUSTOMER): pending, manual, on an excluded ' +
    'target, or failed. Resolves by itself when the last one is completed or skipped.',
  RESOLVED:
    'Concluded: classified, and nothing left to do. False positives and informational ones resolve UNASSIGNED; true positives ' +
    'resolve assigned to the CUSTOMER.',
  REDIRECTED: 'Merged into another incident (`redirectedTo`), which now holds its alerts, evidence and comments; it no longer changes.',
} satisfies Record<(typeof INCIDENT_STATUSES)[number], string>;
export const IncidentStatusEnum = builder.enumType('IncidentStatus', {
  description:
    'Where an incident is in its lifecycle: ingested ACTIVE → IN_PROGRESS (an expert investigates) → RESOLVED (false positive or ' +
    'informational, or a true positive the experts fully handled) or AWAITING_CUSTOMER_ACTION (a true positive with actions left for ' +
    'the customer) → RESOLVED once the customer completes or skips the last one. Experts may reopen a resolved incident; a merged one ' +
    'is REDIRECTED. Any other move is refused with INVALID_TRANSITION.',
  values: describedValues(INCIDENT_STATUSES, INCIDENT_STATUS_DESCRIPTIONS),
});
export const AssignmentEnum = builder.enumType('Assignment', {
  description: "Who works the incident: the provider's experts, the customer, or nobody yet. A customer assignment may also name a person (`assignee`).",
  values: describedValues(ASSIGNMENTS, {
    EXPERTS: "The provider's experts: set when an investigation starts, and while their actions run.",
    CUSTOMER: "The customer's security team: set when a managed response leaves actions to it, or a true positive is resolved.",
    UNASSIGNED: 'Nobody: a new incident, or one concluded as a false positive or informational.',
  }),
});
export const ClassificationEnum = builder.enumType('Classification', {
  description:
    "The experts' verdict on an incident. Each allows only some determinations: TRUE_POSITIVE with MULTI_STAGED_ATTACK, " +
    'MALICIOUS_USER_ACTIVITY, COMPROMISED_ACCOUNT, MALWARE, PHISHING, UNWANTED_SOFTWARE or OTHER; INFORMATIONAL_EXPECTED_ACTIVITY ' +
    'with SECURITY_TESTING, LINE_OF_BUSINESS_APPLICATION, CONFIRMED_ACTIVITY or OTHER; FALSE_POSITIVE with NOT_MALICIOUS, ' +
    'NOT_ENOUGH_DATA_TO_VALIDATE or OTHER; UNKNOWN with UNKNOWN. Any other pair is refused (INVALID_INPUT).',
  values: describedValues(CLASSIFICATIONS, {
    UNKNOWN: 'Not classified yet (the value of every new incident).',
    TRUE_POSITIVE: 'A real threat: the experts publish a managed response with the actions to take.',
    FALSE_POSITIVE: 'The detection was wrong: resolved with a summary, nothing to do.',
    INFORMATIONAL_EXPECTED_ACTIVITY:
      'Real activity, but expected or harmless (also what a suppression rule concludes): resolved with a summary, nothing to do.',
  }),
});
const DETERMINATION_TEXT: Record<(typeof DETERMINATIONS)[number], string> = {
  UNKNOWN: 'Not determined yet.',
  MULTI_STAGED_ATTACK: 'Several stages of an attack (e.g. initial access, then lateral movement).',
  MALICIOUS_USER_ACTIVITY: 'A user acting maliciously.',
  COMPROMISED_ACCOUNT: 'An account in an attacker\'s hands.',
  MALWARE: 'Malicious software.',
  PHISHING: 'A phishing message.',
  UNWANTED_SOFTWARE: 'Potentially unwanted software (adware, unsanctioned tools).',
  SECURITY_TESTING: 'A penetration test or red-team exercise.',
  LINE_OF_BUSINESS_APPLICATION: 'A business application behaving as designed.',
  CONFIRMED_ACTIVITY: 'Activity the customer confirmed as theirs.',
  NOT_MALICIOUS: 'Nothing malicious happened.',
  NOT_ENOUGH_DATA_TO_VALIDATE: 'Too little data to confirm a threat.',
  OTHER: 'Another reason, told in the summary.',
};
const determinationDescription = (d: (typeof DETERMINATIONS)[number]) => {
  const with_ = CLASSIFICATIONS.filter((c) => isValidClassificationPair(c, d));
  return `${DETERMINATION_TEXT[d]} Valid with ${with_.join(', ')}.`;
};
export const DeterminationEnum = builder.enumType('Determination', {
  description: 'The detail of a classification; each value names the classifications it is valid with, and any other pair is refused.',
  values: Object.fromEntries(DETERMINATIONS.map((d) => [d, { description: determinationDescription(d) }])) as Record<
    (typeof DETERMINATIONS)[number],
    { description: string }
  >,
});
export const RoleEnum = builder.enumType('Role', {
  description:
    "What a principal may do. Customer roles (READER, OPERATOR, ADMIN, INTEGRATION) belong to one tenant; EXPERT is the provider's " +
    'and works every tenant it serves. A role that may not use an operation gets a FORBIDDEN error.',
  values: describedValues(ROLES, {
    READER: 'Customer: reads everything of its tenant (incidents, managed responses, actions, chat), chats, keeps saved views.',
    OPERATOR:
      'Customer: READER, plus performs, retries, confirms or skips actions, acts from an entity page, and edits tags, assignment, ' +
      'severity and comments.',
    ADMIN:
      "Customer: OPERATOR, plus the tenant's settings: principals and API tokens, service access level, remediation exclusions, " +
      'device health, notification contacts, Teams, webhooks, sync connectors, suppression rules.',
    EXPERT:
      "Provider: reads the tenants it serves; triages, classifies, merges, publishes and amends managed responses, posts updates, " +
      'manages suppression rules; performs one-click actions where the tenant granted OPERATOR and the target is not excluded; comments and chats.',
    INTEGRATION: "Customer service principal: ingests incidents (idempotent on externalId) and reads its tenant's data.",
  }),
});
export const ServiceAccessLevelEnum = builder.enumType('ServiceAccessLevel', {
  description: 'What a customer allows the experts to do, set by its ADMIN.',
  values: describedValues(SERVICE_ACCESS_LEVELS, {
    READER: 'Investigate and guide: the experts recommend, and every response action is left pending for the customer (the default).',
    OPERATOR: 'Respond directly: the experts may perform one-click actions themselves, except on remediation-excluded targets.',
  }),
});
export const DeviceHealthEnum = builder.enumType('DeviceHealth', {
  description: 'Whether a device reports to the EDR. Actions on an inactive device wait until it returns, or time out.',
  values: describedValues(DEVICE_HEALTH, {
    ACTIVE: 'Reporting: a device named in ingested evidence counts as active, since it has just reported.',
    INACTIVE: 'Not reporting (marked by the tenant ADMIN or by the EDR): its actions wait or fail TIMED_OUT.',
  }),
});
export const EvidenceKindEnum = builder.enumType('EvidenceKind', {
  description: 'What an evidence item of an alert is.',
  values: describedValues(EVIDENCE_KINDS, {
    DEVICE: 'A device (`device`).',
    FILE: 'A file on a device (`file`, `device`).',
    PROCESS: 'A process, possibly on a device (`details`: command line, process id).',
    USER: 'A user account (`account`).',
    IP: 'An IP address (`value`).',
    URL: 'A URL (`value`).',
    EMAIL: 'A message in a mailbox (`emailMessage`).',
  }),
});
export const SideEnum = builder.enumType('Side', {
  description: "The provider's experts or the customer: who did something (an action, a message, a change).",
  values: describedValues(SIDES, {
    EXPERTS: "The provider's experts (role EXPERT).",
    CUSTOMER: "The customer's people and service principals (READER, OPERATOR, ADMIN, INTEGRATION).",
  }),
});
export const IncidentOrderFieldEnum = builder.enumType('IncidentOrderField', {
  description: 'Queue orderings. LAST_UPDATE is the default.',
  values: describedValues(ORDER_FIELDS, {
    LAST_UPDATE: 'When the incident last changed.',
    CREATED: 'When the incident was ingested.',
    SEVERITY: 'Severity (INFORMATIONAL < LOW < MEDIUM < HIGH), then last update.',
    PRIORITY: "The priority score (0-100), the experts' usual order.",
  }),
});
export const OrderDirectionEnum = builder.enumType('OrderDirection', {
  description: 'Ascending or descending.',
  values: describedValues(['ASC', 'DESC'] as const, { ASC: 'Smallest or oldest first.', DESC: 'Largest or newest first.' }),
});
export const UserErrorCodeEnum = builder.enumType('UserErrorCode', {
  description: 'Why a mutation did nothing.',
  values: describedValues(USER_ERROR_CODES, {
    NOT_FOUND: 'No such object, or one of a tenant you do not read (the two look the same).',
    INVALID_INPUT: 'A value is malformed or breaks a rule (length, format, a classification and determination that do not pair, a mistyped id).',
    INVALID_TRANSITION: 'The lifecycle forbids this now (e.g. classifying a resolved incident, starting an investigation twice, skipping a completed card).',
    VERSION_CONFLICT: 'The `version` you passed is stale: someone changed the object since you read it. Reload and try again.',
    NOT_PERMITTED_FOR_ACCESS_LEVEL: "The tenant's service access level is READER: the experts may not perform actions there.",
    TARGET_EXCLUDED: 'The target is a remediation exclusion of the tenant: the experts never act on it; the customer does.',
    ALREADY_IN_PROGRESS: 'An action on the same target is already running; it is not started twice.',
    FORBIDDEN: 'Your role may not do this to this object (e.g. an action only the customer may take).',
    ALREADY_EXISTS: 'Something with the same identity exists already (e.g. a contact with that email).',
    NOT_CONFIGURED: 'A setting this needs is missing (e.g. a test notification to Teams with no Teams webhook set).',
  }),
});

export interface UserErrorShape {
  code: DomainError['code'];
  message: string;
  field?: string[];
}

export const UserError = builder.objectRef<UserErrorShape>('UserError').implement({
  description: 'A rule the mutation would have broken. Nothing was written.',
  fields: (t) => ({
    code: t.field({ type: UserErrorCodeEnum, description: 'Which rule: stable, for code to act on.', resolve: (e) => e.code }),
    message: t.exposeString('message', { description: 'What went wrong, in words for people.' }),
    field: t.stringList({
      nullable: true,
      description: 'Path of the input field at fault, e.g. ["input", "tags", "2"].',
      resolve: (e) => (e.field ? ['input', ...e.field] : null),
    }),
  }),
});

/**
 * Run a mutation's domain command; rule violations become `errors` in the payload (the command's
 * transaction has rolled back), anything else propagates (FORBIDDEN, or masked if unexpected).
 */
export async function payload<T extends object>(
  run: () => Promise<T>,
): Promise<(T & { errors: UserErrorShape[] }) | { errors: UserErrorShape[] }> {
  try {
    const value = await run();
    return { ...value, errors: [] };
  } catch (err) {
    if (err instanceof DomainError) return { errors: [{ code: err.code, message: err.message, field: err.field }] };
    throw err;
  }
}

/** A global id of the given type, as its database uuid; a malformed or mistyped id is INVALID_INPUT. */
export function localId(globalId: string, typename: string | readonly string[], field: string[]): string {
  const types = typeof typename === 'string' ? [typename] : typename;
  let decoded: { typename: string; id: string } | null = null;
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    decoded = null;
  }
  if (!decoded || !types.includes(decoded.typename) || !UUID.test(decoded.id)) {
    throw new DomainError('INVALID_INPUT', `${field[field.length - 1]} is not a valid ${types.join(' or ')} id`, field);
  }
  return decoded.id;
}

/** A global id of one of the given types, as its type and database uuid (INVALID_INPUT otherwise). */
export function typedLocalId<T extends string>(globalId: string, types: readonly T[], field: string[]): { type: T; id: string } {
  const id = localId(globalId, types, field);
  return { type: decodeGlobalID(globalId).typename as T, id };
}

/** Same as localId, for query arguments: a bad id is a top-level BAD_USER_INPUT error. */
export function queryLocalId(globalId: string, typename: string, argument: string): string {
  try {
    return localId(globalId, typename, [argument]);
  } catch (err) {
    throw new GraphQLError((err as Error).message, { extensions: { code: 'BAD_USER_INPUT', argument } });
  }
}

builder.globalConnectionField('totalCount', (t) =>
  t.int({
    description: 'How many items the whole list holds (all pages).',
    resolve: (parent) => parent.totalCount(),
  }),
);
