// Demo history: months of past, closed incidents for a demo tenant, so that serviceMetrics and the
// monthly service report have something to show on the first start.
//
// - The previous four calendar months and the current month so far (UTC, relative to the seed's
//   `now`), 25-45 incidents a month, drawn from a seeded PRNG per tenant and month: the same
//   months look the same on every start.
// - Every incident is RESOLVED: a false positive or expected activity concluded by the experts, or
//   a true positive whose managed response was carried out by the experts and/or the customer.
// - Written below the domain layer, as backdated rows, one insert statement per table (the
//   domain's commands cannot backdate, and would queue notifications and webhooks). The activity
//   rows are what the domain writes for the same story (ingestion, investigation, verdict,
//   publication, each card's moves, the automatic resolution), in order; the SLA rollup is then
//   folded from them as stored by computeSla, the fold recomputeSla and backfillSla use, exactly
//   as for real incidents (the log is the one source of truth).
// - Numbered after the live demo incidents (the README's walkthroughs name those), created at
//   least HISTORY_GAP_MS before the seed; the estate it acts on (devices, accounts, files, mails,
//   indicators) is its own, so the live demo's ingestion matches none of it.
import { randomUUID } from 'node:crypto';
import { getTableColumns, getTableName, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../db/client';
import {
  accounts,
  actionAttempts,
  actionCards,
  activity,
  alerts,
  deviceFiles,
  devices,
  emailMessages,
  evidence,
  incidents,
  incidentSla,
  indicators,
  investigationRevisions,
  investigationUpdates,
  managedResponses,
} from '../db/schema';
import type { Classification, Determination, Severity } from '../domain/enums';
import { searchText } from '../domain/ingest';
import { priorityScore } from '../domain/priority';
import type { IndicatorType } from '../domain/response/targets';
import { ACKNOWLEDGE_TARGETS, computeSla } from '../domain/sla';
import { defaultTitle, isOneClick, type ActionKind } from '../registry/action-kinds';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Previous full calendar months of history (plus the current month so far). */
export const HISTORY_MONTHS = 4;
/** History incidents are created at least this long before the seed (the live demo is newer). */
export const HISTORY_GAP_MS = DAY;

// ---------------------------------------------------------------- a small seeded PRNG

function hashSeed(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

class Rng {
  private a: number;
  constructor(seed: string) {
    this.a = hashSeed(seed);
  }
  /** mulberry32: [0, 1) */
  next(): number {
    let t = (this.a = (this.a + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }
  weighted<T>(list: readonly (readonly [T, number])[]): T {
    let x = this.next() * list.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of list) if ((x -= w) < 0) return v;
    return list[list.length - 1][0];
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
  /** A log-normal-ish duration around `median` ms (spread: the factor one sigma spans). */
  around(median: number, spread = 2.5): number {
    const u = Math.max(1e-9, this.next());
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.pow(spread, Math.max(-2.5, Math.min(2.5, z)));
  }
}

// ---------------------------------------------------------------- the tenant's estate

type Dev = { id: string; name: string; group: string; os: string };
type Acct = { id: string; accountName: string; upn: string; displayName: string; domain: string };
type DFile = { id: string; device: Dev; fileName: string; filePath: string; sha256: string };
type Mail = { id: string; nmid: string; recipient: string; sender: string; subject: string; receivedAt: number };
type Ind = { id: string; type: IndicatorType; value: string };

type Ev =
  | { kind: 'DEVICE'; device: Dev }
  | { kind: 'FILE'; file: DFile; indicator: Ind }
  | { kind: 'PROCESS'; device: Dev; name: string; cmd: string }
  | { kind: 'USER'; account: Acct }
  | { kind: 'IP'; address: string; indicator: Ind }
  | { kind: 'URL'; url: string; indicator: Ind }
  | { kind: 'EMAIL'; mail: Mail };

interface CardPlan {
  kind: ActionKind;
  device?: Dev;
  file?: DFile;
  account?: Acct;
  mail?: Mail;
  indicator?: Ind;
  title?: string;
  instructions?: string;
  scanType?: 'QUICK' | 'FULL';
  blockDays?: number;
  /** the customer skips it, with this reason */
  skip?: string;
}

interface Plan {
  title: string;
  severity: Severity;
  /** the experts raise the severity while investigating */
  raiseTo?: Severity;
  alerts: { title: string; category: string; source: string; evidence: Ev[] }[];
  classification: Classification;
  determination: Determination;
  /** the verdict's one-line summary (a false positive's resolving comment) */
  summary: string;
  /** a concluded investigation's longer narrative (false positives, expected activity) */
  conclusion?: string;
  response?: { narrative: string; impact: string; ioa: [string, string][]; actions: CardPlan[] };
  /** an investigation update the experts post while they work */
  update?: string;
  /** tags the customer adds */
  tags?: string[];
  /** how long the experts take, relative to the usual */
  pace?: number;
}

const FIRST = ['Priya', 'Marcus', 'Elena', 'Tom', 'Aisha', 'Jonas', 'Mei', 'Carlos', 'Sofia', 'Daniel', 'Hannah', 'Omar', 'Grace', 'Lukas', 'Nina', 'Ravi', 'Chloe', 'Ben'];
const LAST = ['Patel', 'Webb', 'Rossi', 'Nguyen', 'Khan', 'Berg', 'Lin', 'Mendes', 'Keller', 'Okafor', 'Schmidt', 'Haddad', 'Murphy', 'Novak', 'Petrov', 'Iyer', 'Dubois', 'Carter'];

class Estate {
  readonly P: string;
  readonly dom: string;
  readonly workstations: Dev[] = [];
  readonly servers: Dev[] = [];
  readonly users: Acct[] = [];
  readonly files = new Map<string, DFile>();
  readonly mails: Mail[] = [];
  readonly indicators = new Map<string, Ind>();
  private usedIps = new Set(['185.220.101.4', '203.0.113.77', '198.51.100.23']);

  constructor(readonly slug: string, r: Rng) {
    this.P = slug.toUpperCase();
    this.dom = `${slug}.example`;
    const dev = (name: string, group: string, os: string): Dev => ({ id: randomUUID(), name: `${this.P}-${name}`, group, os });
    for (let i = 0; i < 14; i++) this.workstations.push(dev(`WS${101 + i * 3}`, 'Workstations', 'Windows11'));
    for (let i = 0; i < 10; i++) this.workstations.push(dev(`LT${204 + i * 7}`, 'Laptops', i % 4 === 3 ? 'macOS' : 'Windows11'));
    for (const [n, os] of [['APP01', 'WindowsServer2022'], ['SQL01', 'WindowsServer2019'], ['WEB01', 'WindowsServer2022'], ['WEB02', 'Linux'], ['FS02', 'WindowsServer2022'], ['JUMP01', 'WindowsServer2022'], ['BKP01', 'WindowsServer2019']]) {
      this.servers.push(dev(n, 'Servers', os));
    }
    const last = [...LAST];
    for (const first of FIRST) {
      const l = last.splice(r.int(0, last.length - 1), 1)[0];
      const accountName = `${first[0]}${l}`.toLowerCase();
      this.users.push({ id: randomUUID(), accountName, upn: `${accountName}@${this.dom}`, displayName: `${first} ${l}`, domain: this.P });
    }
  }

  indicator(type: IndicatorType, value: string): Ind {
    const key = `${type}:${value}`;
    let ind = this.indicators.get(key);
    if (!ind) this.indicators.set(key, (ind = { id: randomUUID(), type, value }));
    return ind;
  }
  file(r: Rng, device: Dev, fileName: string, filePath: string): DFile {
    const key = `${device.id}|${filePath}|${fileName}`;
    let f = this.files.get(key);
    if (!f) this.files.set(key, (f = { id: randomUUID(), device, fileName, filePath, sha256: r.hex(64) }));
    return f;
  }
  ip(r: Rng): string {
    for (;;) {
      const ip = `${r.pick(['198.51.100', '203.0.113', '192.0.2'])}.${r.int(2, 254)}`;
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        return ip;
      }
    }
  }
  mail(r: Rng, to: Acct, sender: string, subject: string, at: number): Mail {
    const m = { id: randomUUID(), nmid: `<${r.hex(12)}@${sender.split('@')[1]}>`, recipient: to.upn, sender, subject, receivedAt: at };
    this.mails.push(m);
    return m;
  }
}

// ---------------------------------------------------------------- what happened: the scenarios

const badDomain = (r: Rng) =>
  `${r.pick(['secure', 'login', 'docs', 'share', 'invoice', 'payroll', 'm365', 'auth', 'cloud', 'files'])}-${r.pick(['portal', 'verify', 'online', 'center', 'review', 'sign', 'access'])}.${r.pick(['example', 'example.net', 'example.org', 'test'])}`;

const ev = {
  dev: (device: Dev): Ev => ({ kind: 'DEVICE', device }),
  user: (account: Acct): Ev => ({ kind: 'USER', account }),
  file: (e: Estate, file: DFile): Ev => ({ kind: 'FILE', file, indicator: e.indicator('FILE_SHA256', file.sha256) }),
  proc: (device: Dev, name: string, cmd: string): Ev => ({ kind: 'PROCESS', device, name, cmd }),
  ip: (e: Estate, address: string): Ev => ({ kind: 'IP', address, indicator: e.indicator('IP_ADDRESS', address) }),
  url: (e: Estate, url: string): Ev => ({ kind: 'URL', url, indicator: e.indicator('URL', new URL(url).href) }),
  mail: (mail: Mail): Ev => ({ kind: 'EMAIL', mail }),
};

type Scenario = (r: Rng, e: Estate, at: number) => Plan;

const FAMILIES = [
  { name: 'Qakbot', file: 'invoice_viewer.dll', dir: 'C:\\Users\\Public\\Libraries', cmd: 'rundll32.exe C:\\Users\\Public\\Libraries\\invoice_viewer.dll,DllRegisterServer', vector: 'a zipped OneNote attachment', stealer: false },
  { name: 'AgentTesla', file: 'PO_88213.exe', dir: 'C:\\Users\\{u}\\Downloads', cmd: 'C:\\Users\\{u}\\Downloads\\PO_88213.exe', vector: 'a purchase-order attachment', stealer: true },
  { name: 'RedLine Stealer', file: 'setup_x64.exe', dir: 'C:\\Users\\{u}\\AppData\\Local\\Temp', cmd: 'setup_x64.exe /silent', vector: 'a cracked software download', stealer: true },
  { name: 'IcedID', file: 'license.dat', dir: 'C:\\Users\\{u}\\AppData\\Roaming', cmd: 'rundll32.exe license.dat,init', vector: 'a malicious ad for a PDF tool', stealer: false },
  { name: 'SocGholish', file: 'Chrome.Update.js', dir: 'C:\\Users\\{u}\\Downloads', cmd: 'wscript.exe Chrome.Update.js', vector: 'a fake browser update on a compromised news site', stealer: false },
  { name: 'Lumma Stealer', file: 'AudioDriver.exe', dir: 'C:\\Users\\{u}\\AppData\\Local\\Temp', cmd: 'powershell -w hidden -enc JABjAD0A...', vector: 'a fake CAPTCHA page that had the user paste a command', stealer: true },
  { name: 'Formbook', file: 'shipping_docs.exe', dir: 'C:\\Users\\{u}\\AppData\\Local\\Temp', cmd: 'shipping_docs.exe', vector: 'a shipping-notice attachment', stealer: true },
];

const malware: Scenario = (r, e, at) => {
  const fam = r.pick(FAMILIES);
  const d = r.pick(e.workstations);
  const u = r.pick(e.users);
  const f = e.file(r, d, fam.file, fam.dir.replace('{u}', u.accountName));
  const c2 = e.ip(r);
  const high = r.chance(0.4);
  const isolate = high || r.chance(0.25);
  const actions: CardPlan[] = [
    ...(isolate ? [{ kind: 'ISOLATE_DEVICE' as const, device: d }] : []),
    { kind: 'QUARANTINE_FILE', device: d, file: f },
    { kind: 'BLOCK_INDICATOR', indicator: c2Indicator(e, c2), blockDays: 90, title: `Block the command-and-control address ${c2}` },
    { kind: 'RUN_ANTIVIRUS_SCAN', device: d, scanType: 'FULL' },
    ...(fam.stealer ? [{ kind: 'FORCE_PASSWORD_RESET' as const, account: u }, { kind: 'REVOKE_SESSIONS' as const, account: u }] : []),
    ...(isolate && r.chance(0.5)
      ? [{ kind: 'MANUAL' as const, title: `Reimage ${d.name}`, instructions: `Reimage ${d.name} from the standard build before releasing it; restore the user's files from OneDrive, not from the device.`, skip: r.chance(0.3) ? 'Device replaced instead of reimaged' : undefined }]
      : []),
  ];
  return {
    title: `${fam.name} malware on ${d.name}`,
    severity: high ? 'HIGH' : 'MEDIUM',
    alerts: [
      { title: `'${fam.name}' malware was detected`, category: 'Malware', source: 'EDR', evidence: [ev.dev(d), ev.file(e, f), ev.user(u)] },
      ...(r.chance(0.6) ? [{ title: 'Suspicious connection to a known command-and-control server', category: 'CommandAndControl', source: 'EDR', evidence: [ev.dev(d), ev.proc(d, fam.cmd.split(' ')[0].split('\\').pop()!, fam.cmd.replace('{u}', u.accountName)), ev.ip(e, c2)] }] : []),
    ],
    classification: 'TRUE_POSITIVE',
    determination: 'MALWARE',
    summary: `${fam.name} infection on ${d.name} through ${fam.vector}; contained.`,
    response: {
      narrative: [
        `${fam.name} reached ${d.name} (${u.displayName}) through ${fam.vector} and ran ${f.fileName} from ${f.filePath}.`,
        r.pick([
          `It beaconed to ${c2} every few minutes; we saw no lateral movement and no access to other hosts.`,
          `It contacted ${c2} and started enumerating the domain; no credentials were used elsewhere.`,
          `The payload set a Run key for persistence and contacted ${c2}; the device made no other unusual connections.`,
        ]),
        fam.stealer
          ? `As a credential stealer it will have read the browser's saved passwords and cookies: treat ${u.upn}'s passwords as known to the attacker.`
          : r.pick(['No data left the device as far as the telemetry shows.', 'We found no second-stage payload.']),
        isolate ? `We isolated ${d.name} while the file was removed.` : `We stopped the process and quarantined the file.`,
      ].join(' '),
      impact: fam.stealer ? `One user's stored credentials and browser sessions exposed.` : `One workstation affected; no spread observed.`,
      ioa: [['T1204.002', 'User execution: malicious file'], ['T1071.001', 'Web protocols for command and control'], ...(fam.stealer ? [['T1555.003', 'Credentials from web browsers'] as [string, string]] : [])],
      actions,
    },
    update: high ? `Isolation requested for ${d.name}; reviewing the process tree and outbound connections of the last 48 hours.` : undefined,
    tags: r.chance(0.2) ? ['malware'] : undefined,
  };
};

const c2Indicator = (e: Estate, ip: string) => e.indicator('IP_ADDRESS', ip);

const phishing: Scenario = (r, e, at) => {
  const u = r.pick(e.users);
  const domain = badDomain(r);
  const sender = `${r.pick(['it-support', 'no-reply', 'billing', 'hr', 'docusign', 'sharepoint'])}@${domain}`;
  const subject = r.pick(['Your password expires today', 'Shared document: Q3 budget review', 'Payroll update: action required', 'Voicemail received (0:42)', 'Invoice overdue: final reminder', 'Please review and sign']);
  const mail = e.mail(r, u, sender, subject, at - r.int(20, 120) * MIN);
  const url = `https://${domain}/${r.pick(['verify', 'signin', 'doc', 'view'])}?id=${r.int(1000, 9999)}`;
  const compromised = r.chance(0.45);
  const ip = e.ip(r);
  const actions: CardPlan[] = [
    r.chance(0.7) ? { kind: 'SOFT_DELETE_EMAIL', mail } : { kind: 'MOVE_EMAIL_TO_JUNK', mail },
    { kind: 'BLOCK_INDICATOR', indicator: e.indicator('DOMAIN', domain), blockDays: 180, title: `Block the phishing domain ${domain}` },
    ...(compromised
      ? [
          { kind: 'DISABLE_USER' as const, account: u },
          { kind: 'REVOKE_SESSIONS' as const, account: u },
          { kind: 'FORCE_PASSWORD_RESET' as const, account: u },
          { kind: 'MANUAL' as const, title: `Review ${u.displayName}'s inbox rules and MFA methods`, instructions: `Remove inbox rules ${u.displayName} did not create and any MFA method registered after the sign-in from ${ip}; then re-enable the account.` },
        ]
      : r.chance(0.5)
        ? [{ kind: 'REVOKE_SESSIONS' as const, account: u }]
        : []),
  ];
  return {
    title: compromised ? `Account compromise after a phishing mail to ${u.upn}` : `Phishing mail with a credential-harvesting link clicked by ${u.upn}`,
    severity: compromised ? 'HIGH' : r.pick(['MEDIUM', 'MEDIUM', 'LOW'] as const),
    alerts: [
      { title: 'A potentially malicious URL click was detected', category: 'InitialAccess', source: 'Office365', evidence: [ev.user(u), ev.mail(mail), ev.url(e, url)] },
      ...(compromised ? [{ title: 'Sign-in from an unfamiliar location after a phishing click', category: 'InitialAccess', source: 'EntraID', evidence: [ev.user(u), ev.ip(e, ip)] }] : []),
    ],
    classification: 'TRUE_POSITIVE',
    determination: compromised ? 'COMPROMISED_ACCOUNT' : 'PHISHING',
    summary: compromised ? `Credentials phished through "${subject}" and used from ${ip}.` : `Credential phishing mail "${subject}"; link clicked, no password entered.`,
    response: {
      narrative: compromised
        ? `${u.displayName} opened "${subject}" from ${sender} and entered the password on a look-alike sign-in page at ${domain}. ${r.int(12, 90)} minutes later the account signed in from ${ip} and ${r.pick(['read the mailbox', 'created an inbox rule moving replies to RSS Feeds', 'downloaded files from OneDrive', 'registered a new MFA phone number'])}. We disabled the account, revoked its sessions, removed the mail and blocked the domain.`
        : `${u.displayName} clicked the link in "${subject}" from ${sender}; the page at ${domain} imitates the Microsoft 365 sign-in. The sign-in logs show no password entered and no sign-in from a new location. ${r.pick([`The same mail reached ${r.int(2, 14)} other mailboxes, none clicked.`, 'No other recipient.', 'Mail filtering now catches the sender.'])}`,
      impact: compromised ? 'One mailbox accessed by the attacker; no evidence of mail sent from it.' : 'None observed: the credentials were not entered.',
      ioa: [['T1566.002', 'Spearphishing link'], ...(compromised ? [['T1078.004', 'Valid cloud accounts'] as [string, string]] : [])],
      actions,
    },
    tags: r.chance(0.3) ? ['phishing'] : undefined,
  };
};

const bec: Scenario = (r, e) => {
  const u = r.pick(e.users);
  const ip = e.ip(r);
  const ext = `${u.accountName.slice(0, 4)}${r.int(10, 99)}@${r.pick(['mailbox', 'inbox', 'post'])}.example.org`;
  return {
    title: `Suspicious inbox forwarding rule on ${u.upn}`,
    severity: r.pick(['HIGH', 'MEDIUM'] as const),
    alerts: [
      { title: 'Suspicious inbox forwarding rule', category: 'Exfiltration', source: 'Office365', evidence: [ev.user(u)] },
      { title: 'Sign-in from an anonymous IP address', category: 'InitialAccess', source: 'IdentityProtection', evidence: [ev.user(u), ev.ip(e, ip)] },
    ],
    classification: 'TRUE_POSITIVE',
    determination: 'COMPROMISED_ACCOUNT',
    summary: `Mailbox takeover: a rule forwarded invoices to ${ext}.`,
    response: {
      narrative: `An attacker signed in as ${u.upn} from ${ip} with a token replayed from an earlier session and created a rule forwarding every mail containing "invoice" or "payment" to ${ext}. ${r.int(3, 40)} mails were forwarded before the rule was found. We revoked the sessions and forced a password reset; please remove the rule and warn the finance contacts in the forwarded threads about possible payment-change requests.`,
      impact: 'Invoice correspondence disclosed to a third party; risk of payment fraud against suppliers.',
      ioa: [['T1114.003', 'Email forwarding rule'], ['T1550.004', 'Web session cookie']],
      actions: [
        { kind: 'REVOKE_SESSIONS', account: u },
        { kind: 'FORCE_PASSWORD_RESET', account: u },
        { kind: 'BLOCK_INDICATOR', indicator: e.indicator('IP_ADDRESS', ip), blockDays: 30 },
        { kind: 'MANUAL', title: 'Remove the forwarding rule and warn finance', instructions: `Delete the inbox rule forwarding to ${ext}, then tell the finance team to confirm any bank-detail change by phone.` },
      ],
    },
    update: `Forwarding rule found; counting the mails that left through it.`,
    tags: ['bec'],
  };
};

const unwanted: Scenario = (r, e) => {
  const d = r.pick(e.workstations);
  const u = r.pick(e.users);
  const app = r.pick([
    { title: 'Coin miner detected', name: 'xmrig.exe', dir: 'C:\\Users\\Public', what: 'a coin miner dropped by a browser extension' },
    { title: 'PUA: bundled adware installer blocked', name: 'PDFConverterSetup.exe', dir: `C:\\Users\\${u.accountName}\\Downloads`, what: 'an adware bundle shipped with a free PDF converter' },
    { title: 'Unwanted software: torrent client with bundled miner', name: 'utorrent_lite.exe', dir: `C:\\Users\\${u.accountName}\\AppData\\Roaming`, what: 'a torrent client bundling a miner' },
    { title: 'Remote access tool installed without approval', name: 'AnyDesk.exe', dir: `C:\\Users\\${u.accountName}\\Downloads`, what: 'an unapproved remote access tool installed for a supplier support call' },
  ]);
  const f = e.file(r, d, app.name, app.dir);
  return {
    title: `${app.title} on ${d.name}`,
    severity: 'LOW',
    alerts: [{ title: app.title, category: 'UnwantedSoftware', source: 'Antivirus', evidence: [ev.dev(d), ev.file(e, f)] }],
    classification: 'TRUE_POSITIVE',
    determination: 'UNWANTED_SOFTWARE',
    summary: `${app.what[0].toUpperCase()}${app.what.slice(1)} on ${d.name}.`,
    response: {
      narrative: `${d.name} ran ${app.what} (${f.fileName}). ${r.pick(['It is not malware, but it breaks the software policy and slows the device down.', 'No sign of anything beyond the bundled software.', 'The user installed it themselves; nothing else came with it.'])} We quarantine the file and ask you to remove the rest.`,
      impact: 'One device; policy violation, no data exposure.',
      ioa: [['T1204.002', 'User execution: malicious file']],
      actions: [
        { kind: 'QUARANTINE_FILE', device: d, file: f },
        { kind: 'RUN_ANTIVIRUS_SCAN', device: d, scanType: 'QUICK' },
        ...(r.chance(0.5) ? [{ kind: 'MANUAL' as const, title: 'Uninstall the application and its browser extension', instructions: `Uninstall it on ${d.name} and remove its browser extension; remind ${u.displayName} of the software policy.`, skip: r.chance(0.25) ? 'Removed by the quarantine already' : undefined }] : []),
      ],
    },
    pace: 1.6,
  };
};

const handsOnKeyboard: Scenario = (r, e) => {
  const ws = r.pick(e.workstations);
  const srv = r.pick(e.servers.filter((s) => s.os !== 'Linux'));
  const u = r.pick(e.users);
  const ip = e.ip(r);
  const tool = r.pick([
    { p: 'rclone.exe', cmd: 'rclone.exe copy \\\\FS02\\share remote:backup --transfers 16', what: 'staged file-share data and began copying it out with rclone' },
    { p: 'AdFind.exe', cmd: 'AdFind.exe -f objectcategory=computer -csv name operatingSystem', what: 'ran AdFind to map the domain' },
    { p: 'procdump64.exe', cmd: 'procdump64.exe -accepteula -ma lsass.exe C:\\Windows\\Temp\\ls.dmp', what: 'dumped LSASS memory with ProcDump' },
  ]);
  return {
    title: `Hands-on-keyboard attack: ${ws.name} to ${srv.name}`,
    severity: 'HIGH',
    alerts: [
      { title: 'Suspicious remote session using a valid account', category: 'LateralMovement', source: 'EDR', evidence: [ev.dev(ws), ev.dev(srv), ev.user(u)] },
      { title: r.pick(['Suspicious tool executed', 'Possible data exfiltration', 'Credential dumping attempt']), category: 'Collection', source: 'EDR', evidence: [ev.dev(srv), ev.proc(srv, tool.p, tool.cmd), ev.ip(e, ip)] },
    ],
    classification: 'TRUE_POSITIVE',
    determination: 'MULTI_STAGED_ATTACK',
    summary: `Intrusion through ${u.upn}'s VPN credentials; the operator moved to ${srv.name}.`,
    response: {
      narrative: `An operator signed in to the VPN as ${u.upn} from ${ip}, used ${ws.name} as a foothold and opened an RDP session to ${srv.name}, where they ${tool.what}. We isolated the workstation, disabled the account and collected an investigation package from the server; the server stays online because it runs production workloads. Reset the credentials the account could reach and check the VPN for other sessions from the same address.`,
      impact: `${u.displayName}'s credentials and one server accessed by an attacker; ${tool.p === 'rclone.exe' ? 'part of a file share may have left the network' : 'no data transfer observed'}.`,
      ioa: [['T1133', 'External remote services'], ['T1021.001', 'Remote Desktop Protocol'], tool.p === 'rclone.exe' ? ['T1567.002', 'Exfiltration to cloud storage'] : tool.p === 'AdFind.exe' ? ['T1087.002', 'Domain account discovery'] : ['T1003.001', 'LSASS memory']],
      actions: [
        { kind: 'ISOLATE_DEVICE', device: ws },
        { kind: 'DISABLE_USER', account: u },
        { kind: 'COLLECT_INVESTIGATION_PACKAGE', device: srv },
        { kind: 'BLOCK_INDICATOR', indicator: e.indicator('IP_ADDRESS', ip), blockDays: 90 },
        { kind: 'MANUAL', title: 'Rotate the credentials the account could reach', instructions: `Reset ${u.displayName}'s password and the service account passwords stored on ${srv.name}; end every VPN session from ${ip}.` },
      ],
    },
    update: `Attacker activity confirmed on ${srv.name}; isolating ${ws.name} and pulling the VPN logs.`,
    tags: ['major-incident'],
    pace: 0.6,
  };
};

const webshell: Scenario = (r, e) => {
  const srv = r.pick(e.servers.filter((s) => s.name.includes('WEB') || s.name.includes('APP')));
  const name = r.pick(['help.aspx', 'error2.aspx', 'iisstart.aspx', 'upload_handler.ashx']);
  const f = e.file(r, srv, name, 'C:\\inetpub\\wwwroot\\aspnet_client');
  const ip = e.ip(r);
  return {
    title: `Web shell on ${srv.name}`,
    severity: 'HIGH',
    alerts: [
      { title: 'Possible web shell installation', category: 'Persistence', source: 'EDR', evidence: [ev.dev(srv), ev.file(e, f)] },
      { title: 'Suspicious process launched by the IIS worker process', category: 'Execution', source: 'EDR', evidence: [ev.dev(srv), ev.proc(srv, 'cmd.exe', 'cmd.exe /c whoami & ipconfig /all'), ev.ip(e, ip)] },
    ],
    classification: 'TRUE_POSITIVE',
    determination: 'MALWARE',
    summary: `Web shell ${name} planted on ${srv.name} through an unpatched upload endpoint.`,
    response: {
      narrative: `${ip} uploaded ${name} to ${srv.name} through ${r.pick(['an unauthenticated file-upload endpoint of the customer portal', 'a vulnerable version of the reporting plug-in', 'an unpatched Telerik UI component'])} and ran reconnaissance commands (whoami, ipconfig) through it. We quarantined the shell and restricted app execution on the server until it is patched; lift the restriction from the device page once the fix is deployed.`,
      impact: 'An internet-facing server ran attacker commands for a short time; no lateral movement observed.',
      ioa: [['T1505.003', 'Web shell'], ['T1190', 'Exploit public-facing application']],
      actions: [
        { kind: 'QUARANTINE_FILE', device: srv, file: f },
        { kind: 'RESTRICT_APP_EXECUTION', device: srv },
        { kind: 'COLLECT_INVESTIGATION_PACKAGE', device: srv },
        { kind: 'MANUAL', title: 'Patch the upload endpoint', instructions: `Apply the vendor fix on ${srv.name} and review the IIS logs for other requests from ${ip}.` },
      ],
    },
    update: `Shell quarantined; reviewing the IIS logs of ${srv.name} for the first request from ${ip}.`,
    pace: 0.7,
  };
};

const insider: Scenario = (r, e) => {
  const u = r.pick(e.users);
  const d = r.pick(e.workstations);
  const gb = r.between(1.5, 38).toFixed(1);
  return {
    title: `Mass upload to personal cloud storage by ${u.upn}`,
    severity: 'MEDIUM',
    alerts: [{ title: 'Unusual volume of data uploaded to a personal cloud storage service', category: 'Exfiltration', source: 'CloudAppSecurity', evidence: [ev.user(u), ev.dev(d)] }],
    classification: 'TRUE_POSITIVE',
    determination: 'MALICIOUS_USER_ACTIVITY',
    summary: `${u.displayName} copied ${gb} GB of company files to a personal account before leaving.`,
    response: {
      narrative: `In the two weeks before the resignation date HR gave us, ${u.displayName} uploaded ${gb} GB from ${d.name} to a personal ${r.pick(['Google Drive', 'Dropbox', 'Mega'])} account, mostly ${r.pick(['customer contracts and price lists', 'source code and design documents', 'sales pipeline exports'])}. We disabled the account and revoked its sessions at HR's request; legal follow-up is yours.`,
      impact: 'Confidential business data in a departing employee\'s personal storage.',
      ioa: [['T1567.002', 'Exfiltration to cloud storage']],
      actions: [
        { kind: 'DISABLE_USER', account: u },
        { kind: 'REVOKE_SESSIONS', account: u },
        { kind: 'MANUAL', title: 'Hand over to HR and legal', instructions: 'Share the upload report attached to this incident with HR and legal, and collect the device at the exit interview.' },
      ],
    },
    pace: 1.4,
  };
};

const blocked: Scenario = (r, e) => {
  const d = r.pick(e.workstations);
  const u = r.pick(e.users);
  const f = e.file(r, d, r.pick(['Remittance_Advice.iso', 'scan_0412.img', 'Quote-2291.zip']), `C:\\Users\\${u.accountName}\\Downloads`);
  return {
    title: `Malicious attachment blocked on ${d.name}`,
    severity: 'LOW',
    alerts: [{ title: 'Malware was prevented', category: 'Malware', source: 'Antivirus', evidence: [ev.dev(d), ev.file(e, f), ev.user(u)] }],
    classification: 'TRUE_POSITIVE',
    determination: r.chance(0.7) ? 'MALWARE' : 'OTHER',
    summary: `Malicious ${f.fileName} blocked before it ran; nothing to do.`,
    response: {
      narrative: `Antivirus removed ${f.fileName} from ${d.name} as ${u.displayName} opened it; it carried a ${r.pick(['Qakbot', 'Pikabot', 'DarkGate', 'AsyncRAT'])} loader. Nothing ran: no child process, no network connection, no persistence. No action needed on your side.`,
      impact: 'None: the file was blocked before execution.',
      ioa: [['T1566.001', 'Spearphishing attachment']],
      actions: [],
    },
    pace: 1.3,
  };
};

// false positives and expected activity

const adminTool: Scenario = (r, e) => {
  const srv = r.pick(e.servers);
  const u = r.pick(e.users);
  const t = r.pick([
    { title: 'PsExec used to run commands on a remote device', p: 'PsExec64.exe', cmd: `PsExec64.exe \\\\${r.pick(e.workstations).name} -s msiexec /i \\\\${e.P}-APP01\\deploy\\agent.msi /qn`, why: 'the IT team deploying the new VPN agent' },
    { title: 'Suspicious PowerShell download cradle', p: 'powershell.exe', cmd: 'powershell -nop -c "iex (iwr https://intranet.example/scripts/inventory.ps1)"', why: 'the nightly inventory script of the service desk' },
    { title: 'Unusual scheduled task created', p: 'schtasks.exe', cmd: 'schtasks /create /tn "BackupVerify" /tr C:\\Tools\\verify.cmd /sc daily', why: 'the backup team\'s new verification job' },
  ]);
  const summary = `${t.p} on ${srv.name} was ${t.why} (change ${r.pick(['CHG', 'RFC'])}-${r.int(10000, 99999)}).`;
  return {
    title: t.title,
    severity: r.pick(['MEDIUM', 'LOW'] as const),
    alerts: [{ title: t.title, category: 'Execution', source: 'EDR', evidence: [ev.dev(srv), ev.proc(srv, t.p, t.cmd), ev.user(u)] }],
    classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
    determination: 'LINE_OF_BUSINESS_APPLICATION',
    summary,
    conclusion: `${summary} The command line, the signer and the account (${u.upn}, member of the IT admins) match the change; the same pattern ran on ${r.int(3, 60)} other devices the same hour. Consider an exclusion for this tool run by this account.`,
  };
};

const securityTesting: Scenario = (r, e) => {
  const scanner = r.pick(e.servers);
  const pentest = r.chance(0.4);
  const title = pentest ? r.pick(['Kerberoasting activity detected', 'Password spray against multiple accounts', 'Suspicious LDAP reconnaissance']) : r.pick(['Network port scan detected', 'Multiple failed authentication attempts from one host']);
  return {
    title,
    severity: pentest ? r.pick(['HIGH', 'MEDIUM'] as const) : 'LOW',
    alerts: [{ title, category: pentest ? 'CredentialAccess' : 'Discovery', source: 'DefenderForIdentity', evidence: [ev.dev(scanner), ev.user(r.pick(e.users))] }],
    classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
    determination: 'SECURITY_TESTING',
    summary: pentest
      ? `Authorised penetration test by ${r.pick(['Redline Security', 'Northwind Assurance', 'Bluefin Labs'])}, window confirmed by your security lead.`
      : `Scheduled vulnerability scan from ${scanner.name}.`,
    conclusion: pentest
      ? `The activity came from the testers' jump host ${scanner.name} inside the agreed test window and scope. We confirmed the window with your security lead before closing. No action needed.`
      : `${scanner.name} runs the weekly ${r.pick(['Nessus', 'Qualys', 'OpenVAS'])} scan; the timing and targets match its schedule.`,
    pace: 0.8,
  };
};

const travel: Scenario = (r, e) => {
  const u = r.pick(e.users);
  const ip = e.ip(r);
  const where = r.pick(['a hotel in Lisbon', 'the airport lounge in Singapore', 'a customer site in Toronto', 'a conference in Berlin']);
  const title = r.pick(['Impossible travel activity', 'Sign-in from an anonymous IP address', 'Atypical travel']);
  return {
    title: `${title}: ${u.upn}`,
    severity: 'MEDIUM',
    alerts: [{ title, category: 'InitialAccess', source: 'IdentityProtection', evidence: [ev.user(u), ev.ip(e, ip)] }],
    classification: 'FALSE_POSITIVE',
    determination: 'NOT_MALICIOUS',
    summary: `${u.displayName} was travelling: sign-in from ${where} through the corporate VPN, MFA from the registered phone.`,
    conclusion: `The sign-in from ${ip} came from ${where}; ${u.displayName}'s manager confirmed the trip, MFA was satisfied from the usual device and the session shows only normal mail and Teams use.`,
  };
};

const benign: Scenario = (r, e) => {
  const d = r.pick(e.workstations);
  const t = r.pick([
    { title: 'Ransomware-like file modifications', why: `the backup agent re-encrypting its local cache on ${d.name} after an upgrade` },
    { title: 'Suspicious process injection', why: `a signed screen-reader utility hooking the browser on ${d.name}` },
    { title: 'Suspicious PowerShell command line', why: `a developer's build script on ${d.name} using encoded commands to pass JSON` },
    { title: 'Possible credential access: browser data read', why: `the password manager migrating saved passwords on ${d.name}` },
  ]);
  return {
    title: `${t.title} on ${d.name}`,
    severity: r.pick(['MEDIUM', 'LOW', 'HIGH'] as const),
    alerts: [{ title: t.title, category: 'Execution', source: 'EDR', evidence: [ev.dev(d)] }],
    classification: 'FALSE_POSITIVE',
    determination: 'NOT_MALICIOUS',
    summary: `False positive: ${t.why}.`,
    conclusion: `The detection was ${t.why}. The binary is signed by its vendor, it behaved the same way on other devices after the same update and nothing else happened on ${d.name}.`,
  };
};

const noData: Scenario = (r, e) => {
  const d = r.pick(e.workstations);
  const title = r.pick(['Suspicious file dropped', 'Suspicious service registration', 'Anomalous network connection']);
  return {
    title: `${title} on ${d.name}`,
    severity: r.pick(['LOW', 'MEDIUM'] as const),
    alerts: [{ title, category: 'Execution', source: 'EDR', evidence: [ev.dev(d)] }],
    classification: 'FALSE_POSITIVE',
    determination: 'NOT_ENOUGH_DATA_TO_VALIDATE',
    summary: `${d.name} went offline before the telemetry could be collected; a full scan on return found nothing.`,
    conclusion: `${d.name} went offline ${r.int(2, 20)} minutes after the alert and came back ${r.int(2, 9)} days later with the telemetry expired. A full scan then found nothing and the device has been quiet since; we close it as not enough data to validate.`,
    pace: 2,
  };
};

const reported: Scenario = (r, e, at) => {
  const u = r.pick(e.users);
  const sender = `${r.pick(['news', 'events', 'offers'])}@${r.pick(['contoso-partners', 'travel-deals', 'hr-benefits', 'webinar-hub'])}.example.com`;
  const subject = r.pick(['Your benefits statement is ready', 'Register now: cloud security webinar', 'Last chance: conference early-bird price']);
  const mail = e.mail(r, u, sender, subject, at - r.int(10, 90) * MIN);
  return {
    title: `Email reported by user as phishing: "${subject}"`,
    severity: r.pick(['INFORMATIONAL', 'LOW'] as const),
    alerts: [{ title: 'Email reported by user as malware or phish', category: 'InitialAccess', source: 'Office365', evidence: [ev.user(u), ev.mail(mail)] }],
    classification: 'FALSE_POSITIVE',
    determination: 'NOT_MALICIOUS',
    summary: `Legitimate marketing mail from ${sender.split('@')[1]}; the links lead to the vendor's real site.`,
    conclusion: `The mail "${subject}" passed SPF, DKIM and DMARC for ${sender.split('@')[1]}, a newsletter ${u.displayName} subscribed to; every link resolves to the vendor's site. Thanks for reporting it.`,
  };
};

const confirmed: Scenario = (r, e) => {
  const u = r.pick(e.users);
  const t = r.pick([
    { title: 'New inbox forwarding rule to an external address', what: `${u.displayName} forwards mail to a personal address while on parental leave, approved by the manager` },
    { title: 'Mass download by a single user', what: `${u.displayName} copied the project archive to a new laptop, confirmed by the project lead` },
    { title: 'Unusual sign-in activity from a new country', what: `${u.displayName} works from the new office abroad this quarter` },
  ]);
  return {
    title: `${t.title} (${u.upn})`,
    severity: r.pick(['INFORMATIONAL', 'LOW', 'MEDIUM'] as const),
    alerts: [{ title: t.title, category: 'Exfiltration', source: 'CloudAppSecurity', evidence: [ev.user(u)] }],
    classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
    determination: r.chance(0.85) ? 'CONFIRMED_ACTIVITY' : 'OTHER',
    summary: `Confirmed with you: ${t.what}.`,
    conclusion: `Confirmed with your security contact: ${t.what}. No other unusual activity on the account.`,
    pace: 1.5,
  };
};

const SCENARIOS: (readonly [Scenario, number])[] = [
  [malware, 9],
  [phishing, 10],
  [bec, 2],
  [unwanted, 6],
  [handsOnKeyboard, 1.5],
  [webshell, 1],
  [insider, 1],
  [blocked, 4],
  [adminTool, 10],
  [securityTesting, 8],
  [travel, 10],
  [benign, 9],
  [noData, 5],
  [reported, 9],
  [confirmed, 8],
];

// ---------------------------------------------------------------- playing a plan back as rows

export interface HistoryPeople {
  expert: string;
  operator: string;
  admin: string;
  integration: string;
}

type Actor = 'expert' | 'customer' | 'admin' | 'integration' | null;

interface Rows {
  incidents: (typeof incidents.$inferInsert)[];
  alerts: (typeof alerts.$inferInsert)[];
  evidence: (typeof evidence.$inferInsert)[];
  revisions: (typeof investigationRevisions.$inferInsert)[];
  responses: (typeof managedResponses.$inferInsert)[];
  cards: (typeof actionCards.$inferInsert)[];
  attempts: (typeof actionAttempts.$inferInsert)[];
  updates: (typeof investigationUpdates.$inferInsert)[];
  /** activity with its ordering key: time, then the incident's own sequence */
  activity: { at: number; order: number; row: typeof activity.$inferInsert }[];
}

const RAISE: Partial<Record<Severity, Severity>> = { LOW: 'MEDIUM', MEDIUM: 'HIGH', INFORMATIONAL: 'LOW' };
/** How long the experts usually take to reach a verdict after starting (ms), by severity. */
const CLASSIFY_MEDIAN: Record<Severity, number> = { HIGH: 45 * MIN, MEDIUM: 80 * MIN, LOW: 2 * HOUR, INFORMATIONAL: 90 * MIN };
/** The customer's usual response time (ms) to a published managed response, by severity. */
const CUSTOMER_MEDIAN: Record<Severity, number> = { HIGH: 3 * HOUR, MEDIUM: 9 * HOUR, LOW: 20 * HOUR, INFORMATIONAL: 20 * HOUR };

class Player {
  readonly rows: Rows = { incidents: [], alerts: [], evidence: [], revisions: [], responses: [], cards: [], attempts: [], updates: [], activity: [] };
  /** what the cards did to the estate, applied once at the end */
  readonly quarantined = new Set<string>();
  readonly mailLocation = new Map<string, 'JUNK' | 'DELETED'>();
  readonly blocked = new Map<string, number | null>();
  readonly sessionsRevoked = new Map<string, number>();
  readonly disabled = new Map<string, boolean>();
  private order = 0;

  constructor(
    private readonly tenant: { id: string; operatorAccess: boolean },
    private readonly people: HistoryPeople,
    private readonly providerName: string,
    private readonly estate: Estate,
  ) {}

  private actorOf(a: Actor) {
    if (!a) return { actorId: null, actorSide: null };
    const id = a === 'expert' ? this.people.expert : a === 'customer' ? this.people.operator : a === 'admin' ? this.people.admin : this.people.integration;
    return { actorId: id, actorSide: a === 'expert' ? ('EXPERTS' as const) : ('CUSTOMER' as const) };
  }

  private log(at: number, incidentId: string | null, actor: Actor, field: string, from: string | null, to: string | null, note: string | null = null, subjectId: string | null = null) {
    this.rows.activity.push({
      at,
      order: this.order++,
      row: { tenantId: this.tenant.id, incidentId, ...this.actorOf(actor), field, subjectId, fromValue: from, toValue: to, note, createdAt: new Date(at) },
    });
  }

  /**
   * Play one incident: created at `t0`, numbered `number`; returns false (and writes nothing)
   * when it would not have been resolved by `end`.
   */
  play(r: Rng, plan: Plan, t0: number, number: number, externalId: string, breachP: number, end: number): boolean {
    const tenantId = this.tenant.id;
    const id = randomUUID();
    const pace = plan.pace ?? 1;
    const sev0 = plan.severity;
    const target = ACKNOWLEDGE_TARGETS[sev0] * 1000;
    // acknowledge: mostly well within the target, sometimes missed
    const ackDelay = r.chance(breachP) ? target * r.between(1.1, 3.2) : target * (0.04 + 0.8 * Math.pow(r.next(), 1.7));
    const tAck = t0 + Math.round(ackDelay / 1000) * 1000;
    const raise = plan.raiseTo ?? (r.chance(0.07) ? RAISE[sev0] : undefined);
    const tClassify = tAck + Math.round(r.around(CLASSIFY_MEDIAN[sev0] * pace, 1.8));
    const tUpdate = plan.update ? tAck + Math.round((tClassify - tAck) * r.between(0.3, 0.7)) : 0;
    const first = t0 - r.int(3, 90) * MIN;

    // the timeline of the response (true positives), worked out before anything is written
    interface CardRun {
      plan: CardPlan;
      id: string;
      title: string;
      oneClick: boolean;
      experts: boolean;
      /** an expert attempt that timed out (the device was offline): the customer retries it */
      expertFails: boolean;
      expertDone: number;
      customerAt: number;
      customerDone: number;
      /** a block's expiry (null: none) */
      blockUntil?: number | null;
    }
    let tPublish = 0;
    const runs: CardRun[] = [];
    let resolvedAt = tClassify;
    if (plan.response) {
      tPublish = tClassify + Math.round(r.around(20 * MIN * pace, 1.8));
      let t = tPublish;
      for (const c of plan.response.actions) {
        const oneClick = isOneClick(c.kind);
        const experts = oneClick && this.tenant.operatorAccess;
        const expertFails = experts && c.kind === 'ISOLATE_DEVICE' && r.chance(0.25);
        const expertDone = experts ? tPublish + (expertFails ? 30 * MIN : r.int(40, 600) * 1000) : 0;
        runs.push({ plan: c, id: randomUUID(), title: c.title ?? defaultTitle(c.kind), oneClick, experts, expertFails, expertDone, customerAt: 0, customerDone: 0 });
      }
      const expertsEnd = Math.max(tPublish, ...runs.filter((c) => c.experts).map((c) => c.expertDone));
      t = expertsEnd;
      // the customer's episode: the cards left to them, one after the other
      const left = runs.filter((c) => !c.experts || c.expertFails);
      const response = r.around(CUSTOMER_MEDIAN[raise ?? sev0], 2.6);
      for (const [i, c] of left.entries()) {
        t += i === 0 ? Math.round(Math.min(response, 5 * DAY)) : r.int(2, 90) * MIN;
        c.customerAt = t;
        c.customerDone = c.oneClick && !c.plan.skip ? t + r.int(30, 300) * 1000 : t;
        t = c.customerDone;
      }
      resolvedAt = t;
    }
    // follow-ups from entity pages once it is over: release the device, re-enable the user, lift the restriction
    const followUps: { kind: ActionKind; at: number; device?: Dev; account?: Acct }[] = [];
    for (const c of runs) {
      if (c.plan.skip) continue;
      const undo = c.plan.kind === 'ISOLATE_DEVICE' ? 'RELEASE_FROM_ISOLATION' : c.plan.kind === 'RESTRICT_APP_EXECUTION' ? 'REMOVE_APP_RESTRICTION' : c.plan.kind === 'DISABLE_USER' && plan.determination !== 'MALICIOUS_USER_ACTIVITY' ? 'ENABLE_USER' : null;
      if (undo) followUps.push({ kind: undo, at: resolvedAt + Math.round(r.around(8 * HOUR, 2.5)), device: c.plan.device, account: c.plan.account });
    }
    if (resolvedAt >= end || followUps.some((f) => f.at >= end)) return false;

    // ---- the rows, in the order the domain writes them
    let version = 1;
    const severity = raise ?? sev0;
    const names: string[] = [];
    const groups: string[] = [];
    for (const [ai, a] of plan.alerts.entries()) {
      const alertId = randomUUID();
      this.rows.alerts.push({ id: alertId, tenantId, incidentId: id, externalId: `${externalId}-a${ai + 1}`, title: a.title, severity: ai === 0 ? sev0 : r.pick([sev0, 'LOW', 'MEDIUM'] as const), category: a.category, detectionSource: a.source, createdAt: new Date(Math.min(t0, first + ai * r.int(1, 20) * MIN)) });
      for (const [position, x] of a.evidence.entries()) {
        const base = { tenantId, incidentId: id, alertId, position, kind: x.kind, createdAt: new Date(t0) };
        switch (x.kind) {
          case 'DEVICE':
            names.push(x.device.name);
            groups.push(x.device.group);
            this.rows.evidence.push({ ...base, deviceId: x.device.id, value: x.device.name, details: {} });
            break;
          case 'FILE':
            names.push(x.file.device.name, x.file.fileName);
            groups.push(x.file.device.group);
            this.rows.evidence.push({ ...base, deviceId: x.file.device.id, fileId: x.file.id, indicatorId: x.indicator.id, value: x.file.fileName, details: { sha1: null, sha256: x.file.sha256 } });
            break;
          case 'PROCESS':
            names.push(x.device.name, x.name);
            groups.push(x.device.group);
            this.rows.evidence.push({ ...base, deviceId: x.device.id, value: x.name, details: { commandLine: x.cmd, processId: null, deviceName: x.device.name } });
            break;
          case 'USER':
            names.push(x.account.accountName, x.account.upn);
            this.rows.evidence.push({ ...base, accountId: x.account.id, value: x.account.accountName, details: { domain: x.account.domain, userPrincipalName: x.account.upn, displayName: x.account.displayName } });
            break;
          case 'IP':
            names.push(x.address);
            this.rows.evidence.push({ ...base, indicatorId: x.indicator.id, value: x.address, details: {} });
            break;
          case 'URL':
            names.push(x.url);
            this.rows.evidence.push({ ...base, indicatorId: x.indicator.id, value: x.url, details: {} });
            break;
          case 'EMAIL':
            names.push(x.mail.subject, x.mail.recipient, x.mail.sender);
            this.rows.evidence.push({ ...base, emailMessageId: x.mail.id, value: x.mail.subject, details: { networkMessageId: x.mail.nmid, recipient: x.mail.recipient, sender: x.mail.sender, subject: x.mail.subject } });
            break;
        }
      }
    }
    // ingestion
    this.log(t0, id, 'integration', 'status', null, 'ACTIVE', 'incident ingested');
    if (plan.tags) {
      this.log(t0 + Math.min(r.int(2, 40) * MIN, Math.floor((resolvedAt - t0) / 2)), id, 'customer', 'tags', null, plan.tags.join(', '));
      version++;
    }
    // the experts take it
    this.log(tAck, id, 'expert', 'status', 'ACTIVE', 'IN_PROGRESS');
    this.log(tAck, id, 'expert', 'assignment', 'UNASSIGNED', 'EXPERTS');
    this.log(tAck, id, 'expert', 'assignee', null, this.people.expert);
    version++;
    if (plan.update) {
      const uid = randomUUID();
      this.rows.updates.push({ id: uid, tenantId, incidentId: id, authorId: this.people.expert, body: plan.update, createdAt: new Date(tUpdate) });
      this.log(tUpdate, id, 'expert', 'investigationUpdate', null, uid, plan.update.slice(0, 200), uid);
      version++;
    }
    if (raise) {
      const at = tAck + Math.round((tClassify - tAck) * 0.8);
      this.log(at, id, 'expert', 'severity', sev0, raise);
      version++;
    }
    const revision = (reason: string, at: number, narrative: string, extra: Partial<typeof investigationRevisions.$inferInsert> = {}) =>
      this.rows.revisions.push({ incidentId: id, number: 1, tenantId, reason, publishedById: this.people.expert, publishedAt: new Date(at), narrative, ...extra });

    let assignment: 'UNASSIGNED' | 'CUSTOMER' = 'UNASSIGNED';
    let resolvingComment: string | null = null;
    const updatedAt = resolvedAt;
    if (!plan.response) {
      // a false positive or expected activity: the verdict resolves it
      revision('CONCLUDED', tClassify, plan.conclusion ?? plan.summary, { impact: null, severityRationale: null, timeline: [], indicatorsOfAttack: [], indicatorsOfCompromise: [] });
      const s = plan.summary;
      this.log(tClassify, id, 'expert', 'classification', 'UNKNOWN', plan.classification, s);
      this.log(tClassify, id, 'expert', 'determination', 'UNKNOWN', plan.determination, s);
      this.log(tClassify, id, 'expert', 'status', 'IN_PROGRESS', 'RESOLVED', s);
      this.log(tClassify, id, 'expert', 'assignment', 'EXPERTS', 'UNASSIGNED', s);
      this.log(tClassify, id, 'expert', 'assignee', this.people.expert, null, s);
      this.log(tClassify, id, 'expert', 'systemTags', '', this.providerName, s);
      this.log(tClassify, id, 'expert', 'resolvingComment', null, s, s);
      resolvingComment = s;
      version++;
    } else {
      const resp = plan.response;
      this.log(tClassify, id, 'expert', 'classification', 'UNKNOWN', 'TRUE_POSITIVE', plan.summary);
      this.log(tClassify, id, 'expert', 'determination', 'UNKNOWN', plan.determination, plan.summary);
      version++;
      const firstDevice = plan.alerts[0].evidence.find((x) => x.kind === 'DEVICE');
      const deviceName = firstDevice?.kind === 'DEVICE' ? firstDevice.device.name : null;
      const summary = {
        narrative: resp.narrative,
        impact: resp.impact,
        severityRationale: severity === 'HIGH' ? 'Attacker activity confirmed on company assets.' : null,
        timeline: [
          { at: new Date(first).toISOString(), deviceName, event: plan.alerts[0].title },
          { at: new Date(tAck).toISOString(), deviceName, event: 'Experts started the investigation' },
          { at: new Date(tClassify).toISOString(), deviceName: null, event: `Classified as a true positive (${plan.determination.toLowerCase().replace(/_/g, ' ')})` },
        ],
        indicatorsOfAttack: resp.ioa.map(([techniqueId, description]) => ({ techniqueId, description })),
        indicatorsOfCompromise: plan.alerts.flatMap((a) =>
          a.evidence.flatMap((x) =>
            x.kind === 'FILE' ? [{ type: 'FILE_HASH', value: x.file.sha256 }] : x.kind === 'IP' ? [{ type: 'IP', value: x.address }] : x.kind === 'URL' ? [{ type: 'URL', value: x.url }] : x.kind === 'EMAIL' ? [{ type: 'DOMAIN', value: x.mail.sender.split('@')[1] }] : [],
          ),
        ),
      };
      revision('PUBLISHED', tPublish, summary.narrative, summary);
      this.rows.responses.push({ incidentId: id, tenantId, publishedById: this.people.expert, publishedAt: new Date(tPublish), ...summary });
      this.log(tPublish, id, 'expert', 'managedResponse', null, 'published', resp.narrative.slice(0, 200));
      const cardRows = new Map<string, typeof actionCards.$inferInsert>();
      for (const [position, c] of runs.entries()) {
        const p = c.plan;
        const parameters = p.kind === 'RUN_ANTIVIRUS_SCAN' ? { scanType: p.scanType ?? 'QUICK' } : p.kind === 'BLOCK_INDICATOR' && p.blockDays ? { expiresAt: new Date(tPublish + p.blockDays * DAY).toISOString() } : {};
        if (p.kind === 'BLOCK_INDICATOR') c.blockUntil = p.blockDays ? tPublish + p.blockDays * DAY : null;
        const targetKey = p.file?.id ?? p.device?.id ?? p.account?.id ?? p.mail?.id ?? p.indicator?.id ?? null;
        const row: typeof actionCards.$inferInsert = {
          id: c.id,
          tenantId,
          incidentId: id,
          revision: 1,
          position,
          kind: p.kind,
          title: c.title,
          instructions: p.instructions ?? null,
          targetDeviceId: p.file ? p.file.device.id : (p.device?.id ?? null),
          targetFileId: p.file?.id ?? null,
          targetAccountId: p.account?.id ?? null,
          targetEmailId: p.mail?.id ?? null,
          targetIndicatorId: p.indicator?.id ?? null,
          parameters,
          targetKey,
          status: 'PENDING',
          leftToCustomerReason: c.experts
            ? null
            : !c.oneClick
              ? 'Manual action: performed by the customer outside the service'
              : 'The tenant granted the READER access level: the customer performs response actions',
          createdAt: new Date(tPublish),
        };
        cardRows.set(c.id, row);
        this.log(tPublish, id, 'expert', 'action', null, 'PENDING', c.title, c.id);
        if (c.experts) this.log(tPublish, id, 'expert', 'action', 'PENDING', 'IN_PROGRESS', `${c.title} (experts)`, c.id);
      }
      this.log(tPublish, id, 'expert', 'systemTags', '', this.providerName);
      version++;
      const anyLeft = runs.some((c) => !c.experts || c.expertFails);
      const experts = runs.filter((c) => c.experts).sort((a, b) => a.expertDone - b.expertDone);
      const settle = (at: number, actor: Actor, note: string, to: 'AWAITING_CUSTOMER_ACTION' | 'RESOLVED') => {
        this.log(at, id, actor, 'status', 'IN_PROGRESS', to, note);
        this.log(at, id, actor, 'assignment', 'EXPERTS', 'CUSTOMER', note);
        this.log(at, id, actor, 'assignee', this.people.expert, null, note);
      };
      if (experts.length === 0) {
        settle(tPublish, 'expert', anyLeft ? 'actions left for the customer' : 'all response actions completed by the experts', anyLeft ? 'AWAITING_CUSTOMER_ACTION' : 'RESOLVED');
      }
      for (const [i, c] of experts.entries()) {
        const row = cardRows.get(c.id)!;
        row.performedBy = 'EXPERTS';
        row.performedById = this.people.expert;
        this.attempt(r, c.id, 1, 'EXPERTS', tPublish, c.expertDone, c.expertFails ? 'TIMED_OUT: the device stayed offline' : null, c.plan);
        if (c.expertFails) {
          row.status = 'FAILED';
          row.failureReason = 'TIMED_OUT: the device stayed offline';
          this.log(c.expertDone, id, null, 'action', 'IN_PROGRESS', 'FAILED', `${c.title}: TIMED_OUT: the device stayed offline`, c.id);
        } else {
          row.status = 'COMPLETED';
          row.completedAt = new Date(c.expertDone);
          this.effect(c.plan, c.expertDone, c.blockUntil);
          this.log(c.expertDone, id, null, 'action', 'IN_PROGRESS', 'COMPLETED', c.title, c.id);
        }
        row.updatedAt = new Date(c.expertDone);
        version++;
        if (i === experts.length - 1) settle(c.expertDone, null, anyLeft ? 'actions left for the customer' : 'all response actions completed by the experts', anyLeft ? 'AWAITING_CUSTOMER_ACTION' : 'RESOLVED');
      }
      const left = runs.filter((c) => c.customerAt > 0).sort((a, b) => a.customerAt - b.customerAt);
      for (const [i, c] of left.entries()) {
        const row = cardRows.get(c.id)!;
        const last = i === left.length - 1;
        row.performedBy = 'CUSTOMER';
        row.performedById = this.people.operator;
        row.updatedAt = new Date(c.customerDone);
        const from = c.expertFails ? 'FAILED' : 'PENDING';
        let actor: Actor = 'customer';
        if (c.plan.skip) {
          row.status = 'SKIPPED';
          row.skipReason = c.plan.skip;
          row.completedAt = new Date(c.customerAt);
          this.log(c.customerAt, id, 'customer', 'action', from, 'SKIPPED', `${c.title}: ${c.plan.skip}`, c.id);
        } else if (!c.oneClick) {
          row.status = 'COMPLETED';
          row.completedAt = new Date(c.customerAt);
          this.log(c.customerAt, id, 'customer', 'action', from, 'COMPLETED', c.title, c.id);
        } else {
          row.status = 'COMPLETED';
          row.failureReason = null;
          row.completedAt = new Date(c.customerDone);
          this.attempt(r, c.id, c.expertFails ? 2 : 1, 'CUSTOMER', c.customerAt, c.customerDone, null, c.plan);
          this.effect(c.plan, c.customerDone, c.blockUntil);
          this.log(c.customerAt, id, 'customer', 'action', from, 'IN_PROGRESS', `${c.title} (customer)`, c.id);
          this.log(c.customerDone, id, null, 'action', 'IN_PROGRESS', 'COMPLETED', c.title, c.id);
          actor = null;
          version++;
        }
        version++;
        if (last) this.log(c.customerDone, id, actor, 'status', 'AWAITING_CUSTOMER_ACTION', 'RESOLVED', 'resolved automatically: the last pending action is done');
      }
      this.rows.cards.push(...cardRows.values());
      assignment = 'CUSTOMER';
    }
    for (const f of followUps) {
      const cardId = randomUUID();
      const done = f.at + r.int(20, 200) * 1000;
      const title = defaultTitle(f.kind);
      this.rows.cards.push({
        id: cardId,
        tenantId,
        incidentId: null,
        revision: null,
        position: 0,
        kind: f.kind,
        title,
        targetDeviceId: f.device?.id ?? null,
        targetAccountId: f.account?.id ?? null,
        targetKey: f.device?.id ?? f.account?.id ?? null,
        parameters: {},
        status: 'COMPLETED',
        performedBy: 'CUSTOMER',
        performedById: this.people.operator,
        createdAt: new Date(f.at),
        updatedAt: new Date(done),
        completedAt: new Date(done),
      });
      this.attempt(r, cardId, 1, 'CUSTOMER', f.at, done, null, { kind: f.kind, device: f.device, account: f.account });
      if (f.kind === 'ENABLE_USER' && f.account) this.disabled.set(f.account.id, false);
      this.log(f.at, null, 'customer', 'action', 'PENDING', 'IN_PROGRESS', `${title} (customer)`, cardId);
      this.log(done, null, null, 'action', 'IN_PROGRESS', 'COMPLETED', title, cardId);
    }
    this.rows.incidents.push({
      id,
      tenantId,
      number,
      externalId,
      title: plan.title,
      severity,
      status: 'RESOLVED',
      classification: plan.classification,
      determination: plan.determination,
      assignment,
      assigneeId: null,
      customTags: plan.tags ?? [],
      systemTags: [this.providerName],
      priorityScore: priorityScore({ severity, alertCount: plan.alerts.length, deviceGroups: groups, firstActivityAt: new Date(first), now: new Date(t0) }),
      resolvingComment,
      version,
      searchText: searchText(plan.title, number, names),
      createdAt: new Date(t0),
      updatedAt: new Date(updatedAt),
      firstActivityAt: new Date(first),
      lastActivityAt: new Date(t0),
    });
    return true;
  }

  /** A one-click attempt, finished; returns its result (scans and packages record one). */
  private attempt(r: Rng, actionId: string, number: number, side: 'EXPERTS' | 'CUSTOMER', start: number, finish: number, failure: string | null, p: CardPlan): string | null {
    const attemptId = randomUUID();
    let result: string | null = null;
    if (!failure && p.kind === 'RUN_ANTIVIRUS_SCAN') result = `${p.scanType === 'FULL' ? 'Full' : 'Quick'} scan: no threats found`;
    if (!failure && p.kind === 'COLLECT_INVESTIGATION_PACKAGE' && p.device) {
      result = `Investigation package collected: ${(r.between(12, 60)).toFixed(1)} MB, reference investigation-packages/${p.device.id}/${attemptId}.zip`;
    }
    this.rows.attempts.push({
      id: attemptId,
      tenantId: this.tenant.id,
      actionId,
      number,
      side,
      principalId: side === 'EXPERTS' ? this.people.expert : this.people.operator,
      state: failure ? 'FAILED' : 'COMPLETED',
      connector: 'fleet',
      deadline: new Date(start + 30 * MIN),
      failureReason: failure,
      result,
      startedAt: new Date(start),
      finishedAt: new Date(finish),
    });
    return result;
  }

  /** What a completed action left on the estate (the built-in fleet's effects). */
  private effect(p: CardPlan, at: number, blockUntil: number | null | undefined) {
    if (p.kind === 'QUARANTINE_FILE' && p.file) this.quarantined.add(p.file.id);
    if (p.kind === 'SOFT_DELETE_EMAIL' && p.mail) this.mailLocation.set(p.mail.id, 'DELETED');
    if (p.kind === 'MOVE_EMAIL_TO_JUNK' && p.mail) this.mailLocation.set(p.mail.id, 'JUNK');
    if (p.kind === 'BLOCK_INDICATOR' && p.indicator) this.blocked.set(p.indicator.id, blockUntil ?? null);
    if (p.kind === 'REVOKE_SESSIONS' && p.account) this.sessionsRevoked.set(p.account.id, at);
    if (p.kind === 'DISABLE_USER' && p.account) this.disabled.set(p.account.id, true);
  }
}

// ---------------------------------------------------------------- the seed

export interface HistoryResult {
  /** the start of the history: the first day of the earliest month (UTC) */
  from: Date;
  incidents: number;
  incidentIds: string[];
}

/** The months of history before `now`: [start, end) of each, oldest first (UTC). */
export function historyMonths(now: Date): { start: number; end: number; key: string }[] {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return Array.from({ length: HISTORY_MONTHS + 1 }, (_, i) => {
    const start = Date.UTC(y, m - HISTORY_MONTHS + i, 1);
    const d = new Date(start);
    return { start, end: Date.UTC(y, m - HISTORY_MONTHS + i + 1, 1), key: `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}` };
  });
}

/**
 * Insert rows in one statement with one parameter: a JSON array read by json_populate_recordset,
 * in array order (the activity's ids follow it). Binding thousands of parameters is what makes a
 * multi-row VALUES slow on PGlite. A NOT NULL column any row gives, every row must give.
 */
async function bulkInsert<T extends PgTable>(tx: Tx, table: T, rows: T['$inferInsert'][]): Promise<void> {
  if (rows.length === 0) return;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
  const json = rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      // (a column some rows leave out is null in them, not its default: only nullable ones may be)
      if (!(k in (r as object)) && columns[k].notNull) throw new Error(`demo history: a ${getTableName(table)} row lacks ${k}`);
      const v = (r as Record<string, unknown>)[k] ?? null;
      out[columns[k].name] = v instanceof Date ? v.toISOString() : v;
    }
    return out;
  });
  const names = sql.join(keys.map((k) => sql.identifier(columns[k].name)), sql`, `);
  await tx.execute(sql`insert into ${table} (${names}) select ${names} from json_populate_recordset(null::${table}, ${JSON.stringify(json)}::json) with ordinality order by ordinality`);
}

