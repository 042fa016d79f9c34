// Ingestion by INTEGRATION principals: an incident with its alerts and evidence in one
// transaction, idempotent on (tenant, externalId). New alerts for a known externalId join the
// existing incident; alerts already known are skipped.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { and, eq, getTableColumns, ne, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { columnList, param, rowOf, Statement } from '../db/statement';
import { alerts, devices, evidence, incidents, type IncidentRow } from '../db/schema';
import { canonicalIp, type IndicatorType } from './response/targets';
import { writeTransaction, type ActivityLog } from '../events/activity';
import type { DomainContext } from './context';
import type { Severity } from './enums';
import { AccessError, invalid } from './errors';
import { priorityScore } from './priority';
import { normaliseDeviceGroup, sameDeviceGroup } from './exclusions';
import { LIMITS, optionalText, pastOrPresent, text } from './validate';
import { authorize } from './access';
import { rulesInForceSql, suppressAtIngest } from './suppression';

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

// ---- statements of fixed text ---------------------------------------------------------------
//
// Every statement of an ingestion has one text whatever the incident's size (src/db/statement.ts):
// built once (query building per call was a fifth of the server's CPU per incident) and prepared.

const p = param;
const TENANT = sql`${p('tenant')}::uuid`;

const incidentColumns = getTableColumns(incidents);
const incidentSelection = () => columnList(incidentColumns, 'i');

/** Concurrent deliveries of one externalId queue here (the unique index backs this up). */
const LOCK = new Statement('ingest_lock', () => sql`select pg_advisory_xact_lock(hashtextextended(${p('key')}, 0))`);

/**
 * The incident of the externalId (every column; all null when there is none), and which of the
 * call's alerts the tenant has already (they are skipped: an alert stays with its incident).
 */
const TARGET = new Statement<Record<string, unknown> & { known: string[] }>(
  'ingest_target',
  () => sql`
    select ${incidentSelection()}, array(select a.external_id from alerts a where a.tenant_id = ${TENANT} and a.external_id = any(${p('alerts')}::text[])) as known
      from (select 1) as one left join incidents i on i.tenant_id = ${TENANT} and i.external_id = ${p('externalId')}`,
);

/**
 * What the evidence names, in one statement: the devices upserted (merged per device in the
 * database's own case folding the way one-at-a-time upserts left them: the first spelling, the
 * first group given, the last platform given; in name order), their files (per device, path and
 * name the last hashes given win), the indicators inserted when new, and the mailbox messages
 * upserted (per message and recipient the first sender, subject and time given). Each table's rows
 * go in a stable order, so that concurrent ingestions lock them in the same order.
 *
 * Rows (kind, ord, id, a … g): D per device reference (id, a = its group in the inventory);
 * F per file; I per indicator (id null when a concurrent ingestion created it after this
 * statement began: read back on its own); M per message evidence. ACCOUNTS' rows: A per user
 * evidence (a, b, c = the database's lower() of its UPN, name and domain); C per account that may
 * match (id, a … d = name, domain, UPN, display name, e, f, g = lower() of UPN, name, domain;
 * ord = oldest first).
 */
