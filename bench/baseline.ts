// The raw-SQL baseline: a bare node:http handler that answers the queue query with the same JSON
// as the GraphQL server (data.incidents.nodes, same global ids, same orderings), from one
// hand-written statement through postgres.js. It does what the GraphQL server must do at the
// least: read the body, check the bearer token (with the same 10 s in-process cache), query,
// send. Postgres builds the JSON (json_agg over lateral joins); Node only concatenates.
//
// BASELINE_MODE=rows switches to a Node-side variant: the same statement returns the rows as
// postgres.js values and Node builds the objects and runs JSON.stringify.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { announce, exitWithParent } from './shared';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const mode = process.env.BASELINE_MODE === 'rows' ? 'rows' : 'json';
const sql = postgres(databaseUrl, { max: Number(process.env.DATABASE_POOL_SIZE ?? 10), onnotice: () => {} });

// Global ids as @pothos/plugin-relay encodes them: base64("Typename:uuid"). Postgres' base64
// breaks lines after 76 characters; these ids are at most 60, so none is broken.
const gid = (type: string, col: string) => `encode(convert_to('${type}:' || ${col}, 'UTF8'), 'base64')`;
const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// Same semantics as listIncidents (LAST_UPDATE DESC, id DESC), alertsByIncident (created_at,
// id; first 3) and devicesByIncident (devices named by evidence, by name, id).
// The tenant filter is an IN list of parameters ($1..$n, the page size is $n+1), as drizzle's
// inArray writes it: with one tenant Postgres turns it into `tenant_id = $1` and walks the
// (tenant_id, updated_at, id) index; `= any($1::uuid[])` would sort the whole tenant instead.
const statements = new Map<number, { json: string; rows: string }>();
function statementsFor(tenants: number) {
  let s = statements.get(tenants);
  if (!s) {
    const inList = Array.from({ length: tenants }, (_, i) => `$${i + 1}::uuid`).join(', ');
    const limit = `$${tenants + 1}::int`;
    s = { json: jsonSql(inList, limit), rows: rowsSql(inList, limit) };
    statements.set(tenants, s);
  }
  return s;
}

const PAGE = (inList: string, limit: string) => `
  select id, number, title, severity, status, updated_at
  from incidents
  where tenant_id in (${inList})
  order by updated_at desc, id desc
  limit ${limit}`;
const ALERTS = (inList: string) => `
  select id, title, severity, created_at from alerts
  where incident_id = inc.id and tenant_id in (${inList})
  order by created_at, id
  limit 3`;
const DEVICES = (inList: string) => `
  select d.id, d.name, d.health_status from devices d
  where d.id in (select e.device_id from evidence e where e.incident_id = inc.id and e.tenant_id in (${inList}))
  order by d.name, d.id`;

const jsonSql = (inList: string, limit: string) => `
  with inc as (${PAGE(inList, limit)})
  select coalesce(json_agg(json_build_object(
           'id', ${gid('Incident', 'inc.id')},
           'number', inc.number,
           'title', inc.title,
           'severity', inc.severity,
           'status', inc.status,
           'updatedAt', ${iso('inc.updated_at')},
           'alerts', json_build_object('nodes', coalesce(al.nodes, '[]'::json)),
           'devices', coalesce(dv.nodes, '[]'::json)
         ) order by inc.updated_at desc, inc.id desc), '[]'::json)::text as nodes
  from inc
  left join lateral (
    select json_agg(json_build_object('id', ${gid('Alert', 'a.id')}, 'title', a.title, 'severity', a.severity)
                    order by a.created_at, a.id) as nodes
    from (${ALERTS(inList)}) a
  ) al on true
  left join lateral (
    select json_agg(json_build_object('id', ${gid('Device', 'd.id')}, 'name', d.name, 'healthStatus', d.health_status)
                    order by d.name, d.id) as nodes
    from (${DEVICES(inList)}) d
  ) dv on true`;

