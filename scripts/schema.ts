// `print` writes schema/schema.graphql from the code; `check` fails when the file has drifted.
import fs from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/graphql/schema';

const file = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../schema/schema.graphql');
export const printed = () => printSchema(lexicographicSortSchema(schema)) + '\n';

const mode = process.argv[2];
if (mode === 'print') {
  fs.writeFileSync(file, printed());
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
} else if (mode === 'check') {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (current !== printed()) {
    console.error('schema/schema.graphql is out of date: run `npm run schema:print` and commit the result');
    process.exit(1);
  }
  console.log('schema/schema.graphql is up to date');
}
