// The trusted documents: schema/persisted-documents.json, one object `{ "sha256:<hex>": "<document>" }`
// where the key is the SHA-256 of the exact text. Built by `npm run persisted:print`
// (scripts/persisted-documents.ts) from
//   - every exported string constant of src/dashboard/documents.ts (the dashboard's documents), and
//   - test/generated/persisted-documents.json (graphql-codegen's client preset, `npm run codegen`),
// and checked by `npm run schema:check` and test/persisted-documents.test.ts.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, validate, type GraphQLSchema } from 'graphql';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MANIFEST_FILE = path.join(ROOT, 'schema/persisted-documents.json');
export const DASHBOARD_DOCUMENTS = path.join(ROOT, 'src/dashboard/documents.ts');
export const CODEGEN_DOCUMENTS = path.join(ROOT, 'test/generated/persisted-documents.json');

/** `sha256:<lowercase hex>` of a document's exact text: its id in the manifest. */
export function documentId(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

export type Manifest = Record<string, string>;

/** The manifest's file text: keys sorted, two-space JSON, a final newline. */
export function renderManifest(manifest: Manifest): string {
  const sorted = Object.fromEntries(Object.keys(manifest).sort().map((k) => [k, manifest[k]]));
  return JSON.stringify(sorted, null, 2) + '\n';
}

/** Every entry's key must be the hash of its text: a tampered or hand-edited entry is refused. */
export function checkEntries(manifest: unknown, source: string): Manifest {
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) throw new Error(`${source}: expected an object of "sha256:<hex>": "<document>"`);
  for (const [key, text] of Object.entries(manifest)) {
    if (typeof text !== 'string') throw new Error(`${source}: the entry ${key} is not a string`);
    if (key !== documentId(text)) throw new Error(`${source}: the entry ${key} is not the SHA-256 of its text (${documentId(text)})`);
  }
  return manifest as Manifest;
}

/** The manifest as committed (read by the server at start). */
export function loadManifest(file = MANIFEST_FILE): Manifest {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} is missing: run \`npm run persisted:print\``);
  return checkEntries(JSON.parse(fs.readFileSync(file, 'utf8')), path.relative(ROOT, file));
}

/**
 * The manifest from its sources. Every document must parse and validate against `schema`
 * (a broken dashboard document fails the build, not a user).
 */
export async function buildManifest(schema: GraphQLSchema, sources = { dashboard: DASHBOARD_DOCUMENTS, codegen: CODEGEN_DOCUMENTS }): Promise<Manifest> {
  const manifest: Manifest = {};
  const add = (text: string, from: string) => {
    let errors;
    try {
      errors = validate(schema, parse(text));
    } catch (err) {
      throw new Error(`${from}: ${(err as Error).message}`);
    }
    if (errors.length) throw new Error(`${from}: ${errors.map((e) => e.message).join('; ')}`);
    manifest[documentId(text)] = text;
  };
  const dashboard = (await import(pathToFileURL(sources.dashboard).href)) as Record<string, unknown>;
  for (const [name, value] of Object.entries(dashboard)) {
    if (typeof value === 'string') add(value, `${path.relative(ROOT, sources.dashboard)} ${name}`);
  }
  if (!fs.existsSync(sources.codegen)) throw new Error(`${path.relative(ROOT, sources.codegen)} is missing: run \`npm run codegen\``);
  const generated = checkEntries(JSON.parse(fs.readFileSync(sources.codegen, 'utf8')), path.relative(ROOT, sources.codegen));
  for (const [key, text] of Object.entries(generated)) add(text, `${path.relative(ROOT, sources.codegen)} ${key}`);
  return manifest;
}
