// Typed documents for the tests (and any TypeScript client) from schema/schema.graphql and the
// operations written with graphql(`…`) in test/. Run `npm run codegen` after changing either.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/**/*.ts', '!test/generated/**'],
  ignoreNoDocuments: true,
  generates: {
    'test/generated/': {
      preset: 'client',
      config: {
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      // persisted-documents.json (sha256:<hex> → document), merged into schema/persisted-documents.json
      // by `npm run persisted:print` (scripts/persisted-documents.ts)
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
    },
  },
};

export default config;
