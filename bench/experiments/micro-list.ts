import fs from 'node:fs';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '../../src/db/schema';
import { createLoaders } from '../../src/domain/loaders';
import { listIncidents } from '../../src/domain/queue';
const url = process.env.DATABASE_URL!;
const dbName = new URL(url).pathname.slice(1);
const ticks = () => {
  let t = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(` ${dbName} `)) continue;
      const s = fs.readFileSync(`/proc/${e}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return t;
};
const sql = postgres(url, { max: 4 });
const db = drizzle({ client: sql, schema }) as never;
const [t] = await sql`select t.id from tenants t join incidents i on i.tenant_id = t.id limit 1`;
const viewer = { principalId: 'x', name: 'x', role: 'READER' as const, tenantId: t.id, tenantIds: [t.id] };
async function run(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 50; i++) await fn();
  const t0 = ticks(); const c0 = process.cpuUsage(); const w0 = Date.now();
  const N = 1000;
  for (let i = 0; i < N; i += 4) await Promise.all([fn(), fn(), fn(), fn()]);
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(30), 'db ms/q', (((ticks() - t0) * 10) / N).toFixed(3), 'node ms/q', ((c.user + c.system) / 1000 / N).toFixed(3), 'wall ms/q', ((Date.now() - w0) / N).toFixed(3));
}
const ctx = () => ({ db, viewer, loaders: createLoaders(db, viewer) }) as never;
for (const mode of ['0', '1', '0', '1']) {
  process.env.X_RAW_LIST = mode;
  await run(`listIncidents X_RAW_LIST=${mode}`, () => listIncidents(ctx(), null, null, { first: 50 }));
}
await run('postgres.js unprepared', () => sql.unsafe(`select * from incidents where tenant_id in ($1) order by updated_at desc, id desc limit $2`, [t.id, 51], { prepare: false }));
await run('postgres.js prepared', () => sql.unsafe(`select * from incidents where tenant_id in ($1) order by updated_at desc, id desc limit $2`, [t.id, 51], { prepare: true }));
await sql.end();
process.exit(0);