interface EntityRow {
  kind: 'D' | 'F' | 'I' | 'M' | 'A' | 'C';
  ord: number;
  id: string | null;
  a: string | null;
  b: string | null;
  c: string | null;
  d: string | null;
  e: string | null;
  f: string | null;
  g: string | null;
}
const ENTITIES = new Statement<EntityRow>(
  'ingest_entities',
  () => sql`
    with dev_in as (
      select * from unnest(${p('devName')}::text[], ${p('devGroup')}::text[], ${p('devOs')}::text[]) with ordinality as x(name, grp, os, ord)
    ),
    dev_merged as (
      select lower(name) as k,
        (array_agg(name order by ord))[1] as name,
        (array_agg(grp order by ord) filter (where grp is not null))[1] as grp,
        (array_agg(os order by ord desc) filter (where os is not null))[1] as os
      from dev_in group by lower(name)
    ),
    dev as (
      insert into devices (tenant_id, name, device_group, os_platform, health_status, last_seen_at)
      select ${TENANT}, name, grp, os, 'ACTIVE'::device_health, now() from dev_merged order by k
      on conflict (tenant_id, lower(name)) do update set
        device_group = coalesce(devices.device_group, excluded.device_group),
        os_platform = coalesce(excluded.os_platform, devices.os_platform),
        health_status = 'ACTIVE',
        last_seen_at = now()
      returning id, lower(name) as k, device_group
    ),
    file_in as (
      select * from unnest(${p('fileDev')}::int[], ${p('fileName')}::text[], ${p('filePath')}::text[], ${p('fileSha1')}::text[], ${p('fileSha256')}::text[])
        with ordinality as x(dev, name, path, sha1, sha256, ord)
    ),
    file_dev as (
      select f.ord, f.name, f.path, f.sha1, f.sha256, dev.id as device_id
      from file_in f join dev_in d on d.ord = f.dev join dev on dev.k = lower(d.name)
    ),
    file_merged as (
      select device_id, path, name,
        (array_agg(sha1 order by ord desc) filter (where sha1 is not null))[1] as sha1,
        (array_agg(sha256 order by ord desc) filter (where sha256 is not null))[1] as sha256
      from file_dev group by device_id, path, name
    ),
    files as (
      insert into device_files (tenant_id, device_id, file_name, file_path, sha1, sha256)
      select ${TENANT}, device_id, name, path, sha1, sha256 from file_merged order by device_id, path, name
      on conflict (device_id, file_path, file_name) do update set
        sha1 = coalesce(excluded.sha1, device_files.sha1),
        sha256 = coalesce(excluded.sha256, device_files.sha256)
      returning id, device_id, file_path, file_name
    ),
    ind_in as (
      select * from unnest(${p('indType')}::text[], ${p('indValue')}::text[]) with ordinality as x(type, value, ord)
    ),
    ind_new as (
      insert into indicators (tenant_id, type, value)
      select ${TENANT}, type::indicator_type, value from ind_in order by ord
      on conflict do nothing
      returning id, type, value
    ),
    mail_in as (
      select * from unnest(${p('mailId')}::text[], ${p('mailTo')}::text[], ${p('mailFrom')}::text[], ${p('mailSubject')}::text[], ${p('mailAt')}::text[])
        with ordinality as x(nmid, rcpt, sender, subject, received, ord)
    ),
    mail_merged as (
      select lower(nmid) as kn, lower(rcpt) as kr,
        (array_agg(nmid order by ord))[1] as nmid,
        (array_agg(rcpt order by ord))[1] as rcpt,
        (array_agg(sender order by ord) filter (where sender is not null))[1] as sender,
        (array_agg(subject order by ord) filter (where subject is not null))[1] as subject,
        (array_agg(received order by ord) filter (where received is not null))[1]::timestamptz as received
      from mail_in group by lower(nmid), lower(rcpt)
    ),
    mails as (
      insert into email_messages (tenant_id, network_message_id, recipient, sender, subject, received_at)
      select ${TENANT}, nmid, rcpt, sender, subject, received from mail_merged order by kn, kr
      on conflict (tenant_id, lower(network_message_id), lower(recipient)) do update set
        sender = coalesce(email_messages.sender, excluded.sender),
        subject = coalesce(email_messages.subject, excluded.subject),
        received_at = coalesce(email_messages.received_at, excluded.received_at)
      returning id, lower(network_message_id) as kn, lower(recipient) as kr
    )
    select 'D' as kind, d.ord::int as ord, dev.id as id, dev.device_group as a, null::text as b, null::text as c, null::text as d,
        null::text as e, null::text as f, null::text as g
      from dev_in d join dev on dev.k = lower(d.name)
    union all
    select 'F', f.ord::int, files.id, null, null, null, null, null, null, null
      from file_dev f join files on files.device_id = f.device_id and files.file_path = f.path and files.file_name = f.name
    union all
    select 'I', i.ord::int, coalesce(n.id, x.id), null, null, null, null, null, null, null
      from ind_in i
      left join ind_new n on n.type = i.type::indicator_type and n.value = i.value
      left join indicators x on x.tenant_id = ${TENANT} and x.type = i.type::indicator_type and x.value = i.value
    union all
    select 'M', m.ord::int, mails.id, null, null, null, null, null, null, null
      from mail_in m join mails on mails.kn = lower(m.nmid) and mails.kr = lower(m.rcpt)
`,
);

