// Ingestion by INTEGRATION principals: an incident with its alerts and evidence in one
// transaction, idempotent on (tenant, externalId). New alerts for a known externalId join the
// existing incident; alerts already known are skipped.
import { isIP } from 'node:net';
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../db/client';
import { accounts, alerts, deviceFiles, devices, emailMessages, evidence, incidents, indicators, tenants, type AccountRow, type IncidentRow } from '../db/schema';
import { canonicalIp, type IndicatorType } from './response/targets';
import { writeTransaction, type ActivityLog } from '../events/activity';
import type { DomainContext } from './context';
import type { Severity } from './enums';
import { AccessError, invalid } from './errors';
import { priorityScore } from './priority';
import { normaliseDeviceGroup, sameDeviceGroup } from './exclusions';
import { LIMITS, optionalText, pastOrPresent, text } from './validate';
import { authorize } from './access';
import { suppressAtIngest } from './suppression';

export interface DeviceEvidenceInput {
  deviceName: string;
  deviceGroup?: string | null;
  osPlatform?: string | null;
}
export interface FileEvidenceInput {
  deviceName: string;
  fileName: string;
  filePath?: string | null;
  sha1?: string | null;
  sha256?: string | null;
}
export interface ProcessEvidenceInput {
  deviceName?: string | null;
  processName: string;
  commandLine?: string | null;
  processId?: number | null;
}
export interface UserEvidenceInput {
  accountName: string;
  domain?: string | null;
  /** The UPN (`upn` in the API; `userPrincipalName` is kept as its older name). */
  upn?: string | null;
  userPrincipalName?: string | null;
  displayName?: string | null;
}
export interface EmailEvidenceInput {
  networkMessageId: string;
  recipient: string;
  sender?: string | null;
  subject?: string | null;
  receivedAt?: Date | null;
}
export interface IpEvidenceInput {
  address: string;
}
export interface UrlEvidenceInput {
  url: string;
}
export interface EvidenceInput {
  device?: DeviceEvidenceInput | null;
  file?: FileEvidenceInput | null;
  process?: ProcessEvidenceInput | null;
  user?: UserEvidenceInput | null;
  ip?: IpEvidenceInput | null;
  url?: UrlEvidenceInput | null;
  email?: EmailEvidenceInput | null;
}
export interface AlertInput {
  externalId: string;
  title: string;
  severity: Severity;
  category?: string | null;
  detectionSource?: string | null;
  createdAt?: Date | null;
  evidence: EvidenceInput[];
}
export interface IngestIncidentInput {
  externalId: string;
  title: string;
  description?: string | null;
  severity: Severity;
  firstActivityAt?: Date | null;
  alerts: AlertInput[];
}

export interface IngestResult {
  incident: IncidentRow;
  created: boolean;
}

const SHA1 = /^[0-9a-f]{40}$/i;
const SHA256 = /^[0-9a-f]{64}$/i;

