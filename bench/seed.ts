// Bulk seed for the queue benchmark: one tenant with a READER token, N incidents with 3 alerts
// each and 4 evidence rows per incident (device + file on alert 1, process on alert 2, user on
// alert 3), all written with set-based SQL (generate_series), not through the API.
import type { Database } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';

export interface SeedOptions {
  incidents: number;
  /** Size of the tenant's fleet; incidents pick their devices from it. */
  devices: number;
}

export interface Seeded {
  tenantId: string;
  token: string;
  counts: Record<string, number>;
  ms: number;
}

// Every incident touches device A (device, file and usually process evidence); one in three
// runs its process on a second device B, so `devices` has 1 or 2 entries.
const devA = (n: string, fleet: number) => `(1 + (${n} * 13) % ${fleet})`;
const devB = (n: string, fleet: number) => `(1 + (${n} * 29 + 7) % ${fleet})`;

export async function seedQueue(database: Database, opts: SeedOptions): Promise<Seeded> {
  const started = Date.now();
  const slug = `bench-${Date.now().toString(36)}`;
  const tenant = await createTenant(database.db, { slug, name: `Benchmark ${slug}` });
  const { token } = await principalWithToken(database.db, { tenantId: tenant.id, role: 'READER', name: 'Bench reader' });
  const q = (text: string, params: unknown[] = [tenant.id]) => database.query(text, params);
  const N = opts.incidents;
  const D = opts.devices;

  // The fleet: every tenth device a server.
  await q(
    `insert into devices (tenant_id, name, device_group, os_platform, health_status, isolated, last_seen_at, created_at)
     select $1,
            case when d % 10 = 0 then 'SRV-' else 'WS-' end || lpad(d::text, 5, '0'),
            case when d % 10 = 0 then 'Servers' else 'Workstations' end,
            case when d % 10 = 0 then 'WindowsServer2022' when d % 3 = 0 then 'macOS' else 'Windows11' end,
            (case when d % 7 = 0 then 'INACTIVE' else 'ACTIVE' end)::device_health,
            d % 97 = 0,
            timestamptz '2026-03-01 00:00:00Z' - d * interval '17 seconds',
            timestamptz '2025-06-01 00:00:00Z' + d * interval '13 minutes'
     from generate_series(1, ${D}) d`,
  );

  // Incidents. updated_at is a permutation of the numbers (7919 is prime to 10^k), so the queue
  // order is not the insertion order; every timestamp is distinct.
  await q(
    `insert into incidents (tenant_id, number, external_id, title, description, severity, status, classification,
                            determination, assignment, custom_tags, system_tags, priority_score, version, search_text,
                            created_at, updated_at, first_activity_at, last_activity_at)
     select $1, n, 'bench-' || n, t.title, 'Benchmark incident ' || n,
            (array['INFORMATIONAL','LOW','MEDIUM','HIGH'])[1 + (n * 7) % 4]::severity,
            (array['ACTIVE','IN_PROGRESS','AWAITING_CUSTOMER_ACTION','RESOLVED'])[1 + (n * 3) % 4]::incident_status,
            (case when (n * 3) % 4 = 3 then 'TRUE_POSITIVE' else 'UNKNOWN' end)::classification,
            (case when (n * 3) % 4 = 3 then 'MALWARE' else 'UNKNOWN' end)::determination,
            (array['EXPERTS','CUSTOMER','UNASSIGNED'])[1 + n % 3]::assignment,
            case when n % 5 = 0 then array['bench', 'tag-' || (n % 11)] else '{}'::text[] end,
            array['Defender Experts'],
            (array[5,20,40,60])[1 + (n * 7) % 4] + 6 + case when a % 10 = 0 then 15 else 0 end + 10,
            1 + n % 5,
            lower(t.title || ' #' || n || ' ' || dn.name || ' payload-' || n || '.exe powershell.exe user' || (n % 500)),
            c.created_at, u.updated_at, c.created_at - interval '10 minutes', u.updated_at
     from generate_series(1, ${N}) n
     cross join lateral (select ${devA('n', D)} as a) da
     cross join lateral (select case when a % 10 = 0 then 'SRV-' else 'WS-' end || lpad(a::text, 5, '0') as name) dn
     cross join lateral (select (array['Ransomware activity','Suspicious PowerShell','Credential theft','Phishing link clicked',
                                       'Lateral movement','Unwanted software'])[1 + n % 6] || ' on ' || dn.name as title) t
     cross join lateral (select timestamptz '2026-03-01 00:00:00Z' - interval '3 days'
                                - ((n * 3307) % ${N}) * interval '60 seconds' - (n % 991) * interval '1 millisecond' as created_at) c
     cross join lateral (select timestamptz '2026-03-01 00:00:00Z'
                                - ((n * 7919) % ${N}) * interval '25 seconds' - (n % 997) * interval '1 millisecond' as updated_at) u`,
  );
  await q(`update tenants set last_incident_number = ${N} where id = $1`);

  // Three alerts per incident, a minute apart.
  await q(
    `insert into alerts (tenant_id, incident_id, external_id, title, severity, category, detection_source, created_at)
     select $1, i.id, i.external_id || '-a' || k,
            (array['Suspicious process injection','Malicious file detected','Anomalous sign-in','Suspicious PowerShell command line'])[1 + (i.number + k) % 4],
            (array['INFORMATIONAL','LOW','MEDIUM','HIGH'])[1 + (i.number + k) % 4]::severity,
            (array['Execution','Malware','CredentialAccess','LateralMovement'])[1 + (i.number * k) % 4],
            (array['EDR','Antivirus','Identity'])[1 + k % 3],
            i.first_activity_at + k * interval '1 minute' + (i.number % 7) * interval '1 millisecond'
     from incidents i cross join generate_series(1, 3) k
     where i.tenant_id = $1`,
  );

  // One file per incident on its device A.
  await q(
    `with dev as (select id, substring(name from '[0-9]+$')::int as d from devices where tenant_id = $1)
     insert into device_files (tenant_id, device_id, file_name, file_path, sha256, created_at)
     select $1, dev.id, 'payload-' || i.number || '.exe', 'C:\\Users\\Public\\Downloads',
            encode(sha256(convert_to('bench-' || i.number, 'UTF8')), 'hex'), i.first_activity_at
     from incidents i join dev on dev.d = ${devA('i.number', D)}
     where i.tenant_id = $1`,
  );

  // Four evidence rows per incident.
  await q(
    `with dev as (select id, name, substring(name from '[0-9]+$')::int as d from devices where tenant_id = $1),
          al as (select a.id, a.incident_id, right(a.external_id, 1)::int as k, a.created_at from alerts a where a.tenant_id = $1),
          inc as (select i.id, i.number from incidents i where i.tenant_id = $1)
     insert into evidence (tenant_id, incident_id, alert_id, kind, position, device_id, file_id, value, details, created_at)
     select $1, inc.id, al.id, e.kind::evidence_kind, e.position, e.device_id, e.file_id, e.value, e.details, al.created_at
     from inc
     join al on al.incident_id = inc.id
     join dev da on da.d = ${devA('inc.number', D)}
     join dev db on db.d = ${devB('inc.number', D)}
     join device_files f on f.device_id = da.id and f.file_name = 'payload-' || inc.number || '.exe'
     cross join lateral (values
       (1, 'DEVICE', 0, da.id, null::uuid, da.name, '{}'::jsonb),
       (1, 'FILE', 1, da.id, f.id, f.file_name, jsonb_build_object('sha1', null, 'sha256', f.sha256)),
       (2, 'PROCESS', 0, case when inc.number % 3 = 0 then db.id else da.id end, null::uuid, 'powershell.exe',
          jsonb_build_object('commandLine', 'powershell.exe -nop -enc SQBFAFgA' || inc.number, 'processId', (1000 + inc.number % 60000)::text,
                             'deviceName', case when inc.number % 3 = 0 then db.name else da.name end)),
       (3, 'USER', 0, null::uuid, null::uuid, 'user' || (inc.number % 500),
          jsonb_build_object('domain', 'CORP', 'userPrincipalName', 'user' || (inc.number % 500) || '@corp.example'))
     ) as e(k, kind, position, device_id, file_id, value, details)
     where e.k = al.k`,
  );

  await q('analyze incidents, alerts, evidence, devices, device_files, api_tokens, principals', []);

  const counts: Record<string, number> = {};
  for (const table of ['incidents', 'alerts', 'evidence', 'devices', 'device_files']) {
    const [row] = await database.query<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenant.id]);
    counts[table] = Number(row.n);
  }
  return { tenantId: tenant.id, token, counts, ms: Date.now() - started };
}