/**
 * The user evidence's keys and the tenant's accounts that may match them (by UPN or name), for
 * matchAccounts. A statement of its own, sent with ENTITIES (no wait in between) but run after
 * it: it sees what the ingestions whose device and indicator rows ENTITIES waited for committed,
 * as the account lookups after the device upserts did one at a time (two deliveries naming a new
 * account on one device make one account, not two).
 */
const ACCOUNTS = new Statement<EntityRow>(
  'ingest_accounts',
  () => sql`
    with acc_in as (
      select * from unnest(${p('accName')}::text[], ${p('accDomain')}::text[], ${p('accUpn')}::text[]) with ordinality as x(name, domain, upn, ord)
    ),
    acc_found as (
      select c.id, c.account_name, c.domain, c.upn, c.display_name, row_number() over (order by c.created_at, c.id) as ord
      from accounts c
      where c.tenant_id = ${TENANT}
        and (lower(c.upn) = any(array(select lower(upn) from acc_in where upn is not null))
          or lower(c.account_name) = any(array(select lower(name) from acc_in)))
    )
    select 'A' as kind, a.ord::int as ord, null::uuid as id, lower(a.upn) as a, lower(a.name) as b, lower(coalesce(a.domain, '')) as c,
        null::text as d, null::text as e, null::text as f, null::text as g
      from acc_in a
    union all
    select 'C', c.ord::int, c.id, c.account_name, c.domain, c.upn, c.display_name, lower(c.upn), lower(c.account_name), lower(coalesce(c.domain, ''))
      from acc_found c`,
);

/** Indicators a concurrent ingestion created while ENTITIES waited on its insert (rare): read back. */
const INDICATORS = new Statement<{ id: string; type: string; value: string }>(
  'ingest_indicators',
  () => sql`
    select x.id, x.type::text as type, x.value from unnest(${p('indType')}::text[], ${p('indValue')}::text[]) as i(type, value)
      join indicators x on x.tenant_id = ${TENANT} and x.type = i.type::indicator_type and x.value = i.value`,
);

/** The tenant's next incident number (CREATE takes it itself unless the search text may need cutting: createIncident). */
const NEXT_NUMBER = new Statement<{ number: number }>(
  'ingest_next_number',
  () => sql`update tenants set last_incident_number = last_incident_number + 1 where id = ${TENANT} returning last_incident_number as number`,
);

/**
 * What CREATE and ATTACH write besides the incident: the accounts matchAccounts made or enriched
 * (a new one's id is chosen here; one with a UPN that a concurrent ingestion created meanwhile is
 * that one, enriched like any account found), the alerts (a known externalId is skipped), and the
 * evidence of the alerts inserted, in the order given.
 */
