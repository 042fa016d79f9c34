// The operator CLI's logic (`npm run mdr -- <command>`, entry point src/cli.ts): tenants, principals,
// which tenants an expert serves, and API tokens, against the same database the service uses
// (DATABASE_URL, or the embedded PGlite database in DATA_DIR). Human-readable output by default,
// `--json` for scripts. `runCli` takes the environment and the output streams as arguments and
// returns the exit code (it never exits the process), so tests can run it in-process; the
// database it opens is closed again before it returns.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { asc, eq, inArray, or } from 'drizzle-orm';
import { ConfigError, loadConfig, type Config } from '../config';
import { openDatabase, type Database, type Db } from '../db/client';
import { loadSnapshot } from '../db/snapshot';
import { apiTokens, expertTenants, principals, tenants, type PrincipalRow, type TenantRow } from '../db/schema';
import { createPrincipal, createTenant, serveTenants, setPrincipalDisabled, unserveTenants } from '../domain/admin';
import { SERVICE_ACCESS_LEVELS, type ServiceAccessLevel } from '../domain/enums';
import { DomainError, invalid, notFound } from '../domain/errors';
import { issueToken, listTokens, revokeToken } from '../domain/tokens';
import { ROLES, type Role } from '../domain/viewer';

/** Bad command line: exit code 2, with a pointer to the help. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
  }
}
/** The database could not be opened: exit code 3. */
class OpenError extends Error {}

type Values = Record<string, string | boolean | undefined>;

interface Output {
  text: string;
  json: unknown;
}

interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Options this command accepts, besides the global ones. */
  options: string[];
  required: string[];
  /** Validate option values before the database is opened; throws UsageError. */
  check?(v: Values): void;
  run(db: Db, v: Values): Promise<Output>;
}

