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
    // A worker runs its files one after another in one process, importing the server's module graph
    // once instead of once per file (~4 s of CPU a file: on two cores, most of what the suite cost).
    // What a file could leak into the next is kept per file: each builds its own app (startApp),
    // gets its own database (PostgreSQL: test/setup-database.ts; PGlite: in memory), and closes
    // what it opened; module-level caches are keyed by document or tenant id, never by file.
    isolate: false,
    globalSetup: ['test/global-setup.ts'],
    // on PostgreSQL, each file gets a database of its own (a copy of a migrated template)
    setupFiles: ['test/setup-database.ts'],
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent' },
  },
});