/**
 * Write a demo tenant's history in `tx`: its estate, incidents numbered from `firstNumber`, their
 * alerts, evidence, investigation records, managed responses, cards, attempts and activity, and
 * their SLA rows (recomputed from that activity). Nothing goes to the outboxes.
 */
export async function seedHistory(
  tx: Tx,
  tenant: { id: string; slug: string; serviceAccessLevel: 'READER' | 'OPERATOR' },
  people: HistoryPeople,
  opts: { providerName: string; firstNumber: number; now?: Date },
): Promise<HistoryResult> {
  const now = (opts.now ?? new Date()).getTime();
  const months = historyMonths(new Date(now));
  const estate = new Estate(tenant.slug, new Rng(`${tenant.slug}:estate`));
  const player = new Player({ id: tenant.id, operatorAccess: tenant.serviceAccessLevel === 'OPERATOR' }, people, opts.providerName, estate);
  const lastCreated = now - HISTORY_GAP_MS;
  const lastEvent = now - HOUR;
  // the incidents of every month, in creation order (numbers follow creation)
  const planned: { r: Rng; plan: Plan; t0: number; breachP: number; key: string; i: number }[] = [];
  for (const [k, month] of months.entries()) {
    const r = new Rng(`${tenant.slug}:${month.key}`);
    const n = r.int(25, 45);
    // breaches get rarer month by month: the service report has a trend to show
    const breachP = Math.max(0.04, 0.2 - 0.035 * k);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      // office hours on weekdays, mostly
      let t = month.start + r.next() * (month.end - month.start);
      const d = new Date(t);
      if (r.chance(0.7)) {
        const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
        const wd = new Date(day).getUTCDay();
        const shift = wd === 6 ? 2 : wd === 0 ? 1 : 0;
        t = Math.min(month.end - HOUR, day + shift * DAY + r.between(7, 19) * HOUR);
      }
      times.push(Math.floor(t / 1000) * 1000);
    }
    times.sort((a, b) => a - b);
    for (const [i, t0] of times.entries()) {
      planned.push({ r, plan: r.weighted(SCENARIOS)(r, estate, t0), t0, breachP, key: month.key, i });
    }
  }
  let number = opts.firstNumber;
  for (const p of planned) {
    if (p.t0 >= lastCreated) continue;
    if (player.play(p.r, p.plan, p.t0, number, `${tenant.slug}-h-${p.key}-${String(p.i + 1).padStart(2, '0')}`, p.breachP, lastEvent)) number++;
  }
  const rows = player.rows;
  const from = new Date(months[0].start);

  // the estate (inventory as of the first month), with what the history's actions left on it
  const createdAt = from;
  const devs = [...estate.workstations, ...estate.servers];
  await bulkInsert(tx, devices, devs.map((d) => ({ id: d.id, tenantId: tenant.id, name: d.name, deviceGroup: d.group, osPlatform: d.os, createdAt })));
  await bulkInsert(
    tx,
    accounts,
    estate.users.map((u) => ({
      id: u.id,
      tenantId: tenant.id,
      accountName: u.accountName,
      domain: u.domain,
      upn: u.upn,
      displayName: u.displayName,
      enabled: !player.disabled.get(u.id),
      sessionsRevokedAt: player.sessionsRevoked.has(u.id) ? new Date(player.sessionsRevoked.get(u.id)!) : null,
      createdAt,
    })),
  );
  const files = [...estate.files.values()];
  if (files.length) {
    await bulkInsert(tx, deviceFiles, files.map((f) => ({ id: f.id, tenantId: tenant.id, deviceId: f.device.id, fileName: f.fileName, filePath: f.filePath, sha256: f.sha256, quarantined: player.quarantined.has(f.id), createdAt })));
  }
  if (estate.mails.length) {
    await bulkInsert(
      tx,
      emailMessages,
      estate.mails.map((m) => ({ id: m.id, tenantId: tenant.id, networkMessageId: m.nmid, recipient: m.recipient, sender: m.sender, subject: m.subject, receivedAt: new Date(m.receivedAt), location: player.mailLocation.get(m.id) ?? ('INBOX' as const), createdAt: new Date(m.receivedAt) })),
    );
  }
  const inds = [...estate.indicators.values()];
  if (inds.length) {
    await bulkInsert(
      tx,
      indicators,
      inds.map((i) => {
        const block = player.blocked.has(i.id);
        const until = player.blocked.get(i.id) ?? null;
        return { id: i.id, tenantId: tenant.id, type: i.type, value: i.value, action: block ? ('BLOCK' as const) : ('ALLOWED' as const), expiresAt: until ? new Date(until) : null, createdAt };
      }),
    );
  }
  await bulkInsert(tx, incidents, rows.incidents);
  await bulkInsert(tx, alerts, rows.alerts);
  await bulkInsert(tx, evidence, rows.evidence);
  await bulkInsert(tx, investigationRevisions, rows.revisions);
  await bulkInsert(tx, managedResponses, rows.responses);
  await bulkInsert(tx, investigationUpdates, rows.updates);
  await bulkInsert(tx, actionCards, rows.cards);
  await bulkInsert(tx, actionAttempts, rows.attempts);
  // activity in time order (ids follow time, as they would have), each incident's entries in its own order
  const log = rows.activity.sort((a, b) => a.at - b.at || a.order - b.order).map((a) => a.row);
  await bulkInsert(tx, activity, log);
  const incidentIds = rows.incidents.map((i) => i.id!);
  // the SLA rollup, folded from that log as stored, like any incident's (recomputeSla's fold,
  // written with the inserts above rather than its upsert: the rows are new)
  await bulkInsert(tx, incidentSla, await computeSla(tx, incidentIds));
  return { from, incidents: incidentIds.length, incidentIds };
}
