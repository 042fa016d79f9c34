// Keyset pages of an incident's time-ordered messages (comments, chat, investigation updates),
// oldest first: the one query shape these lists share.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { chatMessages, comments, investigationUpdates, type IncidentRow } from '../db/schema';
import { buildPage, pageRequest, type Page, type PageArgs } from './pagination';

type MessageTable = typeof comments | typeof chatMessages | typeof investigationUpdates;

export async function messagePage<T extends MessageTable>(
  db: Db,
  table: T,
  incident: IncidentRow,
  args: PageArgs,
  totalCount: () => Promise<number>,
): Promise<Page<T['$inferSelect']>> {
  const req = pageRequest(args, ['date']);
  const conds = [eq(table.incidentId, incident.id), eq(table.tenantId, incident.tenantId)];
  if (req.cursor) {
    const [at, id] = req.cursor as [Date, string];
    conds.push(sql`(${table.createdAt}, ${table.id}) ${sql.raw(req.backward ? '<' : '>')} (${at.toISOString()}::timestamptz, ${id}::uuid)`);
  }
  const dir = sql.raw(req.backward ? 'desc' : 'asc');
  const rows = (await db
    .select()
    .from(table as typeof comments)
    .where(and(...conds))
    .orderBy(sql`${table.createdAt} ${dir}`, sql`${table.id} ${dir}`)
    .limit(req.limit + 1)) as T['$inferSelect'][];
  return buildPage(rows, req, (r) => [r.createdAt], totalCount);
}
