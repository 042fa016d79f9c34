// Demo data: two tenants with realistic incidents in every status, one principal per role, and
// their tokens. Seeds once per database, even when several instances start together.
import fs from 'node:fs';
import path from 'node:path';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { DEMO_SEED_LOCK, type Database } from './client';
import { incidents, principals, tenants } from './schema';
import { createPrincipal, createTenant, serveTenants } from '../domain/admin';
import { createDomainContext, type EventSink } from '../domain/context';
import type { Classification, Determination, IncidentStatus, Severity } from '../domain/enums';
import { ingestIncident, type AlertInput } from '../domain/ingest';
import { issueToken, viewerForToken } from '../domain/tokens';
import type { Role, Viewer } from '../domain/viewer';
import { writeTransaction } from '../events/activity';

export type DemoTokens = Record<string, Partial<Record<Role, string>>>;

const CUSTOMER_ROLES: Role[] = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'];

interface DemoIncident {
  title: string;
  severity: Severity;
  status: IncidentStatus;
  classification?: Classification;
  determination?: Determination;
  hoursAgo: number;
  tags?: string[];
  alerts: AlertInput[];
}

const dev = (deviceName: string, deviceGroup: string, osPlatform = 'Windows11') => ({ device: { deviceName, deviceGroup, osPlatform } });
const file = (deviceName: string, fileName: string, filePath: string, sha256: string) => ({
  file: { deviceName, fileName, filePath, sha256 },
});
const hash = (seed: string) => Array.from({ length: 64 }, (_, i) => '0123456789abcdef'[(seed.charCodeAt(i % seed.length) * (i + 7)) % 16]).join('');

function demoIncidents(prefix: string): DemoIncident[] {
  const p = prefix.toUpperCase();
  return [
    {
      title: `Ransomware activity on multiple endpoints (${p}-FS01)`,
      severity: 'HIGH',
      status: 'AWAITING_CUSTOMER_ACTION',
      classification: 'TRUE_POSITIVE',
      determination: 'MALWARE',
      hoursAgo: 30,
      tags: ['ransomware'],
      alerts: [
        {
          externalId: `${prefix}-a-100`,
          title: 'Ransomware behavior detected in the file system',
          severity: 'HIGH',
          category: 'Ransomware',
          detectionSource: 'EDR',
          evidence: [dev(`${p}-FS01`, 'Servers', 'WindowsServer2022'), file(`${p}-FS01`, 'locker.exe', 'C:\\ProgramData\\locker.exe', hash('locker'))],
        },
        {
          externalId: `${prefix}-a-101`,
          title: 'File backups were deleted',
          severity: 'HIGH',
          category: 'Impact',
          detectionSource: 'EDR',
          evidence: [dev(`${p}-FS01`, 'Servers', 'WindowsServer2022'), { process: { deviceName: `${p}-FS01`, processName: 'vssadmin.exe', commandLine: 'vssadmin delete shadows /all /quiet' } }],
        },
      ],
    },
    {
      title: 'Credential theft: LSASS memory access by unknown process',
      severity: 'HIGH',
      status: 'IN_PROGRESS',
      hoursAgo: 5,
      alerts: [
        {
          externalId: `${prefix}-a-110`,
          title: 'Suspicious access to LSASS service',
          severity: 'HIGH',
          category: 'CredentialAccess',
          detectionSource: 'EDR',
          evidence: [dev(`${p}-WS042`, 'Workstations'), { user: { accountName: 'jdoe', domain: prefix.toUpperCase() } }],
        },
      ],
    },
    {
      title: 'Phishing email with malicious link clicked',
      severity: 'MEDIUM',
      status: 'ACTIVE',
      hoursAgo: 2,
      alerts: [
        {
          externalId: `${prefix}-a-120`,
          title: 'A potentially malicious URL click was detected',
          severity: 'MEDIUM',
          category: 'InitialAccess',
          detectionSource: 'Office365',
          evidence: [{ url: { url: 'https://login-micros0ft.example/verify' } }, { user: { accountName: 'asmith', userPrincipalName: `asmith@${prefix}.example` } }],
        },
      ],
    },
    {
      title: 'Suspicious PowerShell command line on a developer workstation',
      severity: 'MEDIUM',
      status: 'ACTIVE',
      hoursAgo: 1,
      alerts: [
        {
          externalId: `${prefix}-a-130`,
          title: 'Suspicious PowerShell command line',
          severity: 'MEDIUM',
          category: 'Execution',
          detectionSource: 'EDR',
          evidence: [dev(`${p}-DEV07`, 'Developers'), { process: { deviceName: `${p}-DEV07`, processName: 'powershell.exe', commandLine: 'powershell -enc SQBFAFgA...' } }],
        },
      ],
    },
    {
      title: 'Security testing tool detected (Mimikatz)',
      severity: 'LOW',
      status: 'RESOLVED',
      classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
      determination: 'SECURITY_TESTING',
      hoursAgo: 50,
      alerts: [
        {
          externalId: `${prefix}-a-140`,
          title: "'Mimikatz' hacktool was detected",
          severity: 'LOW',
          category: 'CredentialAccess',
          detectionSource: 'Antivirus',
          evidence: [dev(`${p}-PENTEST1`, 'Red team'), file(`${p}-PENTEST1`, 'mimikatz.exe', 'C:\\Tools\\mimikatz.exe', hash('mimi'))],
        },
      ],
    },
    {
      title: 'Unusual sign-in from an anonymous IP address',
      severity: 'MEDIUM',
      status: 'RESOLVED',
      classification: 'FALSE_POSITIVE',
      determination: 'NOT_MALICIOUS',
      hoursAgo: 70,
      alerts: [
        {
          externalId: `${prefix}-a-150`,
          title: 'Sign-in from an anonymous IP address',
          severity: 'MEDIUM',
          category: 'InitialAccess',
          detectionSource: 'IdentityProtection',
          evidence: [{ ip: { address: '185.220.101.4' } }, { user: { accountName: 'mlee' } }],
        },
      ],
    },
    {
      title: 'Cryptocurrency miner installed by a browser extension',
      severity: 'LOW',
      status: 'RESOLVED',
      classification: 'TRUE_POSITIVE',
      determination: 'UNWANTED_SOFTWARE',
      hoursAgo: 90,
      alerts: [
        {
          externalId: `${prefix}-a-160`,
          title: 'Coin miner detected',
          severity: 'LOW',
          category: 'Malware',
          detectionSource: 'Antivirus',
          evidence: [dev(`${p}-WS013`, 'Workstations'), file(`${p}-WS013`, 'xmrig.exe', 'C:\\Users\\Public\\xmrig.exe', hash('xmrig'))],
        },
      ],
    },
    {
      title: 'Cobalt Strike beacon on the domain controller',
      severity: 'HIGH',
      status: 'AWAITING_CUSTOMER_ACTION',
      classification: 'TRUE_POSITIVE',
      determination: 'MULTI_STAGED_ATTACK',
      hoursAgo: 12,
      tags: ['crown-jewels'],
      alerts: [
        {
          externalId: `${prefix}-a-170`,
          title: 'Cobalt Strike command and control detected',
          severity: 'HIGH',
          category: 'CommandAndControl',
          detectionSource: 'EDR',
          evidence: [dev(`${p}-DC01`, 'Domain Controllers', 'WindowsServer2022'), { ip: { address: '203.0.113.77' } }],
        },
      ],
    },
    {
      title: 'Suspicious inbox forwarding rule created',
      severity: 'INFORMATIONAL',
      status: 'ACTIVE',
      hoursAgo: 0.5,
      alerts: [
        {
          externalId: `${prefix}-a-180`,
          title: 'Suspicious inbox forwarding rule',
          severity: 'INFORMATIONAL',
          category: 'Exfiltration',
          detectionSource: 'Office365',
          evidence: [{ user: { accountName: 'cfo', userPrincipalName: `cfo@${prefix}.example` } }],
        },
      ],
    },
  ];
}

