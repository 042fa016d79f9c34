import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // One copy of graphql-js: without this, ESM imports in our code and CJS requires inside
  // yoga/envelop load two instances ("Cannot use GraphQLObjectType from another module").
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own server; on PGlite each also has its own in-memory database.
    fileParallelism: true,
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent' },
  },
});