const writes = (incidentId: SQL) => sql`
    acc_new as (
      insert into accounts (id, tenant_id, account_name, domain, upn, display_name)
      select id, ${TENANT}, name, domain, upn, display
        from unnest(${p('newAccId')}::uuid[], ${p('newAccName')}::text[], ${p('newAccDomain')}::text[], ${p('newAccUpn')}::text[], ${p('newAccDisplay')}::text[])
          as x(id, name, domain, upn, display)
      on conflict (tenant_id, lower(upn)) where upn is not null do update set display_name = coalesce(accounts.display_name, excluded.display_name)
      returning id, lower(upn) as ku
    ),
    acc_upd as (
      update accounts set upn = x.upn, display_name = x.display
        from unnest(${p('updAccId')}::uuid[], ${p('updAccUpn')}::text[], ${p('updAccDisplay')}::text[]) as x(id, upn, display)
       where accounts.id = x.id
    ),
    al as (
      insert into alerts (tenant_id, incident_id, external_id, title, severity, category, detection_source, created_at)
      select ${TENANT}, ${incidentId}, ext, title, sev::severity, cat, src, coalesce(created::timestamptz, now())
        from unnest(${p('alertExt')}::text[], ${p('alertTitle')}::text[], ${p('alertSeverity')}::text[], ${p('alertCategory')}::text[], ${p('alertSource')}::text[], ${p('alertCreated')}::text[])
          with ordinality as x(ext, title, sev, cat, src, created, ord)
       order by ord
      on conflict (tenant_id, external_id) do nothing
      returning id, external_id
    ),
    ev as (
      insert into evidence (tenant_id, incident_id, alert_id, kind, position, device_id, file_id, account_id, email_message_id, indicator_id, value, details)
      select ${TENANT}, ${incidentId}, al.id, x.kind::evidence_kind, x.pos::smallint, x.dev, x.file,
          coalesce(x.acc, (select n.id from acc_new n where n.id = x.new_acc or n.ku = x.new_acc_key limit 1)),
          x.mail, x.ind, x.value, x.details::jsonb
        from unnest(${p('evAlert')}::text[], ${p('evKind')}::text[], ${p('evPosition')}::int[], ${p('evDevice')}::uuid[], ${p('evFile')}::uuid[],
            ${p('evAccount')}::uuid[], ${p('evNewAccount')}::uuid[], ${p('evNewAccountKey')}::text[], ${p('evMail')}::uuid[], ${p('evIndicator')}::uuid[],
            ${p('evValue')}::text[], ${p('evDetails')}::text[])
          with ordinality as x(alert, kind, pos, dev, file, acc, new_acc, new_acc_key, mail, ind, value, details, ord)
        join al on al.external_id = x.alert
       order by x.ord
    )`;

/**
 * A new incident, in one statement: its number (the tenant's counter row stays locked to the
 * commit, so this comes after everything that can be resolved before), the incident with its
 * search text and priority, its SLA rollup row (a new incident's log holds nothing to fold, so the
 * write path's rollup needs no look at it), the accounts, alerts and evidence; and the digest of
 * the tenant's suppression rules in force (suppressAtIngest).
 */
const CREATE = new Statement<Record<string, unknown>>(
  'ingest_create',
  () => sql`
    with n as (
      update tenants set last_incident_number = last_incident_number + 1
       where id = ${TENANT} and ${p('number')}::int is null
      returning last_incident_number as number
    ),
    num as (select number from n union all select ${p('number')}::int where ${p('number')}::int is not null),
    i as (
      insert into incidents (tenant_id, number, external_id, title, description, severity, created_at, updated_at, first_activity_at, last_activity_at, search_text, priority_score)
      select ${TENANT}, num.number, ${p('externalId')}, ${p('title')}, ${p('description')}, ${p('severity')}::severity,
          ${p('now')}::timestamptz, ${p('now')}::timestamptz, ${p('firstActivityAt')}::timestamptz, ${p('now')}::timestamptz,
          coalesce(${p('searchText')}, ${p('searchHead')} || num.number::text || ${p('searchTail')}), ${p('priorityScore')}::smallint
        from num
      returning *
    ),
    sla as (
      insert into incident_sla (incident_id, tenant_id, severity, status, classification, determination, created_at)
      select id, tenant_id, severity, status, classification, determination, created_at from i
    ),
    ${writes(sql`(select id from i)`)}
    select ${incidentSelection()}, r.n as rules_in_force, r.digest as rules_digest from i cross join (${rulesInForceSql(TENANT)}) as r`,
);

/** New alerts of a known incident: the accounts, alerts and evidence; how many alerts were new. */
const ATTACH = new Statement<{ inserted: number }>(
  'ingest_attach',
  () => sql`
    with ${writes(sql`${p('incident')}::uuid`)}
    select (select count(*) from al)::int as inserted`,
);

// ---- the evidence's entities --------------------------------------------------------------------

