// `print` writes schema/persisted-documents.json (the trusted documents, "sha256:<hex>" → text) from
// src/dashboard/documents.ts and test/generated/persisted-documents.json (`npm run codegen` runs it
// after generating); `check` fails when the committed file differs from what `print` would write.
import fs from 'node:fs';
import path from 'node:path';
import { schema } from '../src/graphql/schema';
import { buildManifest, MANIFEST_FILE, renderManifest } from '../src/persisted/manifest';

const mode = process.argv[2];
const text = renderManifest(await buildManifest(schema));
const file = path.relative(process.cwd(), MANIFEST_FILE);
if (mode === 'print') {
  fs.writeFileSync(MANIFEST_FILE, text);
  console.log(`wrote ${file} (${Object.keys(JSON.parse(text)).length} documents)`);
} else if (mode === 'check') {
  const current = fs.existsSync(MANIFEST_FILE) ? fs.readFileSync(MANIFEST_FILE, 'utf8') : '';
  if (current !== text) {
    console.error(`${file} is out of date: run \`npm run persisted:print\` (after \`npm run codegen\` if test documents changed) and commit the result`);
    process.exit(1);
  }
  console.log(`${file} is up to date`);
} else {
  console.error('usage: tsx scripts/persisted-documents.ts print|check');
  process.exit(2);
}
