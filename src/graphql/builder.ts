// The schema builder: plugins, scopes and shared settings. It defines no types; each domain type
// lives in its own file next to its queries and mutations, and schema.ts imports them all.
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { allows, allowsField, type FieldOperation, type Operation } from '../domain/access';
import { encodeGlobalId } from './global-ids';
import type { GraphQLContext } from './context';

export interface SchemaTypes {
  Context: GraphQLContext;
  AuthScopes: {
    /** any valid token */
    authenticated: boolean;
    /** the access policy (src/domain/access.ts) lets the viewer's role use this operation */
    policy: Operation;
    /** a field only some roles read (FIELD_POLICY in src/domain/access.ts) */
    fieldPolicy: FieldOperation;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string | number };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Connection: { totalCount: () => Promise<number> | number };
}

export const builder = new SchemaBuilder<SchemaTypes>({
  // relay before scope-auth, so that scope checks see decoded global ids
  plugins: [RelayPlugin, ScopeAuthPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    encodeGlobalID: (typename, id) => encodeGlobalId(typename, id),
    cursorType: 'String',
    nodesOnConnection: { description: 'The items of this page, without cursors.' },
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    nodeQueryOptions: { authScopes: { policy: 'node' }, description: 'Any object by its global id; null when it does not exist or is not yours to see.' },
    nodesQueryOptions: { authScopes: { policy: 'nodes' }, description: 'Several objects by global id, in order; null for each one you cannot see.' },
  },
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: !!ctx.viewer,
      policy: (op) => allows(ctx.viewer, op),
      fieldPolicy: (op) => allowsField(ctx.viewer, op),
    }),
    unauthorizedError: (_parent, ctx, info) =>
      ctx.viewer
        ? new GraphQLError(`The ${ctx.viewer.role} role may not use ${info.parentType.name}.${info.fieldName}`, {
            extensions: { code: 'FORBIDDEN', http: { status: 200 } },
          })
        : new GraphQLError('A valid bearer token is required (Authorization: Bearer <token>)', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 200 } },
          }),
  },
});
