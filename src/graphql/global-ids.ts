// Global ids ("Typename:localId" in base64, as @pothos/plugin-relay writes them), made cheaper:
// a queue page carries hundreds of them.
// - encodeGlobalId: the same text Pothos' encoder gives, through the native btoa for ASCII (ids
//   and type names here always are) instead of a Buffer per id.
// - syncNodeIds: Pothos resolves every Node's `id` field through an async wrapper, i.e. one
//   promise (and a trip through the executor's promise path) per object; this swaps in a plain
//   function for types whose id resolver is synchronous. It refuses to start if a Node type or
//   its id carries auth scopes, because the wrapper it replaces is where those would be checked.
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

import { encodeGlobalId } from '../domain/ids';
export { encodeGlobalId };

interface NodeOptions {
  authScopes?: unknown;
  id?: { resolve?: (...args: unknown[]) => unknown; authScopes?: unknown };
}

export function syncNodeIds(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !type.getInterfaces().some((i) => i.name === 'Node')) continue;
    const options = (type.extensions as { pothosOptions?: NodeOptions }).pothosOptions;
    const idResolve = options?.id?.resolve;
    const field = type.getFields().id;
    if (!field || !idResolve) throw new Error(`syncNodeIds: ${type.name} has no Pothos node id resolver (a Pothos upgrade?)`);
    if (options.authScopes || options.id?.authScopes) {
      throw new Error(`syncNodeIds: ${type.name} has auth scopes; its id must keep Pothos' resolver`);
    }
    const name = type.name;
    const resolve: GraphQLFieldResolver<unknown, unknown> = (parent, args, ctx, info) => {
      const raw = idResolve(parent, args, ctx, info);
      return raw !== null && typeof raw === 'object' && typeof (raw as Promise<unknown>).then === 'function'
        ? (raw as Promise<string | number>).then((id) => encodeGlobalId(name, id))
        : encodeGlobalId(name, raw as string | number);
    };
    field.resolve = resolve;
  }
  return schema;
}
