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

const parseDate = (value: unknown): Date => {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string with a time zone, e.g. 2026-01-31T12:00:00Z`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new GraphQLError(`"${value}" is not a valid date`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return d;
};

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date and time in UTC, e.g. 2026-11-27T18:23:00.000Z.',
  serialize: (d) => (d instanceof Date ? d : new Date(d as string)).toISOString(),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

export const SeverityEnum = builder.enumType('Severity', {
  description: 'How bad an incident or alert is.',
  values: SEVERITIES,
});
export const IncidentStatusEnum = builder.enumType('IncidentStatus', {
  description: 'Where an incident is in its lifecycle (SPEC.md section 3).',
  values: INCIDENT_STATUSES,
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
