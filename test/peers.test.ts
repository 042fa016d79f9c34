// Self-test of the local notification peers in test/helpers/peers.ts (real sockets, no mocks).
import { afterEach, describe, expect, it } from 'vitest';
import nodemailer, { type NodemailerError, type TransportOptions } from 'nodemailer';
import { startHttpReceiver, startSmtpPeer, type HttpReceiver, type SmtpPeer } from './helpers/peers.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function smtpPeer(): Promise<SmtpPeer> {
  const p = await startSmtpPeer();
  closers.push(() => p.close());
  return p;
}

function transport(url: string, extra: Record<string, unknown> = {}) {
  const t = nodemailer.createTransport({ url, ...extra } as TransportOptions);
  closers.push(() => t.close());
  return t;
}

async function sendError(p: Promise<unknown>): Promise<NodemailerError> {
  try {
    await p;
  } catch (err) {
    return err as NodemailerError;
  }
  throw new Error('expected sendMail to fail');
}

const mail = (over: Record<string, unknown> = {}) => ({
  from: 'MDR <alerts@mdr.test>',
  to: ['soc@customer.test', 'Lead <lead@customer.test>'],
  subject: 'Incident INC-1 escalated',
  text: 'plain body',
  html: '<p>html <b>body</b></p>',
  messageId: '<inc-1.n1@mdr.test>',
  ...over,
});

