// Demo data: two tenants with realistic incidents in every status, one principal per role, and
// their tokens. Seeds once per database, even when several instances start together.
import fs from 'node:fs';
import path from 'node:path';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { DEMO_SEED_LOCK, type Database } from '../db/client';
import { accounts, actionCards, deviceFiles, devices, emailMessages, incidents, notificationContacts, principals, tenants } from '../db/schema';
import { createPrincipal, createTenant, serveTenants } from '../domain/admin';
import { createDomainContext, type EventSink } from '../domain/context';
import type { Classification, Determination, Severity } from '../domain/enums';
import { ingestIncident, type AlertInput } from '../domain/ingest';
import { issueToken, viewerForToken } from '../domain/tokens';
import type { Role, Viewer } from '../domain/viewer';
import { sendChatMessage } from '../domain/chat';
import { ActionExecutor } from '../domain/executor';
import { updateIncident } from '../domain/incidents';
import { completeManualAction, performAction } from '../domain/response/perform';
import { publishManagedResponse } from '../domain/response/publish';
import { classifyIncident, startInvestigation } from '../domain/triage';
import type { ActionKind } from '../registry/action-kinds';
import type { ActionCardInput, IndicatorType } from '../domain/response/targets';
import { performEntityAction } from '../domain/response/perform';
import { setRemediationExclusions } from '../domain/settings';
import { createSuppressionRule } from '../domain/suppression';
import { createSavedView } from '../domain/views';
import { createLogger } from '../log';
import { seedHistory } from './history';

export type DemoTokens = Record<string, Partial<Record<Role, string>>>;

const CUSTOMER_ROLES: Role[] = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'];

/** A card of a demo managed response: its kind and its target named the way the evidence named it. */
type ActionPlan = {
  kind: ActionKind;
  device?: string;
  file?: string;
  /** an account by UPN */
  account?: string;
  /** a mailbox message by network message id */
  message?: string;
  indicator?: { type: IndicatorType; value: string; expiresInDays?: number };
  title?: string;
  instructions?: string;
};

