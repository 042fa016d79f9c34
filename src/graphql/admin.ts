// Administration through the API (SPEC.md section 8, API.md "Service operations"): the tenant
// ADMIN's principals query, the principal and API token mutations, the ApiToken type, and the
// Principal fields `disabled` and `apiTokens`. Who may do what: src/domain/principals.ts.
import type { ApiTokenView } from '../domain/principals';
import {
  apiTokensById,
  apiTokensOf,
  createApiToken,
  createPrincipal,
  listPrincipals,
  revokeApiToken,
  updatePrincipal,
} from '../domain/principals';
import type { PrincipalRow } from '../db/schema';
import { builder } from './builder';
import { localId, payload, RoleEnum, UserError } from './common';
import { PrincipalRef } from './refs';

const ApiTokenRef = builder.objectRef<ApiTokenView>('ApiToken');

builder.node(ApiTokenRef, {
  description:
    "An API token of a principal, as listed: its name, prefix and dates. The token itself is shown once, when it is created; only its hash is stored. Visible to the principal's tenant ADMIN and to the principal itself.",
  id: { resolve: (t) => t.id },
  loadMany: (ids, ctx) => apiTokensById(ctx, ids),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What the token is for, e.g. "SIEM sync".' }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the token, to recognise it (e.g. "mdr_Ab12Cd").' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was issued.', resolve: (k) => k.createdAt }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it last authenticated a request or a connection (to the minute); null: never used.',
      resolve: (k) => k.lastUsedAt,
    }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, description: 'After this it is refused on every transport; null: it does not expire.', resolve: (k) => k.expiresAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was revoked; null: not revoked.', resolve: (k) => k.revokedAt }),
    principal: t.field({
      type: PrincipalRef,
      description: 'Whose token it is.',
      resolve: async (k, _a, ctx) => (await ctx.loaders.principal.load(k.principalId))!,
    }),
  }),
});

builder.objectFields(PrincipalRef, (t) => ({
  disabled: t.boolean({
    description: 'A disabled principal keeps its history, but none of its tokens work on any transport.',
    resolve: (p) => p.disabledAt !== null,
  }),
  apiTokens: t.field({
    type: [ApiTokenRef],
    description: "Its API tokens, revoked and expired ones included, oldest first. Listed to its tenant's ADMIN and to the principal itself; empty for anyone else.",
    resolve: (p, _a, ctx) => apiTokensOf(ctx, p),
  }),
}));

builder.queryFields((t) => ({
  principals: t.connection(
    {
      type: PrincipalRef,
      description: "ADMIN: your tenant's principals (never the experts serving it), oldest first.",
      authScopes: { policy: 'principals' },
      resolve: (_r, args, ctx) => listPrincipals(ctx, args),
    },
    { name: 'PrincipalConnection', description: 'A page of principals.' },
    { name: 'PrincipalEdge', description: 'One principal of a page, with its cursor.' },
  ),
}));

// ---- mutations