type Kind = 'DEVICE' | 'FILE' | 'PROCESS' | 'USER' | 'IP' | 'URL' | 'EMAIL';
interface CleanEvidence {
  kind: Kind;
  value: string;
  deviceName: string | null;
  deviceGroup?: string | null;
  osPlatform?: string | null;
  file?: { fileName: string; filePath: string; sha1: string | null; sha256: string | null };
  account?: { accountName: string; domain: string | null; upn: string | null; displayName: string | null };
  email?: { networkMessageId: string; recipient: string; sender: string | null; subject: string | null; receivedAt: Date | null };
  /** The indicator this evidence is (IP, URL, a file's hash), for the tenant's indicator list. */
  indicator?: { type: IndicatorType; value: string };
  details: Record<string, string | null>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function cleanEvidence(e: EvidenceInput, field: string[]): CleanEvidence {
  const set = (['device', 'file', 'process', 'user', 'ip', 'url', 'email'] as const).filter((k) => e[k] != null);
  if (set.length !== 1) {
    throw invalid(`exactly one of device, file, process, user, ip, url, email must be set (got ${set.length})`, field);
  }
  const S = LIMITS.shortText;
  const N = LIMITS.name;
  switch (set[0]) {
    case 'device': {
      const d = e.device!;
      return {
        kind: 'DEVICE',
        deviceName: text(d.deviceName, [...field, 'device', 'deviceName'], N),
        value: d.deviceName.trim(),
        deviceGroup: optionalText(d.deviceGroup, [...field, 'device', 'deviceGroup'], N),
        osPlatform: optionalText(d.osPlatform, [...field, 'device', 'osPlatform'], N),
        details: {},
      };
    }
    case 'file': {
      const f = e.file!;
      const sha1 = optionalText(f.sha1, [...field, 'file', 'sha1'], 40);
      const sha256 = optionalText(f.sha256, [...field, 'file', 'sha256'], 64);
      if (sha1 && !SHA1.test(sha1)) throw invalid('sha1 must be 40 hexadecimal characters', [...field, 'file', 'sha1']);
      if (sha256 && !SHA256.test(sha256)) {
        throw invalid('sha256 must be 64 hexadecimal characters', [...field, 'file', 'sha256']);
      }
      const fileName = text(f.fileName, [...field, 'file', 'fileName'], N);
      return {
        kind: 'FILE',
        deviceName: text(f.deviceName, [...field, 'file', 'deviceName'], N),
        value: fileName,
        file: {
          fileName,
          filePath: optionalText(f.filePath, [...field, 'file', 'filePath'], S) ?? '',
          sha1: sha1?.toLowerCase() ?? null,
          sha256: sha256?.toLowerCase() ?? null,
        },
        ...(sha256 || sha1
          ? { indicator: sha256 ? { type: 'FILE_SHA256' as const, value: sha256.toLowerCase() } : { type: 'FILE_SHA1' as const, value: sha1!.toLowerCase() } }
          : {}),
        details: { sha1: sha1?.toLowerCase() ?? null, sha256: sha256?.toLowerCase() ?? null },
      };
    }
    case 'process': {
      const p = e.process!;
      if (p.processId != null && (!Number.isInteger(p.processId) || p.processId < 0)) {
        throw invalid('processId must be a non-negative integer', [...field, 'process', 'processId']);
      }
      return {
        kind: 'PROCESS',
        deviceName: optionalText(p.deviceName, [...field, 'process', 'deviceName'], N),
        value: text(p.processName, [...field, 'process', 'processName'], N),
        details: {
          commandLine: optionalText(p.commandLine, [...field, 'process', 'commandLine'], S),
          processId: p.processId != null ? String(p.processId) : null,
        },
      };
    }
    case 'user': {
      const u = e.user!;
      const accountName = text(u.accountName, [...field, 'user', 'accountName'], N);
      const domain = optionalText(u.domain, [...field, 'user', 'domain'], N);
      const upnField = u.upn != null ? 'upn' : 'userPrincipalName';
      const upn = optionalText(u.upn ?? u.userPrincipalName, [...field, 'user', upnField], N);
      if (upn && !EMAIL.test(upn)) throw invalid(`"${upn.slice(0, 60)}" is not a user principal name (name@domain)`, [...field, 'user', upnField]);
      const displayName = optionalText(u.displayName, [...field, 'user', 'displayName'], N);
      return {
        kind: 'USER',
        deviceName: null,
        value: accountName,
        account: { accountName, domain, upn, displayName },
        details: { domain, userPrincipalName: upn, displayName },
      };
    }
    case 'email': {
      const m = e.email!;
      const networkMessageId = text(m.networkMessageId, [...field, 'email', 'networkMessageId'], N);
      const recipient = text(m.recipient, [...field, 'email', 'recipient'], N);
      if (!EMAIL.test(recipient)) throw invalid(`"${recipient.slice(0, 60)}" is not an email address`, [...field, 'email', 'recipient']);
      const sender = optionalText(m.sender, [...field, 'email', 'sender'], N);
      if (sender && !EMAIL.test(sender)) throw invalid(`"${sender.slice(0, 60)}" is not an email address`, [...field, 'email', 'sender']);
      const subject = optionalText(m.subject, [...field, 'email', 'subject'], S);
      return {
        kind: 'EMAIL',
        deviceName: null,
        value: subject ?? networkMessageId,
        email: { networkMessageId, recipient, sender, subject, receivedAt: m.receivedAt ?? null },
        details: { networkMessageId, recipient, sender, subject },
      };
    }
    case 'ip': {
      const address = text(e.ip!.address, [...field, 'ip', 'address'], 64);
      // node's own parser: a hand-written IPv6 pattern let ":::::" through
      if (isIP(address) === 0) {
        throw invalid(`"${address}" is not an IPv4 or IPv6 address`, [...field, 'ip', 'address']);
      }
      return { kind: 'IP', deviceName: null, value: address, indicator: { type: 'IP_ADDRESS', value: canonicalIp(address) }, details: {} };
    }
    case 'url': {
      const url = text(e.url!.url, [...field, 'url', 'url'], S);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw invalid(`"${url.slice(0, 100)}" is not an absolute URL`, [...field, 'url', 'url']);
      }
      // only web addresses go to the indicator list (a mailto: or file: URL is evidence, not an indicator)
      const web = parsed.protocol === 'http:' || parsed.protocol === 'https:';
      return { kind: 'URL', deviceName: null, value: url, ...(web ? { indicator: { type: 'URL' as const, value: parsed.href } } : {}), details: {} };
    }
  }
}