interface DemoIncident {
  title: string;
  severity: Severity;
  /** What the experts (and then the customer) do with it, through the real commands. */
  story:
    | { kind: 'active' }
    | { kind: 'investigating' }
    /** a suppression rule resolves it at ingestion */
    | { kind: 'suppressed' }
    | { kind: 'resolved'; classification: Classification; determination: Determination; summary: string }
    | {
        kind: 'response';
        determination: Determination;
        narrative: string;
        actions: ActionPlan[];
        /** devices offline before the customer acts (their actions wait: IN_PROGRESS) */
        offline?: string[];
        /** card positions the customer operator performs / skips / confirms after publishing */
        customerPerforms?: number[];
        customerConfirms?: number[];
        chat?: { side: 'EXPERT' | 'CUSTOMER'; body: string }[];
      };
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
      title: `Ransomware activity on a file server (${p}-FS01)`,
      severity: 'HIGH',
      hoursAgo: 30,
      tags: ['ransomware'],
      story: {
        kind: 'response',
        determination: 'MALWARE',
        narrative: `A ransomware binary (locker.exe) ran on ${p}-FS01 from C:\\ProgramData after an RDP logon with stolen credentials, deleted volume shadow copies and began encrypting shares. We contained the host.`,
        actions: [
          { kind: 'ISOLATE_DEVICE', device: `${p}-FS01` },
          { kind: 'QUARANTINE_FILE', device: `${p}-FS01`, file: 'locker.exe' },
          { kind: 'MANUAL', title: 'Restore encrypted shares from backup', instructions: 'Restore \\\\FS01\\finance and \\\\FS01\\hr from the last clean backup (before the incident start), then verify file hashes.' },
        ],
        chat: [
          { side: 'EXPERT', body: `We isolated ${p}-FS01 and quarantined locker.exe. Please restore the shares from backup; tell us if you see encrypted files elsewhere.` },
          { side: 'CUSTOMER', body: 'Thanks, restore is running. Nothing on the other file servers so far.' },
        ],
      },
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
      hoursAgo: 5,
      story: { kind: 'investigating' },
      alerts: [
        {
          externalId: `${prefix}-a-110`,
          title: 'Suspicious access to LSASS service',
          severity: 'HIGH',
          category: 'CredentialAccess',
          detectionSource: 'EDR',
          evidence: [dev(`${p}-WS042`, 'Workstations'), { user: { accountName: 'jdoe', domain: p } }],
        },
      ],
    },
    {
      title: 'Phishing email with malicious link clicked',
      severity: 'MEDIUM',
      hoursAgo: 2,
      story: { kind: 'active' },
      alerts: [
        {
          externalId: `${prefix}-a-120`,
          title: 'A potentially malicious URL click was detected',
          severity: 'MEDIUM',
          category: 'InitialAccess',
          detectionSource: 'Office365',
          evidence: [
            { url: { url: 'https://login-micros0ft.example/verify' } },
            { user: { accountName: 'asmith', upn: `asmith@${prefix}.example`, displayName: 'Alex Smith' } },
            {
              email: {
                networkMessageId: '<verify-77@login-micros0ft.example>',
                recipient: `asmith@${prefix}.example`,
                sender: 'security@login-micros0ft.example',
                subject: 'Unusual sign-in activity: verify your account',
              },
            },
          ],
        },
      ],
    },
    {
      title: 'Suspicious PowerShell command line on a developer workstation',
      severity: 'MEDIUM',
      hoursAgo: 1,
      story: { kind: 'active' },
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
      hoursAgo: 50,
      // resolved at ingestion by the tenant's suppression rule for the red team's hosts
      story: { kind: 'suppressed' },
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
      hoursAgo: 70,
      story: { kind: 'resolved', classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'The user signed in through the corporate privacy VPN, whose exit nodes are listed as anonymous; MFA was satisfied from a known device.' },
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
      hoursAgo: 90,
      story: {
        kind: 'response',
        determination: 'UNWANTED_SOFTWARE',
        narrative: 'A browser extension dropped xmrig.exe into C:\\Users\\Public and started mining. No lateral movement.',
        actions: [{ kind: 'QUARANTINE_FILE', device: `${p}-WS013`, file: 'xmrig.exe' }],
        customerPerforms: [0],
      },
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
      hoursAgo: 12,
      tags: ['crown-jewels'],
      story: {
        kind: 'response',
        determination: 'MULTI_STAGED_ATTACK',
        narrative: `A Cobalt Strike beacon on ${p}-DC01 called back to 203.0.113.77 every 60 s; the operator moved laterally from ${p}-WS021 with a service account.`,
        actions: [
          { kind: 'ISOLATE_DEVICE', device: `${p}-DC01` },
          { kind: 'REMOVE_APP_RESTRICTION', device: `${p}-WS021`, title: 'Lift the temporary app restriction on WS021' },
          { kind: 'MANUAL', title: 'Reset the krbtgt password twice', instructions: 'Reset the krbtgt account password twice, 10 hours apart, to invalidate forged tickets.' },
        ],
        offline: [`${p}-DC01`],
        customerPerforms: [0, 1],
        chat: [
          { side: 'EXPERT', body: `${p}-DC01 is in an excluded device group, so we left its isolation to you. It is offline right now: the isolation runs as soon as it reconnects.` },
          { side: 'CUSTOMER', body: 'Understood. We pressed isolate; the DC is rebooting.' },
          { side: 'EXPERT', body: 'The restriction removal on WS021 failed because the device is not restricted; you can skip that card.' },
        ],
      },
      alerts: [
        {
          externalId: `${prefix}-a-170`,
          title: 'Cobalt Strike command and control detected',
          severity: 'HIGH',
          category: 'CommandAndControl',
          detectionSource: 'EDR',
          evidence: [dev(`${p}-DC01`, 'Domain Controllers', 'WindowsServer2022'), dev(`${p}-WS021`, 'Workstations'), { ip: { address: '203.0.113.77' } }],
        },
      ],
    },
    {
      title: `Identity compromise: phishing mail led to a risky sign-in by kbrown@${prefix}.example`,
      severity: 'HIGH',
      hoursAgo: 8,
      tags: ['identity'],
      story: {
        kind: 'response',
        determination: 'COMPROMISED_ACCOUNT',
        narrative: `kbrown@${prefix}.example opened an "overdue invoice" mail from billing@invoice-docs.example and entered the password on a look-alike sign-in page; 40 minutes later the account signed in from 198.51.100.23 and read the mailbox. We disabled the account, revoked its sessions, removed the mail and blocked the sender's domain.`,
        actions: [
          { kind: 'DISABLE_USER', account: `kbrown@${prefix}.example` },
          { kind: 'REVOKE_SESSIONS', account: `kbrown@${prefix}.example` },
          { kind: 'SOFT_DELETE_EMAIL', message: `<4471.overdue@invoice-docs.example>` },
          { kind: 'BLOCK_INDICATOR', indicator: { type: 'DOMAIN', value: 'invoice-docs.example', expiresInDays: 90 }, title: 'Block the sender\'s domain for 90 days' },
          { kind: 'FORCE_PASSWORD_RESET', account: `kbrown@${prefix}.example` },
          { kind: 'MANUAL', title: 'Check kbrown\'s inbox rules and MFA methods', instructions: 'In the Exchange admin center, remove inbox rules kbrown did not create; in Entra ID, remove MFA methods registered after the sign-in from 198.51.100.23.' },
        ],
        customerPerforms: [0, 1, 2, 3],
        chat: [
          { side: 'CUSTOMER', body: 'Kim confirms she entered her password on that page. Should we re-enable her once the reset is done?' },
          { side: 'EXPERT', body: 'Yes: re-enable after the password reset and the MFA check (the manual card); the undo is ENABLE_USER on the account page.' },
        ],
      },
      alerts: [
        {
          externalId: `${prefix}-a-175`,
          title: 'Sign-in from an anonymous IP address after a phishing click',
          severity: 'HIGH',
          category: 'InitialAccess',
          detectionSource: 'EntraID',
          evidence: [
            { user: { accountName: 'kbrown', domain: p, upn: `kbrown@${prefix}.example`, displayName: 'Kim Brown' } },
            {
              email: {
                networkMessageId: `<4471.overdue@invoice-docs.example>`,
                recipient: `kbrown@${prefix}.example`,
                sender: 'billing@invoice-docs.example',
                subject: 'Overdue invoice #4471: action required',
              },
            },
            { url: { url: 'https://invoice-docs.example/view?id=4471' } },
            { ip: { address: '198.51.100.23' } },
          ],
        },
      ],
    },
    {
      title: 'Suspicious inbox forwarding rule created',
      severity: 'INFORMATIONAL',
      hoursAgo: 0.5,
      story: { kind: 'active' },
      alerts: [
        {
          externalId: `${prefix}-a-180`,
          title: 'Suspicious inbox forwarding rule',
          severity: 'INFORMATIONAL',
          category: 'Exfiltration',
          detectionSource: 'Office365',
          evidence: [{ user: { accountName: 'cfo', upn: `cfo@${prefix}.example`, displayName: 'Chief Financial Officer' } }],
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
      const viewer = async (token: string) => (await viewerForToken(db, token))!;
      const people = {
        integration: await viewer(tokens[t.slug].INTEGRATION!),
        expert: await viewer(tokens.provider.EXPERT!),
        operator: await viewer(tokens[t.slug].OPERATOR!),
        reader: await viewer(tokens[t.slug].READER!),
        admin: await viewer(tokens[t.slug].ADMIN!),
      };
      // months of past, closed incidents (src/demo/history.ts), numbered after the live ones below
      // (the README's walkthrough names incidents 3 and 4); the tenant and its people date from
      // the history's start
      await database.transaction(async (tx) => {
        const history = await seedHistory(
          tx,
          tenant,
          { expert: expert.id, operator: people.operator.principalId, admin: people.admin.principalId, integration: people.integration.principalId },
          { providerName: opts.providerName, firstNumber: demoIncidents(t.slug).length + 1 },
        );
        await tx.update(tenants).set({ createdAt: history.from }).where(eq(tenants.id, tenant.id));
        await tx.update(principals).set({ createdAt: history.from }).where(inArray(principals.id, [expert.id, ...Object.values(people).map((p) => p.principalId)]));
      });
      await seedIncidents(
        database,
        t.slug,
        people,
        opts,
      );
      // the live incidents took 1…n; the next one ingested comes after the history's numbers
      await db
        .update(tenants)
        .set({ lastIncidentNumber: sql`(select coalesce(max(${incidents.number}), 0) from ${incidents} where ${incidents.tenantId} = ${tenant.id})` })
        .where(eq(tenants.id, tenant.id));
      // who the walkthrough's notifications go to (added after the history above, so that the
      // mail folder holds what you do, not the demo's past)
      await db.insert(notificationContacts).values([
        { tenantId: tenant.id, name: `${t.name} SOC lead`, email: `soc-lead@${t.slug}.example`, purposes: ['INCIDENT_NOTIFICATION'] },
        { tenantId: tenant.id, name: `${t.name} on call`, email: `oncall@${t.slug}.example`, phone: '+1 555 0100', purposes: ['INCIDENT_NOTIFICATION', 'SERVICE_REVIEW'] },
        { tenantId: tenant.id, name: `${t.name} CISO`, email: `ciso@${t.slug}.example`, purposes: ['SERVICE_REVIEW'] },
      ]);
    }
    writeTokens(tokensFile, tokens);
    return { seeded: true, tokens, tokensFile };
  });
}