const OPTIONS = {
  slug: { type: 'string' },
  name: { type: 'string' },
  'access-level': { type: 'string' },
  tenant: { type: 'string' },
  role: { type: 'string' },
  email: { type: 'string' },
  serves: { type: 'string' },
  principal: { type: 'string' },
  id: { type: 'string' },
  expires: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
const GLOBAL_OPTIONS = ['json', 'force', 'help'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

const str = (v: Values, key: string) => (typeof v[key] === 'string' ? (v[key] as string) : undefined);
const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function uuidOption(v: Values, key: string, what: string): string {
  const raw = str(v, key)!;
  if (!UUID.test(raw)) throw new UsageError(`--${key} must be ${what} id (a UUID), got "${raw}"`);
  return raw.toLowerCase();
}

function roleOption(raw: string): Role {
  const role = raw.toUpperCase();
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${raw}"`);
  return role as Role;
}

/** --expires: an ISO time, or a duration from now ("30d", "12h", "45m"); in the future. */
function expiresOption(raw: string | undefined): Date | null {
  if (raw === undefined) return null;
  const span = /^(\d{1,6})([dhm])$/.exec(raw.trim());
  const at = span
    ? new Date(Date.now() + Number(span[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[span[2] as 'd' | 'h' | 'm'])
    : /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--expires must be an ISO time or a duration such as 30d, 12h or 45m, got "${raw}"`);
  if (at.getTime() <= Date.now()) throw new UsageError(`--expires must be in the future, got "${raw}"`);
  return at;
}

function accessLevelOption(raw: string | undefined): ServiceAccessLevel | undefined {
  if (raw === undefined) return undefined;
  const level = raw.toUpperCase();
  if (!(SERVICE_ACCESS_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--access-level must be one of ${SERVICE_ACCESS_LEVELS.join(', ')}, got "${raw}"`);
  }
  return level as ServiceAccessLevel;
}

async function tenantsBySlug(db: Db, slugs: string[]): Promise<TenantRow[]> {
  if (slugs.length === 0) return [];
  const rows = await db.select().from(tenants).where(inArray(tenants.slug, slugs));
  const missing = slugs.filter((s) => !rows.some((r) => r.slug === s));
  if (missing.length) throw notFound(`tenant ${missing.map((s) => `"${s}"`).join(', ')}`, ['tenant']);
  return slugs.map((s) => rows.find((r) => r.slug === s)!);
}

async function principalById(db: Db, id: string): Promise<PrincipalRow> {
  const [row] = await db.select().from(principals).where(eq(principals.id, id));
  if (!row) throw notFound(`principal ${id}`, ['principal']);
  return row;
}

/** Plain-text table with a header row; empty cells as "-". */
function table(headers: string[], rows: (string | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** `expert serve` and `expert unserve`: an expert and some tenants by slug, changed in one transaction. */
function expertTenantsCommand(spec: {
  name: string;
  summary: string;
  apply(db: Db, principal: PrincipalRow, tenants: TenantRow[]): Promise<{ text: string; json: unknown }>;
}): Command {
  return {
    name: spec.name,
    usage: `${spec.name} --principal EXPERT_ID --tenant SLUG[,SLUG...]`,
    summary: spec.summary,
    options: ['principal', 'tenant'],
    required: ['principal', 'tenant'],
    check(v) {
      uuidOption(v, 'principal', 'an expert principal');
      if (list(str(v, 'tenant')).length === 0) throw new UsageError('--tenant must name at least one tenant slug');
    },
    async run(db, v) {
      const id = uuidOption(v, 'principal', 'an expert principal');
      const slugs = list(str(v, 'tenant'));
      return db.transaction(async (tx) => {
        const txDb = tx as unknown as Db;
        const principal = await principalById(txDb, id);
        if (principal.role !== 'EXPERT') throw invalid(`principal ${id} has role ${principal.role}: only EXPERT principals serve tenants`, ['principal']);
        return spec.apply(txDb, principal, await tenantsBySlug(txDb, slugs));
      });
    },
  };
}

const COMMANDS: Command[] = [
  {
    name: 'tenant create',
    usage: 'tenant create --slug SLUG --name NAME [--access-level READER|OPERATOR]',
    summary: 'Create a customer tenant (service access level READER unless given).',
    options: ['slug', 'name', 'access-level'],
    required: ['slug', 'name'],
    check: (v) => void accessLevelOption(str(v, 'access-level')),
    async run(db, v) {
      const tenant = await createTenant(db, {
        slug: str(v, 'slug')!,
        name: str(v, 'name')!,
        serviceAccessLevel: accessLevelOption(str(v, 'access-level')),
      });
      return {
        text: `Created tenant ${tenant.slug} ("${tenant.name}"), service access level ${tenant.serviceAccessLevel}\n  id: ${tenant.id}`,
        json: { tenant },
      };
    },
  },
  {
    name: 'tenant list',
    usage: 'tenant list',
    summary: 'List the tenants.',
    options: [],
    required: [],
    async run(db) {
      const rows = await db.select().from(tenants).orderBy(asc(tenants.slug));
      const text = rows.length
        ? table(
            ['SLUG', 'NAME', 'ACCESS LEVEL', 'INCIDENTS', 'ID'],
            rows.map((t) => [t.slug, t.name, t.serviceAccessLevel, String(t.lastIncidentNumber), t.id]),
          )
        : 'No tenants yet. Create one with: tenant create --slug SLUG --name NAME';
      return { text, json: { tenants: rows } };
    },
  },
  {
    name: 'principal create',
    usage:
      'principal create --tenant SLUG --role READER|OPERATOR|ADMIN|INTEGRATION --name NAME [--email EMAIL]\n' +
      '  principal create --role EXPERT --name NAME [--email EMAIL] [--serves SLUG,SLUG...]',
    summary: 'Create a customer principal in a tenant, or a provider-side expert serving some tenants.',
    options: ['tenant', 'role', 'name', 'email', 'serves'],
    required: ['role', 'name'],
    check(v) {
      const role = roleOption(str(v, 'role')!);
      const email = str(v, 'email');
      if (email !== undefined && !EMAIL.test(email)) throw new UsageError(`--email must be an email address, got "${email}"`);
      if (role === 'EXPERT') {
        if (v.tenant !== undefined) {
          throw new UsageError('an EXPERT belongs to the provider, not a tenant: use --serves SLUG,... instead of --tenant');
        }
      } else {
        if (v.serves !== undefined) throw new UsageError(`--serves is for EXPERT principals only (a ${role} belongs to one --tenant)`);
        if (v.tenant === undefined) throw new UsageError(`a ${role} belongs to a tenant: --tenant SLUG is required`);
      }
    },
    async run(db, v) {
      const role = roleOption(str(v, 'role')!);
      const email = str(v, 'email');
      return db.transaction(async (tx) => {
        const txDb = tx as unknown as Db;
        const [tenant] = role === 'EXPERT' ? [null] : await tenantsBySlug(txDb, [str(v, 'tenant')!]);
        const served = role === 'EXPERT' ? await tenantsBySlug(txDb, list(str(v, 'serves'))) : [];
        const principal = await createPrincipal(txDb, {
          tenantId: tenant?.id ?? null,
          role,
          name: str(v, 'name')!,
          email: email ?? null,
        });
        await serveTenants(txDb, principal.id, served.map((t) => t.id));
        const where = tenant ? `in tenant ${tenant.slug}` : served.length ? `serving ${served.map((t) => t.slug).join(', ')}` : 'serving no tenant yet';
        return {
          text:
            `Created ${role} principal "${principal.name}" ${where}\n  id: ${principal.id}\n` +
            `Issue it a token with: token create --principal ${principal.id}`,
          json: { principal, tenant: tenant?.slug ?? null, serves: served.map((t) => t.slug) },
        };
      });
    },
  },
  {
    name: 'principal list',
    usage: 'principal list [--tenant SLUG]',
    summary: "List principals; with --tenant, that tenant's principals and the experts serving it.",
    options: ['tenant'],
    required: [],
    async run(db, v) {
      const slug = str(v, 'tenant');
      let rows: PrincipalRow[];
      if (slug !== undefined) {
        const [tenant] = await tenantsBySlug(db, [slug]);
        const experts = db.select({ id: expertTenants.principalId }).from(expertTenants).where(eq(expertTenants.tenantId, tenant.id));
        rows = await db
          .select()
          .from(principals)
          .where(or(eq(principals.tenantId, tenant.id), inArray(principals.id, experts)))
          .orderBy(asc(principals.createdAt), asc(principals.id));
      } else {
        rows = await db.select().from(principals).orderBy(asc(principals.createdAt), asc(principals.id));
      }
      const allTenants = await db.select({ id: tenants.id, slug: tenants.slug }).from(tenants);
      const slugOf = new Map(allTenants.map((t) => [t.id, t.slug]));
      const ids = rows.filter((r) => r.role === 'EXPERT').map((r) => r.id);
      const serving = ids.length ? await db.select().from(expertTenants).where(inArray(expertTenants.principalId, ids)) : [];
      const servesOf = (id: string) =>
        serving
          .filter((s) => s.principalId === id)
          .map((s) => slugOf.get(s.tenantId)!)
          .sort();
      const out = rows.map((p) => ({
        ...p,
        tenant: p.tenantId ? slugOf.get(p.tenantId)! : null,
        serves: p.role === 'EXPERT' ? servesOf(p.id) : undefined,
      }));
      const text = out.length
        ? table(
            ['ID', 'ROLE', 'TENANT', 'NAME', 'EMAIL', 'DISABLED'],
            out.map((p) => [p.id, p.role, p.tenant ?? `(provider; serves ${p.serves?.join(',') || 'none'})`, p.name, p.email, iso(p.disabledAt)]),
          )
        : 'No principals.';
      return { text, json: { principals: out } };
    },
  },
  expertTenantsCommand({
    name: 'expert serve',
    summary: 'Let an expert serve (read and work on the incidents of) more tenants.',
    async apply(db, principal, tenants) {
      await serveTenants(db, principal.id, tenants.map((t) => t.id));
      const slugs = tenants.map((t) => t.slug);
      return { text: `Expert "${principal.name}" now serves ${slugs.join(', ')}`, json: { principal, serves: slugs } };
    },
  }),
  expertTenantsCommand({
    name: 'expert unserve',
    summary: 'Stop an expert serving tenants: its requests, sockets and streams lose them within TOKEN_CACHE_TTL_MS.',
    async apply(db, principal, tenants) {
      const removed = await unserveTenants(db, principal.id, tenants.map((t) => t.id));
      const slugs = tenants.map((t) => t.slug);
      const note = removed < tenants.length ? ` (${tenants.length - removed} were not served)` : '';
      return { text: `Expert "${principal.name}" no longer serves ${slugs.join(', ')}${note}`, json: { principal, unserved: slugs, removed } };
    },
  }),
  {
    name: 'principal disable',
    usage: 'principal disable --id PRINCIPAL_ID',
    summary: 'Disable a principal: every token of it stops working, open sockets and streams included, within TOKEN_CACHE_TTL_MS.',
    options: ['id'],
    required: ['id'],
    check: (v) => void uuidOption(v, 'id', 'a principal'),
    async run(db, v) {
      const principal = await principalById(db, uuidOption(v, 'id', 'a principal'));
      await setPrincipalDisabled(db, principal.id, true);
      return { text: `Disabled ${principal.role} "${principal.name}" (${principal.id})`, json: { id: principal.id, disabled: true } };
    },
  },
  {
    name: 'principal enable',
    usage: 'principal enable --id PRINCIPAL_ID',
    summary: 'Enable a disabled principal again (its tokens that were not revoked work again).',
    options: ['id'],
    required: ['id'],
    check: (v) => void uuidOption(v, 'id', 'a principal'),
    async run(db, v) {
      const principal = await principalById(db, uuidOption(v, 'id', 'a principal'));
      await setPrincipalDisabled(db, principal.id, false);
      return { text: `Enabled ${principal.role} "${principal.name}" (${principal.id})`, json: { id: principal.id, disabled: false } };
    },
  },
  {
    name: 'token create',
    usage: 'token create --principal ID [--name NAME] [--expires ISO_TIME|30d|12h]',
    summary: 'Issue an API token for a principal (optionally expiring). The token is printed once and stored only as a hash.',
    options: ['principal', 'name', 'expires'],
    required: ['principal'],
    check(v) {
      uuidOption(v, 'principal', 'a principal');
      if (v.name !== undefined && !str(v, 'name')?.trim()) throw new UsageError('--name must not be empty');
      expiresOption(str(v, 'expires'));
    },
    async run(db, v) {
      const id = uuidOption(v, 'principal', 'a principal');
      const name = str(v, 'name') ?? 'cli token';
      const principal = await principalById(db, id);
      const { id: tokenId, token, row } = await issueToken(db, principal.id, name.trim(), { expiresAt: expiresOption(str(v, 'expires')) });
      return {
        text:
          `Token for ${principal.role} "${principal.name}" (token id ${tokenId}${row.expiresAt ? `, expires ${iso(row.expiresAt)}` : ''}):\n\n  ${token}\n\n` +
          'Store it now: it is shown only once (the service keeps only its SHA-256 hash).\n' +
          'Use it as the HTTP header  Authorization: Bearer <token>',
        json: { id: tokenId, token, name: name.trim(), principalId: principal.id, role: principal.role, expiresAt: row.expiresAt },
      };
    },
  },
  {
    name: 'token list',
    usage: 'token list [--principal ID]',
    summary: 'List API tokens (ids and prefixes, never the tokens themselves).',
    options: ['principal'],
    required: [],
    check: (v) => void (v.principal === undefined || uuidOption(v, 'principal', 'a principal')),
    async run(db, v) {
      const id = v.principal === undefined ? undefined : uuidOption(v, 'principal', 'a principal');
      if (id) await principalById(db, id);
      const rows = await listTokens(db, id ? [id] : undefined);
      const text = rows.length
        ? table(
            ['ID', 'PREFIX', 'NAME', 'PRINCIPAL', 'ROLE', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'],
            rows.map((t) => [t.id, `${t.prefix}…`, t.name, t.principalName, t.role, iso(t.createdAt), iso(t.lastUsedAt), iso(t.expiresAt), iso(t.revokedAt)]),
          )
        : 'No tokens.';
      return { text, json: { tokens: rows } };
    },
  },
  {
    name: 'token revoke',
    usage: 'token revoke --id TOKEN_ID',
    summary: 'Revoke an API token (by its id, as printed by `token create` and `token list`).',
    options: ['id'],
    required: ['id'],
    check: (v) => void uuidOption(v, 'id', 'a token'),
    async run(db, v) {
      const id = uuidOption(v, 'id', 'a token');
      const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
      if (!row) throw notFound(`token ${id}`, ['id']);
      const revoked = await revokeToken(db, id);
      const [after] = await db.select({ revokedAt: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, id));
      return {
        text: revoked
          ? `Revoked token ${id} (${row.prefix}…, "${row.name}"). Running instances stop accepting it within their ` +
            'token cache TTL (TOKEN_CACHE_TTL_MS, 10 s by default).'
          : `Token ${id} (${row.prefix}…) was already revoked at ${iso(after.revokedAt)}.`,
        json: { id, revoked, alreadyRevoked: !revoked, revokedAt: after.revokedAt },
      };
    },
  },
];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `mdr: operator commands for the MDR incident service

Usage: npm run mdr -- <command> [options] [--json]
       (with --json, use \`npm run --silent mdr -- ...\` so npm adds nothing to stdout)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help'.padEnd(width)}  Show this help (\`<command> --help\` shows one command's options).

${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

Options:
  --json    Machine-readable output: one JSON document on stdout (errors as JSON on stderr).
  --force   Open an embedded DATA_DIR even though it looks in use (see below).
  -h, --help

Roles: ${ROLES.join(', ')} (EXPERT is provider-side and serves tenants; the others belong to one tenant).
Service access levels: ${SERVICE_ACCESS_LEVELS.join(', ')}.

Database (the same settings as the service):
  DATABASE_URL   PostgreSQL connection string. Safe to use while the service is running.
  DATA_DIR       Otherwise, the embedded PGlite database in DATA_DIR (default ./.data).
                 Embedded PGlite can NOT be opened by two processes at once: stop the service
                 (npm start) before running mdr commands against the same DATA_DIR, and run one
                 mdr command at a time. mdr refuses a DATA_DIR that looks in use; if nothing is
                 running (the service was killed), retry with --force.

Exit codes: 0 success, 1 rejected (unknown tenant or principal, invalid value...),
            2 bad command line or configuration, 3 the database could not be opened.

Examples:
  npm run mdr -- tenant create --slug contoso --name "Contoso Ltd" --access-level OPERATOR
  npm run mdr -- principal create --tenant contoso --role INTEGRATION --name "Defender connector"
  npm run mdr -- principal create --role EXPERT --name "Erin Expert" --serves contoso
  npm run mdr -- token create --principal <principal id> --name "SIEM sync"
  npm run mdr -- token revoke --id <token id>
`;
}

function usageLines(c: Command): string {
  return 'Usage:\n' + c.usage.split('\n').map((l) => `  npm run mdr -- ${l.trim()}`).join('\n');
}

function commandHelp(c: Command): string {
  return `${usageLines(c)}\n\n${c.summary}\n`;
}

/** Parse argv into a command and its option values; throws UsageError. */
function parse(argv: string[]): { command: Command | 'help'; values: Values } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed as { values: Values; positionals: string[] };
  if (positionals.length === 0 || positionals[0] === 'help') {
    if (positionals.length === 0 && !values.help) throw new UsageError('no command given');
    return { command: 'help', values };
  }
  const name = positionals.slice(0, 2).join(' ');
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${positionals[0]} `)).map((c) => c.name);
    throw new UsageError(
      group.length ? `unknown command "${name}"; did you mean: ${group.join(', ')}?` : `unknown command "${positionals.join(' ')}"`,
    );
  }
  if (positionals.length > 2) {
    throw new UsageError(`unexpected argument "${positionals[2]}" (values are given as --option VALUE)`, command);
  }
  if (values.help) return { command, values };
  for (const key of Object.keys(values)) {
    if (!GLOBAL_OPTIONS.includes(key) && !command.options.includes(key)) {
      throw new UsageError(`"${command.name}" does not take --${key}`, command);
    }
  }
  for (const key of command.required) {
    if (values[key] === undefined || values[key] === '') throw new UsageError(`"${command.name}" needs --${key}`, command);
  }
  try {
    command.check?.(values);
  } catch (err) {
    throw err instanceof UsageError && !err.command ? new UsageError(err.message, command) : err;
  }
  return { command, values };
}

/** Refuse an embedded data directory that another process has open (PGlite is single-process). */
function checkDataDirFree(config: Config, force: boolean) {
  const pid = path.join(config.dataDir, 'pgdata', 'postmaster.pid');
  if (!force && fs.existsSync(pid)) {
    throw new OpenError(
      `the embedded database in ${config.dataDir} looks in use (${path.relative(config.dataDir, pid)} exists). ` +
        'Embedded PGlite can not be opened by two processes at once: stop the running service (or other mdr command) ' +
        'first, or use PostgreSQL via DATABASE_URL. If nothing is running (a previous process was killed), retry with --force.',
    );
  }
}

async function open(config: Config, force: boolean): Promise<Database> {
  if (!config.databaseUrl) checkDataDirFree(config, force);
  let database: Database | undefined;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, snapshot: loadSnapshot });
    await database.migrate();
    return database;
  } catch (err) {
    await database?.close().catch(() => {});
    const where = config.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `the embedded database in ${config.dataDir}`;
    const hint = config.databaseUrl
      ? 'Is the server running and the URL right?'
      : 'Is another process (the service, or another mdr command) using this DATA_DIR? Embedded PGlite can not be opened by two processes at once.';
    throw new OpenError(`could not open ${where}: ${(err as Error).message}. ${hint}`);
  }
}

/** Postgres errors that are the operator's input, not a bug (a race past our own checks). */
function pgErrorMessage(err: unknown): string | null {
  const e = err as { code?: string; detail?: string; cause?: { code?: string; detail?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (code === '23505') return `already exists: ${e.detail ?? e.cause?.detail ?? 'a unique value is taken'}`;
  if (code === '23503') return `refers to something that does not exist: ${e.detail ?? e.cause?.detail ?? ''}`;
  return null;
}

export interface CliIo {
  /** The environment the configuration is read from (DATABASE_URL, DATA_DIR...). */
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Run one CLI command (`argv` without the node and script paths) and resolve to its exit code:
 * 0 success, 1 rejected, 2 bad command line or configuration, 3 database could not be opened.
 * Rejects only on a bug (an unexpected error before the database is opened).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const fail = (code: number, kind: string, message: string, extra = ''): number => {
    if (json) io.stderr(JSON.stringify({ error: { kind, message } }) + '\n');
    else io.stderr(`mdr: ${message}${extra}\n`);
    return code;
  };

  let command: Command | 'help';
  let values: Values;
  let config: Config;
  try {
    ({ command, values } = parse(argv));
    config = loadConfig(io.env);
  } catch (err) {
    if (err instanceof UsageError) {
      const more = err.command ? usageLines(err.command) : 'Run `npm run mdr -- help` for the commands and options.';
      return fail(2, 'USAGE', err.message, `\n${more}`);
    }
    if (err instanceof ConfigError) return fail(2, 'CONFIG', `configuration error: ${err.message}`);
    throw err;
  }
  if (command === 'help') {
    io.stdout(helpText());
    return 0;
  }
  if (values.help) {
    io.stdout(commandHelp(command));
    return 0;
  }

  let database: Database | undefined;
  try {
    database = await open(config, values.force === true);
    const out = await command.run(database.db, values);
    io.stdout((json ? JSON.stringify(out.json, null, 2) : out.text) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return fail(2, 'USAGE', err.message, `\n${usageLines(command)}`);
    if (err instanceof OpenError) return fail(3, 'DATABASE', err.message);
    if (err instanceof DomainError) return fail(1, err.code, err.message);
    const pg = pgErrorMessage(err);
    if (pg) return fail(1, 'CONFLICT', pg);
    return fail(1, 'INTERNAL', `unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    await database?.close().catch(() => {});
  }
}
