// The schema builder: plugins, scopes and shared settings. It defines no types; each domain type
// lives in its own file next to its queries and mutations, and schema.ts imports them all.
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { allows, allowsField, type FieldOperation, type Operation } from '../domain/access';
import { encodeGlobalId } from './global-ids';
import type { GraphQLContext } from './context';
import type { Viewer } from '../domain/viewer';

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

/**
 * A context's scopes. scope-auth keeps them (in its per-context cache) as long as the context
 * lives, which for a subscription is its whole life: an object whose loaders are methods costs
 * two fields, where an object of two closures cost ~700 bytes (under tsx, which names every
 * closure it compiles). scope-auth calls each loader bound to this object.
 */
class ViewerScopes {
  readonly authenticated: boolean;
  constructor(private readonly viewer: Viewer | null) {
    this.authenticated = !!viewer;
  }
  policy(op: Operation): boolean {
    return allows(this.viewer, op);
  }
  fieldPolicy(op: FieldOperation): boolean {
    return allowsField(this.viewer, op);
  }
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
    edgesFieldOptions: { nullable: false, description: 'The items of this page, each with its cursor.' },
    nodeFieldOptions: { nullable: false, description: 'The item.' },
    cursorFieldOptions: { description: 'Where this item is in the list: pass it as `after` (or `before`) to page on from it.' },
    pageInfoFieldOptions: { description: 'Whether there are more pages, and the cursors to ask for them.' },
    pageInfoTypeOptions: { description: 'Where a page is in its list.' },
    hasNextPageFieldOptions: { description: 'Whether more items follow (ask with `after: endCursor`).' },
    hasPreviousPageFieldOptions: { description: 'Whether items precede this page (ask with `before: startCursor`).' },
    startCursorFieldOptions: { description: "The first item's cursor; null for an empty page." },
    endCursorFieldOptions: { description: "The last item's cursor; null for an empty page." },
    firstArgOptions: { description: 'Page forwards: at most this many items (1 to 100) after `after`.' },
    afterArgOptions: { description: 'A cursor this list gave you: the page starts after that item.' },
    lastArgOptions: { description: 'Page backwards: at most this many items (1 to 100) before `before`.' },
    beforeArgOptions: { description: 'A cursor this list gave you: the page ends before that item.' },
    defaultEdgeTypeOptions: { description: 'An item of a page, with its cursor.' },
    nodeTypeOptions: {
      description:
        "Every object with an identity: its global id is opaque, stable, and resolves through `node` and `nodes`, within the caller's tenants.",
    },
    idFieldOptions: { description: 'The global id: opaque and stable; `node(id:)` resolves it for everyone allowed to see this object.' },
    nodeQueryOptions: {
      authScopes: { policy: 'node' },
      description:
        "Any object by its global id, every role; null when it does not exist or belongs to a tenant you do not read (the two look the same).",
      args: { id: { description: 'A global id this API gave you.' } },
    },
    nodesQueryOptions: {
      authScopes: { policy: 'nodes' },
      description: 'Several objects by global id, in the order asked; null for each one that does not exist or is not yours to see.',
      args: { ids: { description: 'Global ids this API gave you.' } },
    },
  },
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => new ViewerScopes(ctx.viewer),
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