const PrincipalPayload = builder.objectRef<{ principal?: PrincipalRow; errors: unknown[] }>('PrincipalPayload').implement({
  description: 'The principal after the change, or why nothing changed.',
  fields: (t) => ({
    principal: t.field({ type: PrincipalRef, nullable: true, description: 'The principal as saved; null when errors say why not.', resolve: (p) => p.principal ?? null }),
    errors: t.field({ type: [UserError], description: 'Empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const ApiTokenSecretPayload = builder.objectRef<{ apiToken?: ApiTokenView; token?: string; errors: unknown[] }>('ApiTokenSecretPayload').implement({
  description: 'A new API token: the listing and, this once, the token itself.',
  fields: (t) => ({
    apiToken: t.field({ type: ApiTokenRef, nullable: true, description: 'The token as listed from now on; null when errors say why not.', resolve: (p) => p.apiToken ?? null }),
    token: t.string({
      nullable: true,
      description: 'The bearer token. Shown only in this response: store it now (the service keeps only its hash).',
      resolve: (p) => p.token ?? null,
    }),
    errors: t.field({ type: [UserError], description: 'Empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const ApiTokenPayload = builder.objectRef<{ apiToken?: ApiTokenView; errors: unknown[] }>('ApiTokenPayload').implement({
  description: 'The API token after the change, or why nothing changed.',
  fields: (t) => ({
    apiToken: t.field({ type: ApiTokenRef, nullable: true, description: 'The token as listed; null when errors say why not.', resolve: (p) => p.apiToken ?? null }),
    errors: t.field({ type: [UserError], description: 'Empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const CreatePrincipalInput = builder.inputType('CreatePrincipalInput', {
  description: 'A new principal of your tenant.',
  fields: (t) => ({
    tenantId: t.id({ description: 'Your tenant (optional); another tenant is NOT_FOUND.' }),
    name: t.string({ required: true, description: '1 to 100 characters.' }),
    email: t.string({ description: 'Contact address (optional).' }),
    role: t.field({ type: RoleEnum, required: true, description: 'READER, OPERATOR, ADMIN or INTEGRATION (EXPERT is the provider\'s: refused).' }),
  }),
});

const UpdatePrincipalInput = builder.inputType('UpdatePrincipalInput', {
  description: "Changes to one of your tenant's principals; fields left out stay as they are.",
  fields: (t) => ({
    principalId: t.id({ required: true, description: "A principal of your tenant." }),
    role: t.field({ type: RoleEnum, description: 'The new role: READER, OPERATOR, ADMIN or INTEGRATION.' }),
    disabled: t.boolean({ description: 'true: none of its tokens work any more (open connections close); false: enabled again.' }),
  }),
});

const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  description: "A new API token for one of your tenant's principals (usually an INTEGRATION).",
  fields: (t) => ({
    principalId: t.id({ required: true, description: 'Whose token it is: a principal of your tenant.' }),
    name: t.string({ required: true, description: 'What it is for, 1 to 100 characters.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'In the future; left out: it does not expire.' }),
  }),
});

const ApiTokenRefInput = builder.inputType('ApiTokenRefInput', {
  description: 'An API token by id.',
  fields: (t) => ({ tokenId: t.id({ required: true, description: "A token of one of your tenant's principals." }) }),
});

const principalArg = (id: string | number) => localId(String(id), 'Principal', ['principalId']);

builder.mutationFields((t) => ({
  createPrincipal: t.field({
    type: PrincipalPayload,
    description: 'ADMIN: create a principal of your tenant (then issue it a token with createApiToken).',
    authScopes: { policy: 'createPrincipal' },
    args: { input: t.arg({ type: CreatePrincipalInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        principal: await createPrincipal(ctx, {
          tenantId: input.tenantId ? localId(String(input.tenantId), 'Tenant', ['tenantId']) : null,
          name: input.name,
          email: input.email,
          role: input.role,
        }),
      })),
  }),
  updatePrincipal: t.field({
    type: PrincipalPayload,
    description: 'ADMIN: change the role of a principal of your tenant, or disable (enable) it. The last active ADMIN cannot be demoted or disabled.',
    authScopes: { policy: 'updatePrincipal' },
    args: { input: t.arg({ type: UpdatePrincipalInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        principal: await updatePrincipal(ctx, { principalId: principalArg(input.principalId), role: input.role, disabled: input.disabled }),
      })),
  }),
  createApiToken: t.field({
    type: ApiTokenSecretPayload,
    description: "ADMIN: issue an API token for a principal of your tenant. The token is in this response only.",
    authScopes: { policy: 'createApiToken' },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(() => createApiToken(ctx, { principalId: principalArg(input.principalId), name: input.name, expiresAt: input.expiresAt })),
  }),
  revokeApiToken: t.field({
    type: ApiTokenPayload,
    description: 'ADMIN: revoke an API token of your tenant: refused from now on, on every transport (open connections close).',
    authScopes: { policy: 'revokeApiToken' },
    args: { input: t.arg({ type: ApiTokenRefInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ apiToken: await revokeApiToken(ctx, { tokenId: localId(String(input.tokenId), 'ApiToken', ['tokenId']) }) })),
  }),
}));