const DEMO_TENANTS = [
  { slug: 'contoso', name: 'Contoso Ltd', serviceAccessLevel: 'OPERATOR' as const, remediationExclusions: ['Domain Controllers'] },
  { slug: 'fabrikam', name: 'Fabrikam Inc', serviceAccessLevel: 'READER' as const, remediationExclusions: [] },
];

const PEOPLE: Record<Role, string> = {
  READER: 'Riley Reader',
  OPERATOR: 'Olivia Operator',
  ADMIN: 'Adam Admin',
  INTEGRATION: 'Defender connector',
  EXPERT: 'Erin Expert',
};

export interface SeedResult {
  seeded: boolean;
  tokens: DemoTokens;
  tokensFile: string;
}

/**
 * Seed the demo once, under a cluster-wide lock. Tokens are written to `<dataDir>/demo-tokens.json`;
 * an instance that finds the demo seeded but has no tokens file issues fresh tokens for the demo
 * principals (the old ones stay valid), so every instance of a multi-instance demo can print some.
 */
export async function seedDemo(
  database: Database,
  opts: { dataDir: string; providerName: string; events?: EventSink },
): Promise<SeedResult> {
  const tokensFile = path.join(opts.dataDir, 'demo-tokens.json');
  return database.withLock(DEMO_SEED_LOCK, async () => {
    const db = database.db;
    const existing = await db.select().from(tenants).where(eq(tenants.slug, DEMO_TENANTS[0].slug));
    if (existing.length > 0) {
      const fromFile = await readTokens(database, tokensFile);
      if (fromFile) return { seeded: false, tokens: fromFile, tokensFile };
      const tokens = await reissueDemoTokens(database);
      writeTokens(tokensFile, tokens);
      return { seeded: false, tokens, tokensFile };
    }
    const tokens: DemoTokens = { provider: {} };
    const expert = await createPrincipal(db, { tenantId: null, role: 'EXPERT', name: PEOPLE.EXPERT, email: 'erin@provider.example' });
    tokens.provider.EXPERT = (await issueToken(db, expert.id, 'demo')).token;
    for (const t of DEMO_TENANTS) {
      const tenant = await createTenant(db, t);
      await serveTenants(db, expert.id, [tenant.id]);
      tokens[t.slug] = {};
      for (const role of CUSTOMER_ROLES) {
        const p = await createPrincipal(db, { tenantId: tenant.id, role, name: PEOPLE[role], email: `${role.toLowerCase()}@${t.slug}.example` });
        tokens[t.slug][role] = (await issueToken(db, p.id, 'demo')).token;
      }
      const integration = (await viewerForToken(db, tokens[t.slug].INTEGRATION!))!;
      const expertViewer = (await viewerForToken(db, tokens.provider.EXPERT!))!;
      await seedIncidents(database, t.slug, integration, expertViewer, opts);
    }
    writeTokens(tokensFile, tokens);
    return { seeded: true, tokens, tokensFile };
  });
}

