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

export const SeverityEnum = builder.enumType('Severity', {
  description: 'How bad an incident or alert is.',
  values: SEVERITIES,
});
/** Every database status has a description here (the compiler says when a new one lacks it). */
const INCIDENT_STATUS_DESCRIPTIONS = {
  ACTIVE: 'Ingested, not yet picked up by the experts.',
  IN_PROGRESS: 'Under investigation by the experts.',
  AWAITING_CUSTOMER_ACTION: 'A managed response is published and actions wait for the customer.',
  RESOLVED: 'Concluded: classified, and nothing left to do.',
  REDIRECTED: 'Merged into another incident (`redirectedTo`), which now holds its alerts, evidence and comments; it no longer changes.',
} satisfies Record<(typeof INCIDENT_STATUSES)[number], string>;
export const IncidentStatusEnum = builder.enumType('IncidentStatus', {
  description: 'Where an incident is in its lifecycle (SPEC.md section 3).',
  values: Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, { description: INCIDENT_STATUS_DESCRIPTIONS[s] }])) as Record<
    (typeof INCIDENT_STATUSES)[number],
    { description: string }
  >,
});
export const AssignmentEnum = builder.enumType('Assignment', {
  description: 'Who works the incident: the provider\'s experts, the customer, or nobody yet.',
  values: ASSIGNMENTS,
});
export const ClassificationEnum = builder.enumType('Classification', {
  description: 'The experts\' verdict on an incident.',
  values: CLASSIFICATIONS,
});
export const DeterminationEnum = builder.enumType('Determination', {
  description: 'The detail of a classification; only some pairs are valid (SPEC.md section 2).',
  values: DETERMINATIONS,
});
export const RoleEnum = builder.enumType('Role', {
  description: 'What a principal may do (SPEC.md section 1).',
  values: ROLES,
});
export const ServiceAccessLevelEnum = builder.enumType('ServiceAccessLevel', {
  description: 'What a customer allows the experts to do: READER (recommend only) or OPERATOR (act directly).',
  values: SERVICE_ACCESS_LEVELS,
});
export const DeviceHealthEnum = builder.enumType('DeviceHealth', {
  description: 'Whether a device reports to the EDR.',
  values: DEVICE_HEALTH,
});
export const EvidenceKindEnum = builder.enumType('EvidenceKind', {
  description: 'What an evidence item is.',
  values: EVIDENCE_KINDS,
});
export const SideEnum = builder.enumType('Side', {
  description: 'The provider\'s experts or the customer.',
  values: SIDES,
});
export const IncidentOrderFieldEnum = builder.enumType('IncidentOrderField', {
  description: 'Queue orderings. LAST_UPDATE is the default.',
  values: ORDER_FIELDS,
});
export const OrderDirectionEnum = builder.enumType('OrderDirection', {
  description: 'Ascending or descending.',
  values: ['ASC', 'DESC'] as const,
});
export const UserErrorCodeEnum = builder.enumType('UserErrorCode', {
  description: 'Why a mutation did nothing.',
  values: USER_ERROR_CODES,
});

export interface UserErrorShape {
  code: DomainError['code'];
  message: string;
  field?: string[];
}

export const UserError = builder.objectRef<UserErrorShape>('UserError').implement({
  description: 'A rule the mutation would have broken. Nothing was written.',
  fields: (t) => ({
    code: t.field({ type: UserErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
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
