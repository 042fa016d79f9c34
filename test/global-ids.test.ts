// Global ids: our encoder gives exactly Pothos' text, and the synchronous Node id resolvers are
// installed only where nothing (auth scopes) would be skipped.
import SchemaBuilder from '@pothos/core';
import RelayPlugin, { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { encodeGlobalId, syncNodeIds } from '../src/graphql/global-ids';
import { schema } from '../src/graphql/schema';

describe('global ids', () => {
  it('encodes as @pothos/plugin-relay does, ASCII or not', () => {
    for (const [type, id] of [
      ['Incident', '7d3f6a52-1c1e-4f0b-9a55-0d7a3f1c2b9e'],
      ['ActivityEntry', 12345],
      ['Tenant', 'é-ünïcode-名前'],
    ] as const) {
      expect(encodeGlobalId(type, id)).toBe(encodeGlobalID(type, id));
      expect(decodeGlobalID(encodeGlobalId(type, id))).toEqual({ typename: type, id: String(id) });
    }
  });

  it('every Node type of the schema resolves its id without a promise', () => {
    const nodeTypes = Object.values(schema.getTypeMap()).filter((t) => 'getInterfaces' in t && t.getInterfaces().some((i) => i.name === 'Node'));
    expect(nodeTypes.length).toBeGreaterThan(5);
    const incident = schema.getType('Incident') as { getFields(): Record<string, { resolve?: (...a: unknown[]) => unknown }> };
    const id = incident.getFields().id.resolve!({ id: 'abc' }, {}, {}, {});
    expect(id).toBe(encodeGlobalID('Incident', 'abc'));
  });

  it('refuses a Node type with auth scopes (its id would skip them)', async () => {
    const builder = new SchemaBuilder<{ AuthScopes: { admin: boolean }; Context: { admin: boolean } }>({
      plugins: [RelayPlugin, ScopeAuthPlugin],
      relay: {},
      scopeAuth: { authScopes: (ctx) => ({ admin: ctx.admin }) },
    });
    const Secret = builder.objectRef<{ id: string }>('Secret');
    builder.node(Secret, { id: { resolve: (s) => s.id }, authScopes: { admin: true }, fields: () => ({}) });
    builder.queryType({ fields: (t) => ({ secret: t.field({ type: Secret, resolve: () => ({ id: 's1' }) }) }) });
    const scoped = builder.toSchema();
    // Pothos checks the scope on the type's fields, id included...
    const denied = await graphql({ schema: scoped, source: '{ secret { id } }', contextValue: { admin: false } });
    expect(denied.errors?.length).toBeGreaterThan(0);
    // ...so swapping that resolver is refused
    expect(() => syncNodeIds(scoped)).toThrow(/auth scopes/);
  });
});