/** An account as matchAccounts sees it: found (or made) so far in this call, with its keys as the database folds them. */
interface KnownAccount {
  id: string;
  isNew: boolean;
  accountName: string;
  domain: string | null;
  upn: string | null;
  displayName: string | null;
  /** lower(upn), lower(account_name), lower(coalesce(domain, '')) */
  ku: string | null;
  kn: string;
  kd: string;
  changed: boolean;
}

/**
 * The account of each user evidence, in evidence order, the way looking each one up and writing it
 * before the next did (an account's match depends on the ones before): by UPN when the evidence
 * has one, else by domain and name (with a UPN, only an account that has none: another UPN is
 * another person), the oldest first; a match is enriched (a UPN or display name it lacked), never
 * renamed; no match is a new account. `found` holds the tenant's accounts that may match
 * (ACCOUNTS), `list` each evidence's account with its keys as the database folds them. Nothing is
 * written here: CREATE or ATTACH write what this returns.
 */
function matchAccounts(list: { account: NonNullable<CleanEvidence['account']>; ku: string | null; kn: string; kd: string }[], found: KnownAccount[]) {
  const known = [...found];
  const matched = list.map(({ account: a, ku, kn, kd }) => {
    let hit = a.upn ? known.find((k) => k.ku !== null && k.ku === ku) : undefined;
    hit ??= known.find((k) => k.kn === kn && k.kd === kd && (a.upn ? k.upn === null : true));
    if (hit) {
      if ((a.upn && !hit.upn) || (a.displayName && !hit.displayName)) {
        const upn = hit.upn ?? a.upn;
        if (upn !== hit.upn) hit.ku = ku;
        hit.upn = upn;
        hit.displayName = hit.displayName ?? a.displayName;
        hit.changed = true;
      }
      return hit;
    }
    const made: KnownAccount = { id: randomUUID(), isNew: true, ...a, ku: a.upn ? ku : null, kn, kd, changed: true };
    known.push(made);
    return made;
  });
  return {
    matched,
    created: known.filter((k) => k.isNew),
    enriched: known.filter((k) => !k.isNew && k.changed),
  };
}

/** An evidence row as resolved against the tenant's estate, before its alert and incident ids are known. */
interface ResolvedEvidence {
  alertExternalId: string;
  position: number;
  e: CleanEvidence;
  deviceId: string | null;
  fileId: string | null;
  account: KnownAccount | null;
  emailMessageId: string | null;
  indicatorId: string | null;
}

interface Resolved {
  rows: ResolvedEvidence[];
  /** What the search text gets, and the inventory groups of the devices named (the priority). */
  names: string[];
  groups: (string | null)[];
  discrepancies: GroupDiscrepancy[];
  accounts: { created: KnownAccount[]; enriched: KnownAccount[] };
}

/**
 * The devices, files, indicators and messages the alerts' evidence names, created or matched
 * (ENTITIES), and the accounts they may match (ACCOUNTS, sent along), before anything of the
 * incident is written. The accounts are matched here and written with the incident (CREATE, ATTACH).
 */