// rows mode: the same joins, arrays of composite-free JSON per incident, objects built in Node.
const rowsSql = (inList: string, limit: string) => `
  with inc as (${PAGE(inList, limit)})
  select inc.id, inc.number, inc.title, inc.severity::text as severity, inc.status::text as status, inc.updated_at,
         coalesce(al.ids, '{}') as alert_ids, coalesce(al.titles, '{}') as alert_titles, coalesce(al.sevs, '{}') as alert_sevs,
         coalesce(dv.ids, '{}') as device_ids, coalesce(dv.names, '{}') as device_names, coalesce(dv.health, '{}') as device_health
  from inc
  left join lateral (
    select array_agg(a.id::text order by a.created_at, a.id) as ids, array_agg(a.title order by a.created_at, a.id) as titles,
           array_agg(a.severity::text order by a.created_at, a.id) as sevs
    from (${ALERTS(inList)}) a
  ) al on true
  left join lateral (
    select array_agg(d.id::text order by d.name, d.id) as ids, array_agg(d.name order by d.name, d.id) as names,
           array_agg(d.health_status::text order by d.name, d.id) as health
    from (${DEVICES(inList)}) d
  ) dv on true
  order by inc.updated_at desc, inc.id desc`;

interface Row {
  id: string;
  number: number;
  title: string;
  severity: string;
  status: string;
  updated_at: Date;
  alert_ids: string[];
  alert_titles: string[];
  alert_sevs: string[];
  device_ids: string[];
  device_names: string[];
  device_health: string[];
}
const b64 = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

// Token → tenant ids, cached like src/domain/tokens.ts TokenCache (10 s).
const tokens = new Map<string, { tenantIds: string[] | null; expires: number }>();
async function tenantIdsFor(header: string | undefined): Promise<string[] | null> {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) return null;
  const key = createHash('sha256').update(match[1]).digest('hex');
  const now = Date.now();
  const hit = tokens.get(key);
  if (hit && hit.expires > now) return hit.tenantIds;
  const [row] = await sql<{ role: string; tenant_id: string | null; principal_id: string }[]>`
    select p.role, p.tenant_id, p.id as principal_id from api_tokens t join principals p on p.id = t.principal_id
    where t.token_hash = ${key} and t.revoked_at is null limit 1`;
  let tenantIds: string[] | null = null;
  if (row && row.role === 'EXPERT') {
    const served = await sql<{ tenant_id: string }[]>`select tenant_id from expert_tenants where principal_id = ${row.principal_id}`;
    tenantIds = served.map((s) => s.tenant_id);
  } else if (row) {
    tenantIds = row.tenant_id ? [row.tenant_id] : [];
  }
  tokens.set(key, { tenantIds, expires: now + 10_000 });
  return tenantIds;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const send = (res: ServerResponse, status: number, body: string) =>
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = JSON.parse(await readBody(req)) as { query?: string };
  if (typeof body.query !== 'string') return send(res, 400, '{"errors":[{"message":"query is required"}]}');
  const tenantIds = await tenantIdsFor(req.headers.authorization);
  if (!tenantIds) return send(res, 401, '{"errors":[{"message":"unauthenticated"}]}');
  if (tenantIds.length === 0) return send(res, 200, '{"data":{"incidents":{"nodes":[]}}}');
  const statement = statementsFor(tenantIds.length);
  const params = [...tenantIds, 50];
  if (mode === 'json') {
    const [row] = await sql.unsafe<{ nodes: string }[]>(statement.json, params, { prepare: true });
    return send(res, 200, `{"data":{"incidents":{"nodes":${row.nodes}}}}`);
  }
  const rows = await sql.unsafe<Row[]>(statement.rows, params, { prepare: true });
  const nodes = rows.map((r) => ({
    id: b64('Incident', r.id),
    number: r.number,
    title: r.title,
    severity: r.severity,
    status: r.status,
    updatedAt: r.updated_at.toISOString(),
    alerts: { nodes: r.alert_ids.map((id, i) => ({ id: b64('Alert', id), title: r.alert_titles[i], severity: r.alert_sevs[i] })) },
    devices: r.device_ids.map((id, i) => ({ id: b64('Device', id), name: r.device_names[i], healthStatus: r.device_health[i] })),
  }));
  return send(res, 200, JSON.stringify({ data: { incidents: { nodes } } }));
}

const http = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    process.stderr.write(`baseline error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (!res.headersSent) send(res, 500, '{"errors":[{"message":"internal error"}]}');
  });
});
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  announce((http.address() as AddressInfo).port, { mode });
});
exitWithParent(async () => {
  http.closeAllConnections();
  http.close();
  await sql.end({ timeout: 2 });
});
