// Before each test file on PostgreSQL: a database of its own, copied from the run's migrated
// template (test/global-setup.ts), and DATABASE_URL pointed at it for everything the file does
// (startApp, child services, fresh databases made beside it); dropped after the file. Files run
// side by side, and on one shared database one file's executor, deliverers or LISTEN would take
// or see another file's work. Copying a template takes a fraction of a second; migrating, seconds.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, inject } from 'vitest';

const template = inject('pgTemplate');
// A worker runs several files one after another (isolate: false): the server's URL is the one the
// run started with, not the previous file's database.
process.env.MDR_TEST_SERVER_URL ??= process.env.DATABASE_URL;
const serverUrl = process.env.MDR_TEST_SERVER_URL;
if (template && serverUrl && process.env.TEST_DB !== 'pglite') {
  const name = `mdr_file_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" template "${template}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  process.env.DATABASE_URL = url.toString();
  afterAll(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });
}