async function resolveEvidence(tx: Tx, tenantId: string, list: CleanAlert[]): Promise<Resolved> {
  const items = list.flatMap((a) => a.evidence.map((e, position) => ({ alertExternalId: a.externalId, e, position })));
  const devs = items.filter((x) => x.e.deviceName);
  const devIndex = new Map(devs.map((x, i) => [x, i + 1]));
  const files = devs.filter((x) => x.e.file);
  const wanted = new Map<string, { type: IndicatorType; value: string }>();
  for (const x of items) if (x.e.indicator) wanted.set(indicatorKey(x.e.indicator.type, x.e.indicator.value), x.e.indicator);
  // (in key order, as before: the insert's lock order)
  const inds = [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const mails = items.filter((x) => x.e.email);
  const users = items.filter((x) => x.e.account);

  const deviceOf = new Map<(typeof items)[number], { id: string; group: string | null }>();
  const fileOf = new Map<(typeof items)[number], string>();
  const mailOf = new Map<(typeof items)[number], string>();
  const indicatorIds = new Map<string, string>();
  const accountOf = new Map<(typeof items)[number], KnownAccount>();
  let accounts: Resolved['accounts'] = { created: [], enriched: [] };
  if (devs.length || inds.length || mails.length || users.length) {
    const [rows, accountRows] = await Promise.all([
      devs.length || inds.length || mails.length
        ? ENTITIES.run(tx, {
            tenant: tenantId,
            devName: devs.map((x) => x.e.deviceName),
            devGroup: devs.map((x) => x.e.deviceGroup ?? null),
            devOs: devs.map((x) => x.e.osPlatform ?? null),
            fileDev: files.map((x) => devIndex.get(x)),
            fileName: files.map((x) => x.e.file!.fileName),
            filePath: files.map((x) => x.e.file!.filePath),
            fileSha1: files.map((x) => x.e.file!.sha1),
            fileSha256: files.map((x) => x.e.file!.sha256),
            indType: inds.map(([, i]) => i.type),
            indValue: inds.map(([, i]) => i.value),
            mailId: mails.map((x) => x.e.email!.networkMessageId),
            mailTo: mails.map((x) => x.e.email!.recipient),
            mailFrom: mails.map((x) => x.e.email!.sender),
            mailSubject: mails.map((x) => x.e.email!.subject),
            mailAt: mails.map((x) => x.e.email!.receivedAt?.toISOString() ?? null),
          })
        : [],
      users.length
        ? ACCOUNTS.run(tx, {
            tenant: tenantId,
            accName: users.map((x) => x.e.account!.accountName),
            accDomain: users.map((x) => x.e.account!.domain),
            accUpn: users.map((x) => x.e.account!.upn),
          })
        : [],
    ]);
    const keys: { ku: string | null; kn: string; kd: string }[] = [];
    const found: KnownAccount[] = [];
    for (const r of [...rows, ...accountRows]) {
      const at = Number(r.ord) - 1;
      switch (r.kind) {
        case 'D':
          deviceOf.set(devs[at], { id: r.id!, group: r.a });
          break;
        case 'F':
          fileOf.set(files[at], r.id!);
          break;
        case 'I':
          if (r.id) indicatorIds.set(inds[at][0], r.id);
          break;
        case 'M':
          mailOf.set(mails[at], r.id!);
          break;
        case 'A':
          keys[at] = { ku: r.a, kn: r.b!, kd: r.c! };
          break;
        case 'C':
          found[at] = { id: r.id!, isNew: false, accountName: r.a!, domain: r.b, upn: r.c, displayName: r.d, ku: r.e, kn: r.f!, kd: r.g!, changed: false };
          break;
      }
    }
    const missing = inds.filter(([k]) => !indicatorIds.has(k));
    if (missing.length) {
      const again = await INDICATORS.run(tx, { tenant: tenantId, indType: missing.map(([, i]) => i.type), indValue: missing.map(([, i]) => i.value) });
      for (const r of again) indicatorIds.set(indicatorKey(r.type, r.value), r.id);
    }
    if (users.length) {
      const m = matchAccounts(
        users.map((x, i) => ({ account: x.e.account!, ...keys[i] })),
        found.filter(Boolean),
      );
      users.forEach((x, i) => accountOf.set(x, m.matched[i]));
      accounts = { created: m.created, enriched: m.enriched };
    }
  }

  const names: string[] = [];
  const groups: (string | null)[] = [];
  const discrepancies = new Map<string, GroupDiscrepancy>();
  const rows = items.map((x): ResolvedEvidence => {
    const { e } = x;
    const d = deviceOf.get(x);
    if (d) {
      const discrepancy = e.deviceGroup && d.group && !sameDeviceGroup(e.deviceGroup, d.group) ? { deviceId: d.id, deviceName: e.deviceName!, inventory: d.group, claimed: e.deviceGroup } : null;
      if (discrepancy) discrepancies.set(`${d.id}:${normaliseDeviceGroup(discrepancy.claimed)}`, discrepancy);
      groups.push(d.group);
      names.push(e.deviceName!);
    }
    if (e.kind !== 'DEVICE') names.push(e.value);
    if (e.account?.upn) names.push(e.account.upn);
    if (e.email) names.push(e.email.recipient, ...(e.email.sender ? [e.email.sender] : []));
    return {
      ...x,
      deviceId: d?.id ?? null,
      fileId: fileOf.get(x) ?? null,
      account: accountOf.get(x) ?? null,
      emailMessageId: mailOf.get(x) ?? null,
      indicatorId: e.indicator ? (indicatorIds.get(indicatorKey(e.indicator.type, e.indicator.value)) ?? null) : null,
    };
  });
  return { rows, names, groups, discrepancies: [...discrepancies.values()], accounts };
}

const indicatorKey = (type: string, value: string) => `${type}\u0000${value}`;

/** The parameters of `writes`: accounts, alerts and evidence as arrays. */
function writeValues(alertList: CleanAlert[], r: Resolved): Record<string, unknown> {
  const { created, enriched } = r.accounts;
  return {
    newAccId: created.map((a) => a.id),
    newAccName: created.map((a) => a.accountName),
    newAccDomain: created.map((a) => a.domain),
    newAccUpn: created.map((a) => a.upn),
    newAccDisplay: created.map((a) => a.displayName),
    updAccId: enriched.map((a) => a.id),
    updAccUpn: enriched.map((a) => a.upn),
    updAccDisplay: enriched.map((a) => a.displayName),
    alertExt: alertList.map((a) => a.externalId),
    alertTitle: alertList.map((a) => a.title),
    alertSeverity: alertList.map((a) => a.severity),
    alertCategory: alertList.map((a) => a.category),
    alertSource: alertList.map((a) => a.detectionSource),
    alertCreated: alertList.map((a) => a.createdAt?.toISOString() ?? null),
    evAlert: r.rows.map((x) => x.alertExternalId),
    evKind: r.rows.map((x) => x.e.kind),
    evPosition: r.rows.map((x) => x.position),
    evDevice: r.rows.map((x) => x.deviceId),
    evFile: r.rows.map((x) => x.fileId),
    evAccount: r.rows.map((x) => (x.account && !x.account.isNew ? x.account.id : null)),
    evNewAccount: r.rows.map((x) => (x.account?.isNew ? x.account.id : null)),
    evNewAccountKey: r.rows.map((x) => (x.account?.isNew ? x.account.ku : null)),
    evMail: r.rows.map((x) => x.emailMessageId),
    evIndicator: r.rows.map((x) => x.indicatorId),
    evValue: r.rows.map((x) => x.e.value),
    evDetails: r.rows.map((x) => JSON.stringify({ ...x.e.details, ...(x.e.kind === 'PROCESS' && x.e.deviceName ? { deviceName: x.e.deviceName } : {}) })),
  };
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
async function lockIngestTarget(tx: Tx, first: IncidentRow): Promise<IncidentRow | undefined> {
  let row: IncidentRow | undefined = first;
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
  // The externalId's lock, then (in the same round trip, in that order: it reads what the lock's
  // previous holder committed) its incident and which alerts are known.
  const [, [target]] = await Promise.all([
    LOCK.run(tx, { key: `${tenantId}:${input.externalId}` }),
    TARGET.run(tx, { tenant: tenantId, externalId: input.externalId, alerts: input.alerts.map((a) => a.externalId) }),
  ]);
  // An alert may already belong to another incident (the source regrouped it), or to this one: skipped.
  const known = new Set(target.known);
  const fresh = input.alerts.filter((a) => !known.has(a.externalId));
  if (target.id != null) {
    const row = rowOf<IncidentRow>(incidentColumns, target);
    // Nothing new for an incident that was not merged: nothing to write, nothing to lock.
    if (fresh.length === 0 && !row.redirectedToId) return { incident: row, created: false };
    const existing = await lockIngestTarget(tx, row);
    if (existing) return addAlerts(tx, log, tenantId, existing, fresh);
  }
  if (fresh.length === 0) {
    throw invalid('every alert of this incident already belongs to another incident', ['alerts']);
  }
  return createIncident(tx, log, tenantId, input, fresh);
}

/** New alerts for a known incident: what their evidence names, then the alerts and their evidence. */
async function addAlerts(tx: Tx, log: ActivityLog, tenantId: string, existing: IncidentRow, fresh: CleanAlert[]): Promise<IngestResult> {
  if (fresh.length === 0) return { incident: existing, created: false };
  const now = new Date();
  const resolved = await resolveEvidence(tx, tenantId, fresh);
  const [{ inserted }] = await ATTACH.run(tx, { tenant: tenantId, incident: existing.id, ...writeValues(fresh, resolved) });
  if (Number(inserted) === 0) return { incident: existing, created: false };
  const { names, groups, discrepancies } = resolved;
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
    from: String(Number(alertCount) - Number(inserted)),
    to: String(alertCount),
    note: `${inserted} new alert(s) ingested`,
  });
  logDiscrepancies(log, tenantId, existing.id, discrepancies);
  return { incident: updated, created: false };
}

