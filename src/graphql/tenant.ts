import { loadAll } from '../domain/loaders';
// Tenant and Principal types, the viewer, and the tenant query.
import { requireViewer } from '../domain/viewer';
import { builder } from './builder';
import { queryLocalId, RoleEnum, ServiceAccessLevelEnum, SideEnum } from './common';
import { PrincipalRef, TenantRef } from './refs';

builder.node(TenantRef, {
  description: 'A customer organisation. Everything it owns stays within it; experts see the tenants they serve.',
  id: { resolve: (t) => t.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.tenant, ids),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    slug: t.exposeString('slug', { description: 'Short unique handle, e.g. "contoso".' }),
    serviceAccessLevel: t.field({
      type: ServiceAccessLevelEnum,
      description: 'What the tenant allows the experts to do.',
      resolve: (t) => t.serviceAccessLevel,
    }),
    remediationExclusions: t.stringList({
      description: 'Device groups on which experts never act; actions there are left to the customer.',
      resolve: (t) => t.remediationExclusions,
    }),
  }),
});

// Who sees which principal (SPEC.md section 1, README "Roles"): a customer sees the principals of
// its own tenant and the experts serving it; an expert sees every expert and the principals of the
// tenants it serves. node/nodes give null for anyone else, exactly like an id that never existed.
// A reference from a row the viewer may read (an assignee, an author, an actor) stays readable
// when its principal is no longer visible, as a minimal principal: id, name, role, side; no
// email, no tenant (loaders.principal).
builder.node(PrincipalRef, {
  description:
    'A person or service that authenticates with a token. Customers see their own tenant\'s principals and the experts serving it; experts see the experts and the principals of the tenants they serve. Others are null by id; as an author, assignee or actor they show only name, role and side.',
  id: { resolve: (p) => p.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.visiblePrincipal, ids),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    email: t.string({
      nullable: true,
      description: 'Contact address; visible to principals of the same tenant and to experts.',
      resolve: (p, _a, ctx) =>
        ctx.viewer && (ctx.viewer.role === 'EXPERT' || (p.tenantId && p.tenantId === ctx.viewer.tenantId)) ? p.email : null,
    }),
    role: t.field({ type: RoleEnum, description: 'What the principal may do.', resolve: (p) => p.role }),
    side: t.field({
      type: SideEnum,
      description: 'EXPERTS for provider-side principals, CUSTOMER otherwise.',
      resolve: (p) => (p.role === 'EXPERT' ? 'EXPERTS' : 'CUSTOMER'),
    }),
    tenant: t.field({
      type: TenantRef,
      nullable: true,
      description: 'The customer tenant; null for experts.',
      resolve: (p, _a, ctx) => (p.tenantId ? ctx.loaders.tenant.load(p.tenantId) : null),
    }),
  }),
});

interface ViewerShape {
  principalId: string;
}

const ViewerRef = builder.objectRef<ViewerShape>('Viewer').implement({
  description: 'Who is asking: the principal behind the token, its role and its tenants.',
  fields: (t) => ({
    principal: t.field({
      type: PrincipalRef,
      description: 'The principal behind your token.',
      resolve: async (v, _a, ctx) => (await ctx.loaders.principal.load(v.principalId))!,
    }),
    role: t.field({ type: RoleEnum, description: 'Your role: what you may do.', resolve: (_v, _a, ctx) => requireViewer(ctx.viewer).role }),
    tenant: t.field({
      type: TenantRef,
      nullable: true,
      description: 'The customer tenant; null for experts.',
      resolve: (_v, _a, ctx) => {
        const viewer = requireViewer(ctx.viewer);
        return viewer.tenantId ? ctx.loaders.tenant.load(viewer.tenantId) : null;
      },
    }),
    tenantsServed: t.field({
      type: [TenantRef],
      description: 'Tenants the viewer can read: every tenant an expert serves, or the customer\'s own.',
      resolve: async (_v, _a, ctx) => {
        const rows = await loadAll(ctx.loaders.tenant, requireViewer(ctx.viewer).tenantIds);
        return rows.filter((r) => r !== null).sort((a, b) => a.name.localeCompare(b.name));
      },
    }),
  }),
});

builder.queryType({
  description: 'Every query needs a bearer token, except __typename and introspection.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    viewer: t.field({
      type: ViewerRef,
      description: 'The principal behind the token.',
      authScopes: { policy: 'viewer' },
      resolve: (_r, _a, ctx) => ({ principalId: requireViewer(ctx.viewer).principalId }),
    }),
    tenant: t.field({
      type: TenantRef,
      nullable: true,
      description: 'A tenant: a customer\'s own (id optional), or one an expert serves.',
      authScopes: { policy: 'tenant' },
      args: { id: t.arg.id({ description: 'Tenant id; defaults to your own tenant.' }) },
      resolve: (_r, args, ctx) => {
        const viewer = requireViewer(ctx.viewer);
        const id = args.id ? queryLocalId(String(args.id), 'Tenant', 'id') : viewer.tenantId;
        return id ? ctx.loaders.tenant.load(id) : null;
      },
    }),
  }),
});
