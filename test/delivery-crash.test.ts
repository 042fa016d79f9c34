// kill -9 of the real service in the middle of a delivery (PostgreSQL), for a notification and
// for a webhook. The notification: the mail server has the message but never answered; the process dies. The next process takes the notification over once
// the lease lapses and sends it again with the same Message-ID, so the receiver can tell it is the
// same message; the row ends SENT after two attempts. Nothing is lost, and no second notification
// appears.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { backend } from './helpers/app';
import { startHttpReceiver, startSmtpPeer } from './helpers/peers';
import { freshPostgresDatabase, startService, type Cleanup, gql } from './helpers/service';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});


/** A fresh PostgreSQL database with one tenant and its ADMIN token; dropped after the test. */
async function freshDatabase(prefix: string) {
  const url = new URL(await freshPostgresDatabase(prefix, cleanups));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-notify-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const setup = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  await setup.migrate();
  const tenant = await createTenant(setup.db, { slug: `notify-${randomUUID().slice(0, 8)}`, name: 'Delivery' });
  const adminToken = (await principalWithToken(setup.db, { tenantId: tenant.id, role: 'ADMIN', name: 'Admin' })).token;
  const integrationToken = (await principalWithToken(setup.db, { tenantId: tenant.id, role: 'INTEGRATION', name: 'Connector' })).token;
  await setup.close();
  const check = postgres(url.toString(), { max: 1, onnotice: () => {} });
  cleanups.push(() => check.end());
  return { url: url.toString(), dataDir, tenant, adminToken, integrationToken, check };
}

const CreateContact = `mutation($input: CreateNotificationContactInput!) { createNotificationContact(input: $input) { errors { code } } }`;
const SendTest = `mutation { sendTestNotification(input: { channel: EMAIL }) { notifications { id messageId } errors { code } } }`;