interface CleanAlert {
  externalId: string;
  title: string;
  severity: Severity;
  category: string | null;
  detectionSource: string | null;
  createdAt: Date | null;
  evidence: CleanEvidence[];
}

function cleanInput(input: IngestIncidentInput) {
  const externalId = text(input.externalId, ['externalId'], LIMITS.externalId);
  const title = text(input.title, ['title'], LIMITS.title);
  const description = optionalText(input.description, ['description'], LIMITS.description);
  const firstActivityAt = pastOrPresent(input.firstActivityAt, ['firstActivityAt']);
  if (input.alerts.length === 0) throw invalid('an incident needs at least one alert', ['alerts']);
  if (input.alerts.length > LIMITS.alertsPerIngest) {
    throw invalid(`at most ${LIMITS.alertsPerIngest} alerts per call`, ['alerts']);
  }
  const seen = new Set<string>();
  const cleanAlerts: CleanAlert[] = input.alerts.map((a, i) => {
    const f = ['alerts', String(i)];
    const ext = text(a.externalId, [...f, 'externalId'], LIMITS.externalId);
    if (seen.has(ext)) throw invalid(`alert externalId "${ext}" appears twice`, [...f, 'externalId']);
    seen.add(ext);
    if (a.evidence.length > LIMITS.evidencePerAlert) {
      throw invalid(`at most ${LIMITS.evidencePerAlert} evidence items per alert`, [...f, 'evidence']);
    }
    return {
      externalId: ext,
      title: text(a.title, [...f, 'title'], LIMITS.title),
      severity: a.severity,
      category: optionalText(a.category, [...f, 'category'], LIMITS.name),
      detectionSource: optionalText(a.detectionSource, [...f, 'detectionSource'], LIMITS.name),
      createdAt: pastOrPresent(a.createdAt, [...f, 'createdAt']),
      evidence: a.evidence.map((e, j) => cleanEvidence(e, [...f, 'evidence', String(j)])),
    };
  });
  return { externalId, title, description, severity: input.severity, firstActivityAt, alerts: cleanAlerts };
}

/** Evidence naming a known device with another group than the tenant's inventory holds. */
interface GroupDiscrepancy {
  deviceId: string;
  deviceName: string;
  inventory: string;
  claimed: string;
}

/**
 * Devices named in evidence join the tenant's fleet (matched by name) and count as ACTIVE. The
 * group is tenant inventory (remediation exclusions match on it): evidence sets it for a new
 * device, or one with no group yet, and never moves a known device to another group. A
 * different group in evidence is returned as a discrepancy, for the tenant to confirm.
 *
 * One statement for every device of the call: the evidence is merged per device the way upserts
 * one evidence at a time would leave it (the first spelling of the name, the first group given,
 * the last platform given), in the database's own case folding, then upserted in name order (a
 * stable lock order between concurrent ingestions). Returns each evidence's device, in order.
 */
async function upsertDevices(tx: Tx, tenantId: string, list: CleanEvidence[]): Promise<{ id: string; group: string | null }[]> {
  const out: { id: string; group: string | null }[] = [];
  for (let from = 0; from < list.length; from += CHUNK) {
    const part = list.slice(from, from + CHUNK);
    const values = sql.join(
      part.map((e, i) => sql`(${i}::int, ${e.deviceName}::text, ${e.deviceGroup ?? null}::text, ${e.osPlatform ?? null}::text)`),
      sql`, `,
    );
    const rows = rowsOf<{ ord: number; id: string; device_group: string | null }>(
      await tx.execute(sql`
        with input (ord, name, grp, os) as (values ${values}),
        merged as (
          select lower(name) as k,
            (array_agg(name order by ord))[1] as name,
            (array_agg(grp order by ord) filter (where grp is not null))[1] as grp,
            (array_agg(os order by ord desc) filter (where os is not null))[1] as os
          from input group by lower(name)
        ),
        up as (
          insert into ${devices} (tenant_id, name, device_group, os_platform, health_status, last_seen_at)
          select ${tenantId}::uuid, name, grp, os, 'ACTIVE'::device_health, now() from merged order by k
          on conflict (tenant_id, lower(name)) do update set
            device_group = coalesce(${devices}.device_group, excluded.device_group),
            os_platform = coalesce(excluded.os_platform, ${devices}.os_platform),
            health_status = 'ACTIVE',
            last_seen_at = now()
          returning id, name, device_group
        )
        select input.ord, up.id, up.device_group from input join up on lower(up.name) = lower(input.name) order by input.ord`),
    );
    for (const r of rows) out[from + Number(r.ord)] = { id: r.id, group: r.device_group };
  }
  return out;
}

