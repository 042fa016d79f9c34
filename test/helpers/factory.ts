// Test factories (Outline / Hive testkit style): a fresh tenant per test, with one principal
// per role and an expert serving only that tenant, so tests share a database without cleaning.
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createPrincipal, createTenant, principalWithToken, serveTenants } from '../../src/domain/admin';
import type { ServiceAccessLevel } from '../../src/domain/enums';
import type { Role } from '../../src/domain/viewer';
import type { PrincipalRow, TenantRow } from '../../src/db/schema';
import type { TestApp } from './app';
import type { IngestIncidentInput } from '../generated/graphql';

export interface TenantFixture {
  tenant: TenantRow;
  tenantGid: string;
  tokens: Record<Role, string>;
  principals: Record<Role, PrincipalRow>;
}

export async function newTenant(
  app: TestApp,
  opts: { serviceAccessLevel?: ServiceAccessLevel; remediationExclusions?: string[]; name?: string } = {},
): Promise<TenantFixture> {
  const db = app.database.db;
  const slug = `t-${randomUUID().slice(0, 12)}`;
  const tenant = await createTenant(db, {
    slug,
    name: opts.name ?? `Tenant ${slug}`,
    serviceAccessLevel: opts.serviceAccessLevel,
    remediationExclusions: opts.remediationExclusions,
  });
  const tokens = {} as Record<Role, string>;
  const principals = {} as Record<Role, PrincipalRow>;
  for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) {
    const { principal, token } = await principalWithToken(db, { tenantId: tenant.id, role, name: `${role} of ${slug}` });
    tokens[role] = token;
    principals[role] = principal;
  }
  const expert = await principalWithToken(db, { tenantId: null, role: 'EXPERT', name: `Expert for ${slug}`, serves: [tenant.id] });
  tokens.EXPERT = expert.token;
  principals.EXPERT = expert.principal;
  return { tenant, tenantGid: encodeGlobalID('Tenant', tenant.id), tokens, principals };
}

/** An expert serving several tenants. */
export async function expertServing(app: TestApp, tenants: TenantRow[]) {
  const { principal, token } = await principalWithToken(app.database.db, {
    tenantId: null,
    role: 'EXPERT',
    name: `Expert ${randomUUID().slice(0, 6)}`,
  });
  await serveTenants(app.database.db, principal.id, tenants.map((t) => t.id));
  return { principal, token };
}

export { createPrincipal, encodeGlobalID };

let counter = 0;
/** A realistic ingest input; override what the test cares about. */
export function incidentInput(over: Partial<IngestIncidentInput> = {}): IngestIncidentInput {
  counter += 1;
  const ext = `ext-${randomUUID()}`;
  return {
    externalId: ext,
    title: `Suspicious activity ${counter}`,
    severity: 'MEDIUM',
    alerts: [
      {
        externalId: `${ext}-a1`,
        title: 'Suspicious PowerShell command line',
        severity: 'MEDIUM',
        category: 'Execution',
        detectionSource: 'EDR',
        evidence: [
          { device: { deviceName: `WS-${counter}`, deviceGroup: 'Workstations', osPlatform: 'Windows11' } },
          { file: { deviceName: `WS-${counter}`, fileName: 'evil.ps1', filePath: 'C:\\Temp', sha256: 'a'.repeat(64) } },
          { process: { deviceName: `WS-${counter}`, processName: 'powershell.exe', commandLine: 'powershell -enc AAAA' } },
          { user: { accountName: 'jdoe', domain: 'CORP' } },
        ],
      },
    ],
    ...over,
  };
}