async function seedIncidents(
  database: Database,
  prefix: string,
  people: { integration: Viewer; expert: Viewer; operator: Viewer; reader: Viewer; admin: Viewer },
  opts: { providerName: string; events?: EventSink },
) {
  const list = demoIncidents(prefix);
  const tenantId = people.operator.tenantId!;
  // A long timeout, so that the demo's action on an offline device stays IN_PROGRESS for days.
  const ctxOpts = { ...opts, execution: { actionTimeoutMs: 7 * 24 * 3_600_000 } };
  const as = (viewer: Viewer) => createDomainContext(database, viewer, ctxOpts);
  const executor = new ActionExecutor(database, opts.events ?? { committed: () => {} }, createLogger('silent'), {
    pollMs: 1_000,
    leaseMs: 30_000,
    publicUrl: () => 'http://127.0.0.1',
  });
  // the experts silence the red team's authorised tooling (the Mimikatz alert below fires it)
  await createSuppressionRule(as(people.expert), {
    tenantId,
    name: 'Red team test hosts (ticket SEC-2231)',
    conditions: [
      { field: 'DEVICE_GROUP', operator: 'EQUALS', value: 'Red team' },
      { field: 'ALERT_TITLE', operator: 'GLOB', value: '*hacktool*' },
    ],
    expiresAt: new Date(Date.now() + 90 * 86_400_000),
  });
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    const at = new Date(Date.now() - d.hoursAgo * 3_600_000);
    const { incident } = await ingestIncident(as(people.integration), {
      externalId: `${prefix}-inc-${i + 1}`,
      title: d.title,
      severity: d.severity,
      firstActivityAt: at,
      alerts: d.alerts.map((a) => ({ ...a, createdAt: at })),
    });
    if (d.tags) await updateIncident(as(people.operator), { incidentId: incident.id, tags: d.tags });
    const story = d.story;
    if (story.kind === 'active' || story.kind === 'suppressed') continue;
    await startInvestigation(as(people.expert), { incidentId: incident.id });
    if (story.kind === 'investigating') continue;
    if (story.kind === 'resolved') {
      await classifyIncident(as(people.expert), { incidentId: incident.id, ...story });
      continue;
    }
    await classifyIncident(as(people.expert), {
      incidentId: incident.id,
      classification: 'TRUE_POSITIVE',
      determination: story.determination,
      summary: story.narrative.slice(0, 200),
    });
    const fleet = await database.db.select().from(devices).where(eq(devices.tenantId, incident.tenantId));
    const deviceId = (name?: string) => fleet.find((f) => f.name === name)?.id ?? null;
    const actions: ActionCardInput[] = [];
    for (const a of story.actions) {
      let targetId: string | null = null;
      let targetType: ActionCardInput['targetType'] = null;
      if (a.account) {
        const [acc] = await database.db.select().from(accounts).where(and(eq(accounts.tenantId, incident.tenantId), eq(accounts.upn, a.account)));
        targetId = acc.id;
        targetType = 'Account';
      } else if (a.message) {
        const [m] = await database.db.select().from(emailMessages).where(and(eq(emailMessages.tenantId, incident.tenantId), eq(emailMessages.networkMessageId, a.message)));
        targetId = m.id;
        targetType = 'EmailMessage';
      } else if (a.file) {
        const [f] = await database.db
          .select()
          .from(deviceFiles)
          .where(and(eq(deviceFiles.deviceId, deviceId(a.device)!), eq(deviceFiles.fileName, a.file)));
        targetId = f.id;
        targetType = 'DeviceFile';
      } else if (a.device) {
        targetId = deviceId(a.device);
        targetType = 'Device';
      }
      const indicator = a.indicator
        ? { type: a.indicator.type, value: a.indicator.value, expiresAt: a.indicator.expiresInDays ? new Date(Date.now() + a.indicator.expiresInDays * 86_400_000) : null }
        : null;
      actions.push({ kind: a.kind, title: a.title, instructions: a.instructions, targetId, targetType, indicator });
    }
    await publishManagedResponse(as(people.expert), {
      incidentId: incident.id,
      summary: {
        narrative: story.narrative,
        impact: 'Business impact assessed with the customer during the investigation.',
        timeline: [
          { at, deviceName: story.actions[0]?.device ?? null, event: d.alerts[0].title },
          { at: new Date(at.getTime() + 15 * 60_000), deviceName: story.actions[0]?.device ?? null, event: 'Experts started the investigation' },
        ],
        indicatorsOfAttack: [{ techniqueId: story.determination === 'MALWARE' ? 'T1486' : 'T1059.001', description: d.alerts[0].title }],
        indicatorsOfCompromise: d.alerts.flatMap((a) =>
          a.evidence.flatMap((e) =>
            e.file?.sha256
              ? [{ type: 'FILE_HASH', value: e.file.sha256 }]
              : e.ip
                ? [{ type: 'IP', value: e.ip.address }]
                : e.url
                  ? [{ type: 'URL', value: e.url.url }]
                  : e.email?.sender
                    ? [{ type: 'DOMAIN', value: e.email.sender.split('@')[1] }]
                    : [],
          ),
        ),
      },
      actions,
    });
    await executor.pass();
    for (const name of story.offline ?? []) {
      await database.db.update(devices).set({ healthStatus: 'INACTIVE' }).where(eq(devices.id, deviceId(name)!));
    }
    const cards = await database.db.select().from(actionCards).where(eq(actionCards.incidentId, incident.id)).orderBy(actionCards.position);
    for (const pos of story.customerPerforms ?? []) {
      if (cards[pos].status === 'PENDING' || cards[pos].status === 'FAILED') {
        await performAction(as(people.operator), { actionId: cards[pos].id });
      }
    }
    for (const pos of story.customerConfirms ?? []) await completeManualAction(as(people.operator), { actionId: cards[pos].id });
    await executor.pass();
    for (const m of story.chat ?? []) {
      await sendChatMessage(as(m.side === 'EXPERT' ? people.expert : people.reader), { incidentId: incident.id, body: m.body });
    }
  }
  // the customer keeps the queue of what waits for them, shared with the tenant
  await createSavedView(as(people.operator), {
    name: 'Waiting for us',
    filter: { status: ['AWAITING_CUSTOMER_ACTION'] },
    orderBy: { field: 'PRIORITY', direction: 'DESC' },
    shared: true,
  });
  // the customer acts from an entity's page: a quick scan of the workstation of the LSASS alert
  // (an ad-hoc card with no incident, in the action center)
  const [ws] = await database.db.select().from(devices).where(and(eq(devices.tenantId, tenantId), eq(devices.name, `${prefix.toUpperCase()}-WS042`)));
  await performEntityAction(as(people.operator), { kind: 'RUN_ANTIVIRUS_SCAN', targetId: ws.id, targetType: 'Device', scanType: 'QUICK', instructions: 'Quick scan after the LSASS alert' });
  await executor.pass();
  // the CFO's account is a VIP: the experts never act on it (the customer may)
  const [cfo] = await database.db.select().from(accounts).where(and(eq(accounts.tenantId, tenantId), eq(accounts.upn, `cfo@${prefix}.example`)));
  await setRemediationExclusions(as(people.admin), { accountIds: [cfo.id] });
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