async function seedIncidents(
  database: Database,
  prefix: string,
  integration: Viewer,
  expert: Viewer,
  opts: { providerName: string; events?: EventSink },
) {
  const list = demoIncidents(prefix);
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    const at = new Date(Date.now() - d.hoursAgo * 3_600_000);
    const ctx = createDomainContext(database, integration, opts);
    const { incident } = await ingestIncident(ctx, {
      externalId: `${prefix}-inc-${i + 1}`,
      title: d.title,
      severity: d.severity,
      firstActivityAt: at,
      alerts: d.alerts.map((a) => ({ ...a, createdAt: at })),
    });
    if (d.status === 'ACTIVE' && !d.tags) continue;
    // Move the demo incident to its status the way the experts would have, with activity entries.
    // (The managed-response workflow replaces this once it exists.)
    const ectx = createDomainContext(database, expert, opts);
    await writeTransaction(ectx, async (tx, log) => {
      const set: Partial<typeof incidents.$inferInsert> = {
        status: d.status,
        classification: d.classification ?? 'UNKNOWN',
        determination: d.determination ?? 'UNKNOWN',
        assignment: d.status === 'IN_PROGRESS' ? 'EXPERTS' : d.status === 'ACTIVE' ? 'UNASSIGNED' : d.classification === 'TRUE_POSITIVE' ? 'CUSTOMER' : 'UNASSIGNED',
        customTags: d.tags ?? [],
        systemTags: d.status === 'ACTIVE' || d.status === 'IN_PROGRESS' ? [] : [opts.providerName],
        resolvingComment: d.status === 'RESOLVED' ? `Concluded by the experts: ${d.determination?.toLowerCase().replaceAll('_', ' ')}.` : null,
        version: incident.version + 1,
        updatedAt: new Date(),
      };
      await tx.update(incidents).set(set).where(eq(incidents.id, incident.id));
      for (const field of ['status', 'assignment', 'classification', 'determination'] as const) {
        const to = set[field];
        if (to && to !== incident[field]) {
          log.add({ tenantId: incident.tenantId, incidentId: incident.id, field, from: incident[field], to });
        }
      }
    });
  }
}

function writeTokens(file: string, tokens: DemoTokens) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
}

/** The tokens file, if it exists and its tokens still work on this database. */
async function readTokens(database: Database, file: string): Promise<DemoTokens | null> {
  try {
    const tokens = JSON.parse(fs.readFileSync(file, 'utf8')) as DemoTokens;
    const any = tokens.provider?.EXPERT;
    if (any && (await viewerForToken(database.db, any))) return tokens;
  } catch {
    // missing or unreadable: issue new ones
  }
  return null;
}

async function reissueDemoTokens(database: Database): Promise<DemoTokens> {
  const db = database.db;
  const tokens: DemoTokens = { provider: {} };
  const [expert] = await db.select().from(principals).where(and(isNull(principals.tenantId), eq(principals.name, PEOPLE.EXPERT)));
  if (expert) tokens.provider.EXPERT = (await issueToken(db, expert.id, 'demo')).token;
  const rows = await db.select().from(tenants).where(inArray(tenants.slug, DEMO_TENANTS.map((t) => t.slug)));
  for (const t of rows) {
    tokens[t.slug] = {};
    const people = await db.select().from(principals).where(eq(principals.tenantId, t.id));
    for (const role of CUSTOMER_ROLES) {
      const p = people.find((x) => x.role === role && x.name === PEOPLE[role]);
      if (p) tokens[t.slug][role] = (await issueToken(db, p.id, 'demo')).token;
    }
  }
  return tokens;
}