describe('smtp peer', () => {
  it('accepts and parses over a plain smtp:// URL (and ?ignoreTLS=true, pooled)', async () => {
    const peer = await smtpPeer();
    expect(peer.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    const info = await transport(peer.url).sendMail(mail());
    expect(info.accepted).toEqual(['soc@customer.test', 'lead@customer.test']);
    expect(info.rejected).toEqual([]);
    // recorded before the 250 went out
    expect(peer.messages).toHaveLength(1);
    const m = peer.messages[0];
    expect(m).toMatchObject({
      envelopeFrom: 'alerts@mdr.test',
      envelopeTo: ['soc@customer.test', 'lead@customer.test'],
      messageId: '<inc-1.n1@mdr.test>',
      subject: 'Incident INC-1 escalated',
      from: 'alerts@mdr.test',
      to: ['soc@customer.test', 'lead@customer.test'],
      html: '<p>html <b>body</b></p>',
    });
    expect(m.text?.trim()).toBe('plain body');
    expect(m.headers.get('subject')).toBe('Incident INC-1 escalated');
    expect(m.raw).toMatch(/^Message-ID: <inc-1\.n1@mdr\.test>\r?$/m);
    expect(m.acceptedAt).toBeLessThanOrEqual(Date.now());
    expect(peer.attempts).toMatchObject([{ phase: 'data', outcome: 'accepted', messageId: '<inc-1.n1@mdr.test>' }]);

    await transport(`${peer.url}?ignoreTLS=true`, { pool: true }).sendMail(mail({ messageId: '<inc-1.n2@mdr.test>' }));
    const all = await peer.waitFor((ms) => ms.length === 2, 1000);
    expect(all[1].messageId).toBe('<inc-1.n2@mdr.test>');
  });

  it('450 at RCPT then accept: retryable EENVELOPE error, then delivery', async () => {
    const peer = await smtpPeer();
    peer.behave((ctx) => (ctx.attempt === 1 ? { code: 450, message: 'mailbox busy, try later' } : 'accept'));
    const t = transport(peer.url, { pool: true });
    const err = await sendError(t.sendMail(mail({ to: 'soc@customer.test' })));
    expect(err).toMatchObject({
      code: 'EENVELOPE',
      command: 'RCPT TO',
      responseCode: 450,
      permanent: false,
      rejected: ['soc@customer.test'],
    });
    expect(err.rejectedErrors).toHaveLength(1);
    expect(err.rejectedErrors![0]).toMatchObject({ responseCode: 450, recipient: 'soc@customer.test', response: '450 mailbox busy, try later' });
    // recorded by the time the client has the error (pipelined DATA got 503)
    expect(peer.attempts).toMatchObject([
      { phase: 'rcpt', outcome: 'rejected', messageId: undefined, envelopeTo: [], rejectedRecipients: [{ rcpt: 'soc@customer.test', code: 450 }] },
    ]);
    expect(peer.messages).toHaveLength(0);

    const info = await t.sendMail(mail({ to: 'soc@customer.test' }));
    expect(info.accepted).toEqual(['soc@customer.test']);
    expect(peer.messages.map((m) => m.envelopeTo)).toEqual([['soc@customer.test']]);
    expect(peer.attempts.map((a) => `${a.phase}:${a.outcome}`)).toEqual(['rcpt:rejected', 'data:accepted']);
  });

  it('421 at RCPT: smtp-server hangs up, nodemailer reports ECONNECTION with responseCode 421', async () => {
    const peer = await smtpPeer();
    peer.behave(() => ({ code: 421, message: 'closing, try later' }));
    const err = await sendError(transport(peer.url).sendMail(mail()));
    expect(err).toMatchObject({ code: 'ECONNECTION', command: 'CONN', responseCode: 421, permanent: false });
    expect(peer.attempts).toMatchObject([{ phase: 'rcpt', outcome: 'rejected', rejectedRecipients: [{ rcpt: 'soc@customer.test', code: 421 }] }]);
  });

  it('550 for one of two recipients: sendMail resolves, info.rejected names it', async () => {
    const peer = await smtpPeer();
    peer.behave(({ rcpt }) => (rcpt === 'lead@customer.test' ? { code: 550, message: 'no such user' } : 'accept'));
    const info = await transport(peer.url).sendMail(mail());
    expect(info.accepted).toEqual(['soc@customer.test']);
    expect(info.rejected).toEqual(['lead@customer.test']);
    expect(info.rejectedErrors).toHaveLength(1);
    expect(info.rejectedErrors![0]).toMatchObject({ code: 'EENVELOPE', responseCode: 550, permanent: true, recipient: 'lead@customer.test' });
    const [m] = await peer.waitFor((ms) => ms.length === 1, 1000);
    expect(m.envelopeTo).toEqual(['soc@customer.test']);
    expect(m.to).toEqual(['soc@customer.test', 'lead@customer.test']); // header still names both
    expect(peer.attempts).toMatchObject([
      { phase: 'data', outcome: 'accepted', envelopeTo: ['soc@customer.test'], rejectedRecipients: [{ rcpt: 'lead@customer.test', code: 550, message: 'no such user' }] },
    ]);
  });

  it('DATA policy: 451 is EMESSAGE/permanent:false, 554 permanent:true; messageIdSeenCount counts resends', async () => {
    const peer = await smtpPeer();
    peer.behaveOnData(({ messageIdSeenCount }) =>
      messageIdSeenCount === 1 ? { code: 451, message: 'local error' } : messageIdSeenCount === 2 ? { code: 554, message: 'spam' } : 'accept',
    );
    const t = transport(peer.url);
    const e1 = await sendError(t.sendMail(mail()));
    expect(e1).toMatchObject({ code: 'EMESSAGE', command: 'DATA', responseCode: 451, permanent: false });
    const e2 = await sendError(t.sendMail(mail()));
    expect(e2).toMatchObject({ code: 'EMESSAGE', command: 'DATA', responseCode: 554, permanent: true });
    await t.sendMail(mail());
    expect(peer.messages).toHaveLength(1);
    expect(peer.attempts.map((a) => [a.outcome, a.messageId, a.response?.code])).toEqual([
      ['rejected', '<inc-1.n1@mdr.test>', 451],
      ['rejected', '<inc-1.n1@mdr.test>', 554],
      ['accepted', '<inc-1.n1@mdr.test>', undefined],
    ]);
  });

  it('stall at DATA: client times out (ETIMEDOUT) or sees the drop on close (ECONNECTION)', async () => {
    const peer = await startSmtpPeer({ data: () => 'stall' });
    closers.push(() => peer.close());
    const e1 = await sendError(transport(peer.url, { socketTimeout: 300 }).sendMail(mail()));
    expect(e1.code).toBe('ETIMEDOUT');
    expect(e1.responseCode).toBeUndefined();

    const pending = sendError(transport(peer.url).sendMail(mail({ messageId: '<inc-1.n2@mdr.test>' })));
    await peer.waitForAttempts((as) => as.some((a) => a.messageId === '<inc-1.n2@mdr.test>'), 2000);
    expect(peer.attempts).toMatchObject([
      { phase: 'data', outcome: 'stalled', messageId: '<inc-1.n1@mdr.test>' },
      { phase: 'data', outcome: 'stalled', messageId: '<inc-1.n2@mdr.test>', envelopeTo: ['soc@customer.test', 'lead@customer.test'] },
    ]);
    await peer.close();
    const e2 = await pending;
    expect(e2.code).toBe('ECONNECTION');
    expect(e2.responseCode).toBeUndefined();
    expect(peer.messages).toHaveLength(0);
  });

  it('stall at RCPT is recorded once the peer closes; waitFor timeout lists what arrived', async () => {
    const peer = await startSmtpPeer({ rcpt: () => 'stall' });
    const pending = sendError(transport(peer.url).sendMail(mail({ to: 'soc@customer.test' })));
    await peer.until(() => peer.rcpts.length === 1, 2000);
    expect(peer.rcpts).toMatchObject([{ rcpt: 'soc@customer.test', decision: 'stalled', attempt: 1, transaction: 1 }]);
    expect(peer.attempts).toEqual([]); // transaction still open
    await expect(peer.waitFor((ms) => ms.length > 0, 50)).rejects.toThrow(
      /smtp peer waitFor: condition not met within 50 ms\. Accepted 0 message\(s\): \[\]; attempts: \[\]; rcpts: \[\["soc@customer.test","stalled",null\]\]/,
    );
    await peer.close();
    expect((await pending).code).toBe('ECONNECTION');
    expect(peer.attempts).toMatchObject([{ phase: 'rcpt', outcome: 'stalled', stalledRecipients: ['soc@customer.test'], envelopeTo: [] }]);
  });
});

describe('http receiver', () => {
  async function receiver(): Promise<HttpReceiver> {
    const r = await startHttpReceiver();
    closers.push(() => r.close());
    return r;
  }

  it('answers 202 by default and records the request', async () => {
    const r = await receiver();
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hook$/);
    const res = await fetch(`${r.url}?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', n: 1 }) });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]).toMatchObject({ method: 'POST', path: '/hook?x=1', json: { type: 'message', n: 1 }, index: 0 });
    expect(r.requests[0].headers['content-type']).toBe('application/json');
    await fetch(`${r.origin}/other`, { method: 'POST', body: 'not json' });
    expect(r.requests[1]).toMatchObject({ path: '/other', body: 'not json', json: undefined });
  });

  it('script() answers the next requests in order, then the respond() policy', async () => {
    const r = await receiver();
    r.respond((_req, i) => ({ status: 200, headers: { 'x-i': String(i) }, body: '1' }));
    r.script([{ status: 429, headers: { 'retry-after': '0' } }, { status: 500, body: 'boom' }, { status: 202 }]);
    const got: [number, string | null, string][] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(r.url, { method: 'POST', body: '{}' });
      got.push([res.status, res.headers.get('retry-after') ?? res.headers.get('x-i'), await res.text()]);
    }
    expect(got).toEqual([
      [429, '0', ''],
      [500, null, 'boom'],
      [202, null, ''],
      [200, '3', '1'],
    ]);
    await r.waitFor((rs) => rs.length === 4, 100);
    await expect(r.waitFor((rs) => rs.length === 5, 50)).rejects.toThrow(/Received 4 request\(s\)/);
  });

  it("'hang' never answers; close() releases the hung socket", async () => {
    const r = await startHttpReceiver();
    r.respond(() => 'hang');
    const err = await fetch(r.url, { method: 'POST', body: '{"a":1}', signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(r.requests.map((q) => q.json)).toEqual([{ a: 1 }]);
    // a second hung request still open at close time
    const pending = fetch(r.url, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    await r.waitFor((rs) => rs.length === 2, 1000);
    const t0 = Date.now();
    await r.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(TypeError); // fetch failed: other side closed
  });
});
