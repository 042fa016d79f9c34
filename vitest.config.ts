import { createRequire } from 'node:module';
import os from 'node:os';
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
    // Most files spend much of their time waiting (on the database, a child process, a retry):
    // more files at once than cores. Vitest's default (cores - 1) is one at a time on two cores.
    maxWorkers: Math.max(3, os.availableParallelism()),
    globalSetup: ['test/global-setup.ts'],
    // on PostgreSQL, each file gets a database of its own (a copy of a migrated template)
    setupFiles: ['test/setup-database.ts'],
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent' },
  },
});