/** Rows per multi-row statement (bind parameters stay far below PostgreSQL's 65,535). */
const CHUNK = 500;

/**
 * The files of the call, one statement: per (device, path, name) the last hashes given win, as
 * upserting them one at a time would leave them. Returns the file ids by fileKey.
 */
async function upsertFiles(tx: Tx, tenantId: string, list: { deviceId: string; file: NonNullable<CleanEvidence['file']> }[]): Promise<Map<string, string>> {
  const merged = new Map<string, { deviceId: string; fileName: string; filePath: string; sha1: string | null; sha256: string | null }>();
  for (const { deviceId, file: f } of list) {
    const key = fileKey(deviceId, f.filePath, f.fileName);
    const m = merged.get(key);
    if (!m) merged.set(key, { deviceId, ...f });
    else {
      m.sha1 = f.sha1 ?? m.sha1;
      m.sha256 = f.sha256 ?? m.sha256;
    }
  }
  const ids = new Map<string, string>();
  const all = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  for (let from = 0; from < all.length; from += CHUNK) {
    const values = sql.join(
      all.slice(from, from + CHUNK).map((f) => sql`(${tenantId}::uuid, ${f.deviceId}::uuid, ${f.fileName}::text, ${f.filePath}::text, ${f.sha1}::text, ${f.sha256}::text)`),
      sql`, `,
    );
    const rows = rowsOf<{ id: string; device_id: string; file_path: string; file_name: string }>(
      await tx.execute(sql`
        insert into ${deviceFiles} (tenant_id, device_id, file_name, file_path, sha1, sha256)
        values ${values}
        on conflict (device_id, file_path, file_name) do update set
          sha1 = coalesce(excluded.sha1, ${deviceFiles}.sha1),
          sha256 = coalesce(excluded.sha256, ${deviceFiles}.sha256)
        returning id, device_id, file_path, file_name`),
    );
    for (const r of rows) ids.set(fileKey(r.device_id, r.file_path, r.file_name), r.id);
  }
  return ids;
}

const fileKey = (deviceId: string, filePath: string, fileName: string) => `${deviceId}\u0000${filePath}\u0000${fileName}`;

/**
 * The tenant's indicators named by the call (created when new), as ensureIndicator makes them one
 * at a time: insert what is missing (in value order), then read the ids back in a statement of its
 * own (it sees rows a concurrent ingestion committed while we waited on its insert).
 */
