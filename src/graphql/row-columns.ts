// Which row columns each GraphQL field reads, for the types the queue reads in one statement
// (Incident, Alert, Device): the queue then fetches only what the query's fields need.
//
// The rule that keeps this safe: a field that is NOT listed here reads the whole row. A query
// selecting any unlisted field (one added elsewhere, e.g. Incident.managedResponse, or a new one)
// gets whole rows, exactly as before. So a field may be listed only with every column its resolver
// reads, including what it passes on (Incident.alerts reads the incident's id). The test
// "row-columns" runs every field of these types through the queue and through node(id) (whole
// rows, from the loaders) and requires the same answer.
import type { GraphQLResolveInfo } from 'graphql';
import type { AlertRow, DeviceRow, IncidentRow } from '../db/schema';
import type { QueueIncludes } from '../domain/queue';
import { childFields, connectionNodes } from './lookahead';

type ColumnMap<Row> = Readonly<Record<string, readonly (keyof Row & string)[]>>;

export const INCIDENT_FIELD_COLUMNS: ColumnMap<IncidentRow> = {
  __typename: [],
  id: ['id'],
  number: ['number'],
  externalId: ['externalId'],
  tenant: ['tenantId'],
  title: ['title'],
  description: ['description'],
  severity: ['severity'],
  status: ['status'],
  classification: ['classification'],
  determination: ['determination'],
  assignment: ['assignment'],
  assignee: ['assigneeId'],
  tags: ['customTags'],
  systemTags: ['systemTags'],
  priorityScore: ['priorityScore'],
  resolvingComment: ['resolvingComment'],
  version: ['version'],
  createdAt: ['createdAt'],
  updatedAt: ['updatedAt'],
  firstActivityAt: ['firstActivityAt'],
  lastActivityAt: ['lastActivityAt'],
  // the nested lists come with the page (or through the loaders, by the incident's id)
  alerts: ['id'],
  devices: ['id'],
};

export const ALERT_FIELD_COLUMNS: ColumnMap<AlertRow> = {
  __typename: [],
  id: ['id'],
  externalId: ['externalId'],
  title: ['title'],
  severity: ['severity'],
  category: ['category'],
  detectionSource: ['detectionSource'],
  createdAt: ['createdAt'],
  incident: ['incidentId'],
  evidence: ['id'],
};

export const DEVICE_FIELD_COLUMNS: ColumnMap<DeviceRow> = {
  __typename: [],
  id: ['id'],
  name: ['name'],
  deviceGroup: ['deviceGroup'],
  osPlatform: ['osPlatform'],
  healthStatus: ['healthStatus'],
  isolated: ['isolated'],
  appExecutionRestricted: ['appExecutionRestricted'],
  lastSeenAt: ['lastSeenAt'],
  files: ['id'],
};

/** The columns the selected fields read, or null (whole rows) if any field is not listed. */
export function columnsFor<Row>(map: ColumnMap<Row>, fields: Iterable<string>): (keyof Row & string)[] | null {
  const columns = new Set<keyof Row & string>();
  for (const field of fields) {
    const read = Object.hasOwn(map, field) ? map[field] : undefined;
    if (!read) return null;
    for (const column of read) columns.add(column);
  }
  return [...columns];
}

/** For `incidents`: what to fetch with the page, from what the query selects of its nodes. */
export function queueIncludes(info: GraphQLResolveInfo): QueueIncludes {
  const nodes = childFields(info, connectionNodes(info, info.fieldNodes));
  const alerts = nodes.get('alerts');
  const devices = nodes.get('devices');
  return {
    columns: columnsFor(INCIDENT_FIELD_COLUMNS, nodes.keys()),
    alerts: alerts ? (columnsFor(ALERT_FIELD_COLUMNS, childFields(info, connectionNodes(info, alerts)).keys()) ?? true) : false,
    devices: devices ? (columnsFor(DEVICE_FIELD_COLUMNS, childFields(info, devices).keys()) ?? true) : false,
  };
}