/** The longest incident number, in characters (int4). */
const NUMBER_DIGITS = 10;

async function createIncident(tx: Tx, log: ActivityLog, tenantId: string, input: ReturnType<typeof cleanInput>, fresh: CleanAlert[]): Promise<IngestResult> {
  const now = new Date();
  // What the evidence names first: the tenant's row (its incident counter) stays locked from the
  // number to the commit, and concurrent ingestions of the tenant wait for it, so that part is short.
  const resolved = await resolveEvidence(tx, tenantId, fresh);
  const firstActivityAt =
    input.firstActivityAt ??
    fresh.reduce<Date | null>((min, a) => (a.createdAt && (!min || a.createdAt < min) ? a.createdAt : min), null) ??
    now;
  // searchText(title, number, names), put together around the number in the statement that takes
  // it (the parts lower-cased apart: they meet at spaces, where lower-casing has no context); when
  // it may be long enough to be cut, the number comes first and the text is made here.
  const names = [...new Set(resolved.names)];
  const searchHead = `${input.title.toLowerCase()} #`;
  const searchTail = names.length ? ` ${names.join(' ')}`.toLowerCase() : '';
  let number: number | null = null;
  if (searchHead.length + NUMBER_DIGITS + searchTail.length > 20_000) [{ number }] = await NEXT_NUMBER.run(tx, { tenant: tenantId });
  const [row] = await CREATE.run(tx, {
    tenant: tenantId,
    number,
    externalId: input.externalId,
    title: input.title,
    description: input.description,
    severity: input.severity,
    now: now.toISOString(),
    firstActivityAt: firstActivityAt.toISOString(),
    searchText: number === null ? null : searchText(input.title, number, resolved.names),
    searchHead,
    searchTail,
    priorityScore: priorityScore({ severity: input.severity, alertCount: fresh.length, deviceGroups: resolved.groups, firstActivityAt, now }),
    ...writeValues(fresh, resolved),
  });
  const incident = rowOf<IncidentRow>(incidentColumns, row);
  log.add({ tenantId, incidentId: incident.id, field: 'status', from: null, to: 'ACTIVE', note: 'incident ingested' });
  logDiscrepancies(log, tenantId, incident.id, resolved.discrepancies);
  // noise filtering (SPEC.md section 8): a suppression rule of the tenant may resolve it at once
  const inForce = { n: Number(row.rules_in_force), digest: String(row.rules_digest) };
  return { incident: await suppressAtIngest(tx, log, incident, inForce), created: true };
}

export async function deviceGroupsOf(tx: Tx, incidentId: string): Promise<(string | null)[]> {
  const rows = await tx
    .selectDistinct({ group: devices.deviceGroup })
    .from(evidence)
    .innerJoin(devices, eq(devices.id, evidence.deviceId))
    .where(eq(evidence.incidentId, incidentId));
  return rows.map((r) => r.group);
}