describe('kill -9 during a delivery', () => {
  it.skipIf(backend !== 'postgres')('the next process resends after the lease, with the same Message-ID', { timeout: 180_000 }, async () => {
    const { url, dataDir, tenant, adminToken, check } = await freshDatabase('mdr_notify');

    const smtp = await startSmtpPeer();
    cleanups.push(() => smtp.close());
    // the first try of every message is read to the end and never answered: the sender hangs
    smtp.behaveOnData((ctx) => (ctx.messageIdSeenCount <= 1 ? 'stall' : 'accept'));


    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      MDR_DEMO: '0',
      SMTP_URL: smtp.url,
      EXECUTOR_POLL_MS: '100',
      EXECUTOR_LEASE_MS: '1500',
      NOTIFY_TIMEOUT: '120s',
    };
    const first = await startService(env, cleanups);
    const created = await gql(
      first.url,
      `mutation($input: CreateNotificationContactInput!) { createNotificationContact(input: $input) { errors { code } } }`,
      { input: { name: 'On call', email: 'oncall@customer.example', purposes: ['INCIDENT_NOTIFICATION'] } },
      adminToken,
    );
    expect(created.data.createNotificationContact.errors).toEqual([]);
    const sent = await gql(
      first.url,
      `mutation { sendTestNotification(input: { channel: EMAIL }) { notification { id messageId status } errors { code } } }`,
      {},
      adminToken,
    );
    expect(sent.data.sendTestNotification.errors).toEqual([]);
    const { messageId } = sent.data.sendTestNotification.notification;
    const id = Buffer.from(sent.data.sendTestNotification.notification.id, 'base64').toString().split(':')[1];

    // the message reached the server, which is "thinking": kill -9 now
    await smtp.waitForAttempts((a) => a.some((x) => x.outcome === 'stalled' && x.messageId === messageId), 20_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const [mid] = await check`select status::text, attempts from notifications where id = ${id}`;
    expect(mid).toEqual({ status: 'SENDING', attempts: 1 });

    const second = await startService(env, cleanups);
    const [mail] = await smtp.waitFor((m) => m.some((x) => x.messageId === messageId), 20_000);
    expect(mail.messageId).toBe(messageId);
    expect(mail.envelopeTo).toEqual(['oncall@customer.example']);
    const tries = smtp.attempts.filter((a) => a.messageId === messageId).map((a) => a.outcome);
    expect(tries).toEqual(['stalled', 'accepted']);

    let row: { status: string; attempts: number } | undefined;
    for (let i = 0; i < 100; i++) {
      [row] = (await check`select status::text, attempts from notifications where id = ${id}`) as unknown as { status: string; attempts: number }[];
      if (row.status === 'SENT') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toEqual({ status: 'SENT', attempts: 2 });
    const [{ n }] = await check`select count(*)::int as n from notifications where tenant_id = ${tenant.id}`;
    expect(n).toBe(1);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it.skipIf(backend !== 'postgres')('WORKERS=4 and a second instance deliver each notification once', { timeout: 180_000 }, async () => {
    const { url, dataDir, adminToken, check } = await freshDatabase('mdr_notify_many');
    const smtp = await startSmtpPeer();
    cleanups.push(() => smtp.close());
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, MDR_DEMO: '0', SMTP_URL: smtp.url, EXECUTOR_POLL_MS: '50', DATABASE_POOL_SIZE: '3' };
    // started side by side (migrations take a lock: one migrates, the other finds it done)
    const [cluster, single] = await Promise.all([
      startService({ ...env, WORKERS: '4', DATA_DIR: dataDir }, cleanups),
      startService({ ...env, DATA_DIR: path.join(dataDir, 'b') }, cleanups),
    ]);
    const addresses = ['a', 'b', 'c'].map((x) => `${x}@customer.example`);
    for (const email of addresses) {
      const r = await gql(cluster.url, CreateContact, { input: { name: email, email, purposes: ['INCIDENT_NOTIFICATION'] } }, adminToken);
      expect(r.data.createNotificationContact.errors).toEqual([]);
    }
    // 20 test sends at once, half to each instance
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => gql(i % 2 ? cluster.url : single.url, SendTest, {}, adminToken)));
    const ids: string[] = [];
    for (const r of sent) {
      expect(r.data.sendTestNotification.errors).toEqual([]);
      ids.push(...r.data.sendTestNotification.notifications.map((n: { messageId: string }) => n.messageId));
    }
    expect(ids).toHaveLength(60);
    await smtp.waitFor((m) => m.length >= 60, 30_000);
    // Stop both, gracefully (a send in progress finishes first): once they have exited, every
    // mail that will ever go out has arrived, a duplicate included.
    cluster.child.kill('SIGTERM');
    single.child.kill('SIGTERM');
    await Promise.all([cluster.exited, single.exited]);
    const received = smtp.messages.map((m) => m.messageId);
    expect(received.length).toBe(60);
    expect(new Set(received)).toEqual(new Set(ids));
    const rows = await check`select status::text, attempts, count(*)::int as n from notifications group by 1, 2`;
    expect(rows).toEqual([{ status: 'SENT', attempts: 1, n: 60 }]);
  });

  it.skipIf(backend !== 'postgres')('a webhook in flight when the process dies is sent again after the lease, with the same webhook-id', { timeout: 180_000 }, async () => {
    const { url, dataDir, tenant, adminToken, integrationToken, check } = await freshDatabase('mdr_hook_crash');
    const hook = await startHttpReceiver();
    cleanups.push(() => hook.close());
    hook.respond((_req, index) => (index === 0 ? 'hang' : { status: 204 }));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      MDR_DEMO: '0',
      WEBHOOK_ALLOW_PRIVATE: '1',
      SECRETS_KEY: 'a-test-key-that-is-at-least-32-characters',
      EXECUTOR_POLL_MS: '100',
      EXECUTOR_LEASE_MS: '1500',
      WEBHOOK_TIMEOUT: '120s',
    };
    const first = await startService(env, cleanups);
    const created = await gql(
      first.url,
      `mutation { createWebhookEndpoint(input: { url: "${hook.url}", eventTypes: [INCIDENT_CREATED] }) { secret errors { code message } } }`,
      {},
      adminToken,
    );
    expect(created.data.createWebhookEndpoint.errors).toEqual([]);
    const ingested = await gql(
      first.url,
      `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { errors { code } } }`,
      { input: { externalId: 'crash-hook-1', title: 'In flight', severity: 'HIGH', alerts: [{ externalId: 'crash-hook-1-a', title: 'Beacon', severity: 'HIGH', evidence: [{ device: { deviceName: 'WS-9', deviceGroup: 'Workstations' } }] }] } },
      integrationToken,
    );
    expect(ingested.data.ingestIncident.errors).toEqual([]);
    await hook.waitFor((r) => r.length === 1, 20_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const [mid] = await check`select status::text, attempts from outbound_deliveries where tenant_id = ${tenant.id}`;
    expect(mid).toEqual({ status: 'SENDING', attempts: 1 });

    // the same SECRETS_KEY: the next process decrypts the endpoint's secret and signs again
    const second = await startService(env, cleanups);
    await hook.waitFor((r) => r.length === 2, 20_000);
    const [a, b] = hook.requests;
    expect(b.headers['webhook-id']).toBe(a.headers['webhook-id']);
    expect(b.body).toBe(a.body);
    expect(() => new Webhook(created.data.createWebhookEndpoint.secret).verify(b.body, b.headers as Record<string, string>)).not.toThrow();
    let row: { status: string; attempts: number } | undefined;
    for (let i = 0; i < 100; i++) {
      [row] = (await check`select status::text, attempts from outbound_deliveries where tenant_id = ${tenant.id}`) as unknown as { status: string; attempts: number }[];
      if (row.status === 'SENT') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toEqual({ status: 'SENT', attempts: 2 });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
