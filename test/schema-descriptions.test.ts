// The schema explains itself: every type, field, argument, input field and enum value carries a
// description (the playground and generated clients show them), and no description sends the
// reader to a document an integrator cannot see.
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/graphql/schema';

/** Every described element of the schema as [coordinate, description], built-ins excepted. */
function described(s: GraphQLSchema): [string, string | null | undefined][] {
  const out: [string, string | null | undefined][] = [];
  for (const type of Object.values(s.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    out.push([type.name, type.description]);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        out.push([`${type.name}.${field.name}`, field.description]);
        for (const arg of field.args) out.push([`${type.name}.${field.name}(${arg.name}:)`, arg.description]);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) out.push([`${type.name}.${field.name}`, field.description]);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) out.push([`${type.name}.${value.name}`, value.description]);
    }
  }
  return out;
}

describe('schema descriptions', () => {
  const all = described(schema);

  it('walks the whole schema', () => {
    expect(all.length).toBeGreaterThan(500);
    expect(all.map(([c]) => c)).toEqual(expect.arrayContaining(['Incident.status', 'Query.node(id:)', 'ActivityField.OTHER', 'IncidentFilter.search']));
  });

  it('describes every type, field, argument, input field and enum value', () => {
    const missing = all.filter(([, d]) => !d?.trim()).map(([c]) => c);
    expect(missing, `${missing.length} schema elements without a description`).toEqual([]);
  });

  it('never points to a document the reader of the schema cannot see', () => {
    const pointing = all.filter(([, d]) => d && /SPEC(\.md)?\b|API\.md|STYLE\.md|\.md\b|\bsection \d/i.test(d)).map(([c, d]) => `${c}: ${d}`);
    expect(pointing).toEqual([]);
  });

  it('notices a missing description (the check can fail)', async () => {
    const { buildSchema } = await import('graphql');
    const bare = buildSchema('"A query" type Query { "described" a: Int b(x: Int): Int } enum E { "one" ONE TWO }');
    const missing = described(bare).filter(([, d]) => !d?.trim()).map(([c]) => c);
    expect(missing).toEqual(['Query.b', 'Query.b(x:)', 'E', 'E.TWO']);
  });
});
