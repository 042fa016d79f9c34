import { loadAll } from '../domain/loaders';
// Alerts, their evidence, and the endpoint fleet (devices and their files).
import { builder } from './builder';
import { DeviceHealthEnum, EvidenceKindEnum, SeverityEnum } from './common';
import { AccountRef, AlertRef, DeviceFileRef, DeviceRef, EmailMessageRef, EvidenceRef, IncidentRef, IndicatorRef } from './refs';

builder.node(AlertRef, {
  description: 'A detection raised by a security product; an incident groups related alerts.',
  id: { resolve: (a) => a.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.alert, ids),
  fields: (t) => ({
    externalId: t.exposeString('externalId', { description: 'The id the detection source gave the alert.' }),
    title: t.exposeString('title', { description: 'What the detection saw.' }),
    severity: t.field({ type: SeverityEnum, description: "The alert's own severity.", resolve: (a) => a.severity }),
    category: t.exposeString('category', { nullable: true, description: 'e.g. Ransomware, CredentialAccess.' }),
    detectionSource: t.exposeString('detectionSource', { nullable: true, description: 'e.g. EDR, Antivirus.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When the alert was raised.', resolve: (a) => a.createdAt }),
    incident: t.field({ type: IncidentRef, description: 'The incident it belongs to (after a merge, the target).', resolve: async (a, _x, ctx) => (await ctx.loaders.incident.load(a.incidentId))! }),
    evidence: t.field({
      type: [EvidenceRef],
      description: 'Entities the alert names: devices, files, processes, users, IPs, URLs, email messages.',
      resolve: (a, _x, ctx) => ctx.loaders.evidenceByAlert.load(a.id),
    }),
  }),
});

const EvidenceDetail = builder.objectRef<{ name: string; value: string }>('EvidenceDetail').implement({
  description: 'One named detail of an evidence item (e.g. commandLine, sha256).',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Which detail, e.g. commandLine.' }),
    value: t.exposeString('value', { description: 'Its value, as text.' }),
  }),
});

EvidenceRef.implement({
  description: 'One entity named by an alert.',
  fields: (t) => ({
    kind: t.field({ type: EvidenceKindEnum, description: 'What the entity is; says which of the fields below are set.', resolve: (e) => e.kind }),
    value: t.exposeString('value', { description: 'Display value: device or file name, address, account, URL.' }),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      description: 'The fleet device this evidence is on, for devices, files and processes.',
      resolve: (e, _a, ctx) => (e.deviceId ? ctx.loaders.device.load(e.deviceId) : null),
    }),
    file: t.field({
      type: DeviceFileRef,
      nullable: true,
      description: 'The file on its device, for file evidence (QUARANTINE_FILE targets it).',
      resolve: (e, _a, ctx) => (e.fileId ? ctx.loaders.file.load(e.fileId) : null),
    }),
    account: t.field({
      type: AccountRef,
      nullable: true,
      description: "The tenant's account this user evidence names.",
      resolve: (e, _a, ctx) => (e.accountId ? ctx.loaders.account.load(e.accountId) : null),
    }),
    emailMessage: t.field({
      type: EmailMessageRef,
      nullable: true,
      description: 'The mailbox message this email evidence names.',
      resolve: (e, _a, ctx) => (e.emailMessageId ? ctx.loaders.emailMessage.load(e.emailMessageId) : null),
    }),
    indicator: t.field({
      type: IndicatorRef,
      nullable: true,
      description: "The tenant's indicator for this IP, URL or file hash (BLOCK_INDICATOR's target).",
      resolve: (e, _a, ctx) => (e.indicatorId ? ctx.loaders.indicator.load(e.indicatorId) : null),
    }),
    details: t.field({
      type: [EvidenceDetail],
      description: 'Further details the evidence carried (e.g. commandLine, processId, sha256), as name and value.',
      resolve: (e) =>
        Object.entries(e.details)
          .filter((kv): kv is [string, string] => kv[1] != null)
          .map(([name, value]) => ({ name, value })),
    }),
  }),
});

builder.node(DeviceRef, {
  description: 'A device of the tenant\'s endpoint fleet, with its response state.',
  id: { resolve: (d) => d.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.device, ids),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The device name, unique within the tenant.' }),
    deviceGroup: t.exposeString('deviceGroup', { nullable: true, description: 'Remediation exclusions match on it.' }),
    osPlatform: t.exposeString('osPlatform', { nullable: true, description: 'Operating system, e.g. Windows11.' }),
    healthStatus: t.field({
      type: DeviceHealthEnum,
      description: 'Whether it reports to the EDR; actions on an INACTIVE device wait for it or time out.',
      resolve: (d) => d.healthStatus,
    }),
    isolated: t.exposeBoolean('isolated', { description: 'Cut off from the network except the EDR channel.' }),
    appExecutionRestricted: t.exposeBoolean('appExecutionRestricted', { description: 'Only trusted-signed code may run.' }),
    lastSeenAt: t.field({ type: 'DateTime', description: 'When the device last reported (or was last named in evidence).', resolve: (d) => d.lastSeenAt }),
    files: t.field({ type: [DeviceFileRef], description: 'Files seen on it, by name.', resolve: (d, _a, ctx) => ctx.loaders.filesByDevice.load(d.id) }),
  }),
});

builder.node(DeviceFileRef, {
  description: 'A file seen on a device.',
  id: { resolve: (f) => f.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.file, ids),
  fields: (t) => ({
    device: t.field({ type: DeviceRef, description: 'The device it is on.', resolve: async (f, _a, ctx) => (await ctx.loaders.device.load(f.deviceId))! }),
    fileName: t.exposeString('fileName', { description: 'The file name.' }),
    filePath: t.string({ nullable: true, description: 'The folder or full path, when known.', resolve: (f) => f.filePath || null }),
    sha1: t.exposeString('sha1', { nullable: true, description: 'SHA-1 hash, when known.' }),
    sha256: t.exposeString('sha256', { nullable: true, description: 'SHA-256 hash, when known.' }),
    quarantined: t.exposeBoolean('quarantined', { description: 'Stopped and quarantined by a QUARANTINE_FILE action.' }),
  }),
});