async function ensureIndicators(tx: Tx, tenantId: string, list: { type: IndicatorType; value: string }[]): Promise<Map<string, string>> {
  const wanted = new Map<string, { type: IndicatorType; value: string }>();
  for (const i of list) wanted.set(indicatorKey(i.type, i.value), i);
  const ids = new Map<string, string>();
  const all = [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  for (let from = 0; from < all.length; from += CHUNK) {
    const part = all.slice(from, from + CHUNK);
    const created = await tx
      .insert(indicators)
      .values(part.map((i) => ({ tenantId, type: i.type, value: i.value })))
      .onConflictDoNothing()
      .returning({ id: indicators.id, type: indicators.type, value: indicators.value });
    for (const r of created) ids.set(indicatorKey(r.type, r.value), r.id);
    const missing = part.filter((i) => !ids.has(indicatorKey(i.type, i.value)));
    if (!missing.length) continue;
    const found = await tx
      .select({ id: indicators.id, type: indicators.type, value: indicators.value })
      .from(indicators)
      .where(
        and(
          eq(indicators.tenantId, tenantId),
          inArray(indicators.type, [...new Set(missing.map((i) => i.type))]),
          inArray(indicators.value, [...new Set(missing.map((i) => i.value))]),
        ),
      );
    for (const r of found) ids.set(indicatorKey(r.type, r.value), r.id);
  }
  return ids;
}

const indicatorKey = (type: string, value: string) => `${type}\u0000${value}`;

/**
 * The tenant's accounts with these UPNs (case-insensitive), one statement, by the UPN as given:
 * what upsertAccount would find by UPN. Only hits are kept (a miss is looked up again, in case
 * an earlier evidence of the same call created it).
 */
async function accountsByUpn(tx: Tx, tenantId: string, upns: string[]): Promise<Map<string, AccountRow>> {
  const found = new Map<string, AccountRow>();
  const distinct = [...new Set(upns)];
  for (let from = 0; from < distinct.length; from += CHUNK) {
    const values = sql.join(distinct.slice(from, from + CHUNK).map((u) => sql`(${u}::text)`), sql`, `);
    const rows = await tx
      .select({ given: sql<string>`given.upn`.as('given_upn'), account: accounts })
      .from(accounts)
      .innerJoin(sql`(values ${values}) as given (upn)`, sql`lower(${accounts.upn}) = lower(given.upn)`)
      .where(eq(accounts.tenantId, tenantId));
    for (const r of rows) found.set(r.given, r.account);
  }
  return found;
}

/**
 * The tenant's account named by user evidence: found by UPN when the evidence has one, else by
 * domain and name (case-insensitive), created when new. An existing account is enriched (a UPN or
 * display name it lacked), never renamed. `byUpn` holds accounts already found by UPN in this
 * call (accountsByUpn), kept up to date with what this function writes.
 */
async function upsertAccount(tx: Tx, tenantId: string, a: NonNullable<CleanEvidence['account']>, byUpnCache?: Map<string, AccountRow>): Promise<string> {
  const cached = a.upn ? byUpnCache?.get(a.upn) : undefined;
  const byUpn = cached ? [cached] : a.upn ? await tx.select().from(accounts).where(and(eq(accounts.tenantId, tenantId), sql`lower(${accounts.upn}) = lower(${a.upn})`)) : [];
  const byName = byUpn.length
    ? byUpn
    : await tx
        .select()
        .from(accounts)
        .where(
          and(
            eq(accounts.tenantId, tenantId),
            sql`lower(${accounts.accountName}) = lower(${a.accountName})`,
            sql`lower(coalesce(${accounts.domain}, '')) = lower(${a.domain ?? ''})`,
            // a name match with another UPN is another person
            a.upn ? sql`${accounts.upn} is null` : sql`true`,
          ),
        )
        .limit(1);
  const found = byName[0];
  if (found) {
    if ((a.upn && !found.upn) || (a.displayName && !found.displayName)) {
      const change = { upn: found.upn ?? a.upn, displayName: found.displayName ?? a.displayName };
      await tx.update(accounts).set(change).where(eq(accounts.id, found.id));
      if (byUpnCache) for (const [k, v] of byUpnCache) if (v.id === found.id) byUpnCache.set(k, { ...v, ...change });
    }
    return found.id;
  }
  const [row] = await tx.insert(accounts).values({ tenantId, ...a }).onConflictDoNothing().returning();
  if (row) {
    if (a.upn) byUpnCache?.set(a.upn, row);
    return row.id;
  }
  // a concurrent ingest created it (same UPN) a moment ago
  const [again] = await tx.select({ id: accounts.id }).from(accounts).where(and(eq(accounts.tenantId, tenantId), sql`lower(${accounts.upn}) = lower(${a.upn})`));
  return again.id;
}

/** The message in the recipient's mailbox: matched by network message id and recipient, created when new. */
async function upsertMessage(tx: Tx, tenantId: string, m: NonNullable<CleanEvidence['email']>): Promise<string> {
  const rows = await tx.execute<{ id: string }>(sql`
    insert into ${emailMessages} (tenant_id, network_message_id, recipient, sender, subject, received_at)
    values (${tenantId}, ${m.networkMessageId}, ${m.recipient}, ${m.sender}, ${m.subject}, ${m.receivedAt?.toISOString() ?? null})
    on conflict (tenant_id, lower(network_message_id), lower(recipient)) do update set
      sender = coalesce(${emailMessages}.sender, excluded.sender),
      subject = coalesce(${emailMessages}.subject, excluded.subject),
      received_at = coalesce(${emailMessages}.received_at, excluded.received_at)
    returning id`);
  return rowsOf<{ id: string }>(rows)[0].id;
}

/** The alerts' rows; already known ones (tenant, externalId) are skipped: idempotent. Their ids by externalId. */
async function insertAlertRows(tx: Tx, tenantId: string, incidentId: string, list: CleanAlert[]): Promise<Map<string, string>> {
  const alertIds = new Map<string, string>();
  for (let from = 0; from < list.length; from += CHUNK) {
    const rows = await tx
      .insert(alerts)
      .values(
        list.slice(from, from + CHUNK).map((a) => ({
          tenantId,
          incidentId,
          externalId: a.externalId,
          title: a.title,
          severity: a.severity,
          category: a.category,
          detectionSource: a.detectionSource,
          ...(a.createdAt ? { createdAt: a.createdAt } : {}),
        })),
      )
      .onConflictDoNothing({ target: [alerts.tenantId, alerts.externalId] })
      .returning({ id: alerts.id, externalId: alerts.externalId });
    for (const r of rows) alertIds.set(r.externalId, r.id);
  }
  return alertIds;
}

/** An evidence row as resolved against the tenant's estate, before its alert and incident ids are known. */
interface ResolvedEvidence {
  alertExternalId: string;
  position: number;
  e: CleanEvidence;
  deviceId: string | null;
  fileId: string | null;
  accountId: string | null;
  emailMessageId: string | null;
  indicatorId: string | null;
}

/**
 * The devices, files, indicators, accounts and messages the alerts' evidence names, created or
 * matched: a statement per kind rather than per evidence (a 10-alert, 40-evidence incident took
 * ~80 statements one row at a time). Accounts and messages stay one at a time, in evidence order
 * (an account's match depends on the ones before), after one lookup of every UPN.
 */
async function resolveEvidence(
  tx: Tx,
  tenantId: string,
  list: CleanAlert[],
): Promise<{ rows: ResolvedEvidence[]; names: string[]; groups: (string | null)[]; discrepancies: GroupDiscrepancy[] }> {
  const names: string[] = [];
  const groups: (string | null)[] = [];
  const discrepancies = new Map<string, GroupDiscrepancy>();
  const items = list.flatMap((a) => a.evidence.map((e, position) => ({ alertExternalId: a.externalId, e, position })));

  const withDevice = items.filter((x) => x.e.deviceName);
  const deviceOf = new Map<(typeof items)[number], { id: string; group: string | null }>();
  if (withDevice.length) {
    const found = await upsertDevices(tx, tenantId, withDevice.map((x) => x.e));
    withDevice.forEach((x, i) => deviceOf.set(x, found[i]));
  }
  const withFile = items.filter((x) => x.e.file && deviceOf.has(x));
  const fileIds = withFile.length ? await upsertFiles(tx, tenantId, withFile.map((x) => ({ deviceId: deviceOf.get(x)!.id, file: x.e.file! }))) : new Map<string, string>();
  const withIndicator = items.filter((x) => x.e.indicator);
  const indicatorIds = withIndicator.length ? await ensureIndicators(tx, tenantId, withIndicator.map((x) => x.e.indicator!)) : new Map<string, string>();
  const upns = items.flatMap((x) => (x.e.account?.upn ? [x.e.account.upn] : []));
  const byUpn = upns.length ? await accountsByUpn(tx, tenantId, upns) : new Map<string, AccountRow>();

  const rows: ResolvedEvidence[] = [];
  for (const x of items) {
    const { e } = x;
    let deviceId: string | null = null;
    let fileId: string | null = null;
    const d = deviceOf.get(x);
    if (d) {
      const discrepancy = e.deviceGroup && d.group && !sameDeviceGroup(e.deviceGroup, d.group) ? { deviceId: d.id, deviceName: e.deviceName!, inventory: d.group, claimed: e.deviceGroup } : null;
      if (discrepancy) discrepancies.set(`${d.id}:${normaliseDeviceGroup(discrepancy.claimed)}`, discrepancy);
      deviceId = d.id;
      groups.push(d.group);
      names.push(e.deviceName!);
      if (e.file) fileId = fileIds.get(fileKey(d.id, e.file.filePath, e.file.fileName)) ?? null;
    }
    const accountId = e.account ? await upsertAccount(tx, tenantId, e.account, byUpn) : null;
    const emailMessageId = e.email ? await upsertMessage(tx, tenantId, e.email) : null;
    const indicatorId = e.indicator ? (indicatorIds.get(indicatorKey(e.indicator.type, e.indicator.value)) ?? null) : null;
    if (e.kind !== 'DEVICE') names.push(e.value);
    if (e.account?.upn) names.push(e.account.upn);
    if (e.email) names.push(e.email.recipient, ...(e.email.sender ? [e.email.sender] : []));
    rows.push({ ...x, deviceId, fileId, accountId, emailMessageId, indicatorId });
  }
  return { rows, names, groups, discrepancies: [...discrepancies.values()] };
}

/** The evidence rows of the alerts in `alertIds` (the ones this call inserted), multi-row. */
async function insertEvidence(tx: Tx, tenantId: string, incidentId: string, rows: ResolvedEvidence[], alertIds: Map<string, string>): Promise<void> {
  const values = rows
    .filter((r) => alertIds.has(r.alertExternalId))
    .map((r) => ({
      tenantId,
      incidentId,
      alertId: alertIds.get(r.alertExternalId)!,
      kind: r.e.kind,
      position: r.position,
      deviceId: r.deviceId,
      fileId: r.fileId,
      accountId: r.accountId,
      emailMessageId: r.emailMessageId,
      indicatorId: r.indicatorId,
      value: r.e.value,
      details: { ...r.e.details, ...(r.e.kind === 'PROCESS' && r.e.deviceName ? { deviceName: r.e.deviceName } : {}) },
    }));
  for (let from = 0; from < values.length; from += CHUNK) await tx.insert(evidence).values(values.slice(from, from + CHUNK));
}

/** New alerts for a known incident: the alerts first (known ones are skipped), then what their evidence names, then the evidence. */
async function insertAlerts(
  tx: Tx,
  tenantId: string,
  incidentId: string,
  list: CleanAlert[],
): Promise<{ inserted: number; names: string[]; groups: (string | null)[]; discrepancies: GroupDiscrepancy[] }> {
  const alertIds = await insertAlertRows(tx, tenantId, incidentId, list);
  const fresh = list.filter((a) => alertIds.has(a.externalId));
  if (fresh.length === 0) return { inserted: 0, names: [], groups: [], discrepancies: [] };
  const { rows, names, groups, discrepancies } = await resolveEvidence(tx, tenantId, fresh);
  await insertEvidence(tx, tenantId, incidentId, rows, alertIds);
  return { inserted: fresh.length, names, groups, discrepancies };
}

/** The tenant sees every group the evidence claimed and the inventory kept, on the incident ingested. */
function logDiscrepancies(log: ActivityLog, tenantId: string, incidentId: string, list: GroupDiscrepancy[]) {
  for (const d of list) {
    log.add({
      tenantId,
      incidentId,
      field: 'deviceGroup',
      subjectId: d.deviceId,
      from: d.inventory,
      to: d.claimed,
      note: `Device "${d.deviceName}": the evidence names group "${d.claimed}" but the inventory says "${d.inventory}". Not applied: a known device's group changes only when the tenant confirms it.`,
    });
  }
}

export function searchText(title: string, number: number, names: string[]): string {
  return [title, `#${number}`, ...new Set(names)].join(' ').toLowerCase().slice(0, 20_000);
}

export async function ingestIncident(ctx: DomainContext, raw: IngestIncidentInput): Promise<IngestResult> {
  const viewer = authorize(ctx.viewer, 'ingestIncident');
  const tenantId = viewer.tenantId;
  if (!tenantId) throw new AccessError('FORBIDDEN', 'An integration principal must belong to a tenant');
  const input = cleanInput(raw);
  const result = await writeTransaction(ctx, (tx, log) => ingestInTx(tx, log, tenantId, input));
  ctx.loaders.incident.clear(result.incident.id).prime(result.incident.id, result.incident);
  return result;
}

/**
 * The incident a known externalId's new alerts join, locked; undefined for a new one. A merged
 * (REDIRECTED) incident's alerts join the incident it was merged into (merge.ts), so the links are
 * followed without locks, and only an incident that is not REDIRECTED stays locked: ingestion
 * holds one incident lock, never waiting for another while holding it, so it cannot deadlock with
 * a merge (which locks its set in id order, possibly with the incident we wait for).
 */
async function lockIngestTarget(tx: Tx, tenantId: string, externalId: string): Promise<IncidentRow | undefined> {
  let [row] = await tx.select().from(incidents).where(and(eq(incidents.tenantId, tenantId), eq(incidents.externalId, externalId)));
  while (row) {
    if (!row.redirectedToId) {
      const locked = await lockUnlessRedirected(tx, row.id);
      if (locked) return locked;
    }
    [row] = await tx.select().from(incidents).where(eq(incidents.id, row.redirectedToId ?? row.id));
  }
  return undefined;
}

const MERGED_WHILE_WAITING = Symbol('merged while waiting');

/**
 * Lock the incident if it is (still) not REDIRECTED. A FOR UPDATE that waited for a merge keeps
 * the lock it took on the merged row even though the re-checked condition then drops it; taking
 * it in a savepoint that is rolled back lets it go (a merge may be waiting for it).
 */
async function lockUnlessRedirected(tx: Tx, incidentId: string): Promise<IncidentRow | undefined> {
  try {
    return await tx.transaction(async (savepoint) => {
      const [locked] = await savepoint
        .select()
        .from(incidents)
        .where(and(eq(incidents.id, incidentId), ne(incidents.status, 'REDIRECTED')))
        .for('update');
      if (!locked) throw MERGED_WHILE_WAITING;
      return locked;
    });
  } catch (err) {
    if (err === MERGED_WHILE_WAITING) return undefined;
    throw err;
  }
}

async function ingestInTx(
  tx: Tx,
  log: ActivityLog,
  tenantId: string,
  input: ReturnType<typeof cleanInput>,
): Promise<IngestResult> {
  // Serialise concurrent deliveries of the same externalId (the unique index backs this up).
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${tenantId}:${input.externalId}`}, 0))`);
  const existing = await lockIngestTarget(tx, tenantId, input.externalId);
  const now = new Date();

  if (existing) {
    const { inserted, names, groups, discrepancies } = await insertAlerts(tx, tenantId, existing.id, input.alerts);
    if (inserted === 0) return { incident: existing, created: false };
    const [{ n: alertCount }] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(alerts)
      .where(eq(alerts.incidentId, existing.id));
    const groupRows = await deviceGroupsOf(tx, existing.id);
    const [updated] = await tx
      .update(incidents)
      .set({
        version: existing.version + 1,
        updatedAt: now,
        lastActivityAt: now,
        searchText: `${existing.searchText} ${searchText('', existing.number, names)}`.slice(0, 20_000),
        priorityScore: priorityScore({
          severity: existing.severity,
          alertCount: Number(alertCount),
          deviceGroups: [...groupRows, ...groups],
          firstActivityAt: existing.firstActivityAt,
          now,
        }),
      })
      .where(eq(incidents.id, existing.id))
      .returning();
    log.add({
      tenantId,
      incidentId: existing.id,
      field: 'alerts',
      from: String(Number(alertCount) - inserted),
      to: String(alertCount),
      note: `${inserted} new alert(s) ingested`,
    });
    logDiscrepancies(log, tenantId, existing.id, discrepancies);
    return { incident: updated, created: false };
  }

  // An alert may already belong to another incident (the source regrouped it): skip it then.
  const known = await tx
    .select({ externalId: alerts.externalId })
    .from(alerts)
    .where(and(eq(alerts.tenantId, tenantId), inArray(alerts.externalId, input.alerts.map((a) => a.externalId))));
  const knownIds = new Set(known.map((k) => k.externalId));
  const fresh = input.alerts.filter((a) => !knownIds.has(a.externalId));
  if (fresh.length === 0) {
    throw invalid('every alert of this incident already belongs to another incident', ['alerts']);
  }

  // What the evidence names first: the tenant's row (its incident counter) stays locked from the
  // number to the commit, and concurrent ingestions of the tenant wait for it, so that part is short.
  const { rows, names, groups, discrepancies } = await resolveEvidence(tx, tenantId, fresh);
  const [{ number }] = await tx
    .update(tenants)
    .set({ lastIncidentNumber: sql`${tenants.lastIncidentNumber} + 1` })
    .where(eq(tenants.id, tenantId))
    .returning({ number: tenants.lastIncidentNumber });
  const firstActivityAt =
    input.firstActivityAt ??
    fresh.reduce<Date | null>((min, a) => (a.createdAt && (!min || a.createdAt < min) ? a.createdAt : min), null) ??
    now;
  const [incident] = await tx
    .insert(incidents)
    .values({
      tenantId,
      number,
      externalId: input.externalId,
      title: input.title,
      description: input.description,
      severity: input.severity,
      createdAt: now,
      updatedAt: now,
      firstActivityAt,
      lastActivityAt: now,
      searchText: searchText(input.title, number, names),
      priorityScore: priorityScore({
        severity: input.severity,
        alertCount: fresh.length,
        deviceGroups: groups,
        firstActivityAt,
        now,
      }),
    })
    .returning();
  const alertIds = await insertAlertRows(tx, tenantId, incident.id, fresh);
  await insertEvidence(tx, tenantId, incident.id, rows, alertIds);
  log.add({ tenantId, incidentId: incident.id, field: 'status', from: null, to: 'ACTIVE', note: 'incident ingested' });
  logDiscrepancies(log, tenantId, incident.id, discrepancies);
  // noise filtering (SPEC.md section 8): a suppression rule of the tenant may resolve it at once
  return { incident: await suppressAtIngest(tx, log, incident), created: true };
}

export async function deviceGroupsOf(tx: Tx, incidentId: string): Promise<(string | null)[]> {
  const rows = await tx
    .selectDistinct({ group: devices.deviceGroup })
    .from(evidence)
    .innerJoin(devices, eq(devices.id, evidence.deviceId))
    .where(eq(evidence.incidentId, incidentId));
  return rows.map((r) => r.group);
}
