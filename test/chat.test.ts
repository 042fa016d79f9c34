// Chat between the customer and the experts (SPEC.md section 4: "exists only once a managed
// response exists"; section 1: READER, OPERATOR, ADMIN and EXPERT may post; section 7: at most
// 30,000 characters). Through the API, as a frontend uses it.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { mutate, summary, truePositive } from './helpers/response';

let app: TestApp;
beforeAll(async () => {
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never);
});
afterAll(async () => {
  await app?.close();
});

const MESSAGE = 'message { id body side createdAt author { id name role } incident { id } }';

const send = (token: string | null, incidentId: string, body: string) =>
  app.gql<any, any>(
    `mutation($input: SendChatMessageInput!) { sendChatMessage(input: $input) { ${MESSAGE} errors { code message field } } }`,
    { input: { incidentId, body } },
    token,
  );

async function chatCount(incidentGid: string) {
  const [r] = await app.database.query<{ n: number }>('select count(*)::int as n from chat_messages where incident_id = $1', [decodeGlobalID(incidentGid).id]);
  return Number(r.n);
}

async function chatPage(token: string, incidentId: string, args: string) {
  const r = await app.gql<any, any>(
    `query($id: ID!) { node(id: $id) { ... on Incident { managedResponse { chat(${args}) {
        totalCount edges { cursor node { id body side } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } } }`,
    { id: incidentId },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data.node.managedResponse.chat;
}

/** A true positive with a published managed response (READER access: the card waits). */
async function published(t: TenantFixture) {
  const inc = await truePositive(app, t);
  const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
    incidentId: inc.id,
    summary,
    actions: [{ kind: 'MANUAL', instructions: 'Reset the password of jdoe' }],
  });
  expect(r.data.publishManagedResponse.errors).toEqual([]);
  return inc;
}

describe('sendChatMessage', () => {
  it('is refused (INVALID_TRANSITION) until a managed response exists, for customers and experts alike', async () => {
    const t = await newTenant(app);
    const inc = await truePositive(app, t);
    for (const token of [t.tokens.READER, t.tokens.OPERATOR, t.tokens.EXPERT]) {
      const r = await send(token, inc.id, 'Is this real?');
      expect(r.data.sendChatMessage.errors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION', message: expect.stringMatching(/managed response/) })]);
      expect(r.data.sendChatMessage.message).toBeNull();
    }
    expect(await chatCount(inc.id)).toBe(0);
    // once published, the same message goes through
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [] });
    const ok = await send(t.tokens.READER, inc.id, 'Is this real?');
    expect(ok.data.sendChatMessage.errors).toEqual([]);
    expect(await chatCount(inc.id)).toBe(1);
  });

  it('customers (READER, OPERATOR, ADMIN) and the experts post, each on their side; the chat lists them oldest first', async () => {
    const t = await newTenant(app);
    const inc = await published(t);
    const posts: [keyof TenantFixture['tokens'], string, string][] = [
      ['READER', 'We saw the alert too. Is the laptop safe to use?', 'CUSTOMER'],
      ['EXPERT', 'Not yet: isolate it first, then reset the password.', 'EXPERTS'],
      ['OPERATOR', 'Isolating now.', 'CUSTOMER'],
      ['ADMIN', 'Password reset done.', 'CUSTOMER'],
      ['EXPERT', 'Thanks, we will keep watching.', 'EXPERTS'],
    ];
    const sent = [];
    for (const [role, body, side] of posts) {
      const r = await send(t.tokens[role], inc.id, `  ${body}  `);
      expect(r.errors, role).toBeUndefined();
      expect(r.data.sendChatMessage.errors, role).toEqual([]);
      const m = r.data.sendChatMessage.message;
      expect(m).toMatchObject({ body, side, author: { id: encodeGlobalID('Principal', t.principals[role].id), role }, incident: { id: inc.id } });
      sent.push(m);
    }
    const chat = await chatPage(t.tokens.READER, inc.id, 'first: 100');
    expect(chat.totalCount).toBe(5);
    expect(chat.edges.map((e: any) => e.node.id)).toEqual(sent.map((m) => m.id));
    expect(chat.edges.map((e: any) => e.node.side)).toEqual(posts.map((p) => p[2]));
    const times = sent.map((m) => Date.parse(m.createdAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // the expert reads the same conversation
    const expertView = await chatPage(t.tokens.EXPERT, inc.id, 'first: 100');
    expect(expertView.edges.map((e: any) => e.node.id)).toEqual(sent.map((m) => m.id));
    // and a message resolves by its global id, for the tenant only
    const other = await newTenant(app);
    const q = `query($id: ID!) { node(id: $id) { ... on ChatMessage { body side } } }`;
    expect((await app.gql<any, any>(q, { id: sent[1].id }, t.tokens.READER)).data.node).toEqual({ body: posts[1][1], side: 'EXPERTS' });
    expect((await app.gql<any, any>(q, { id: sent[1].id }, other.tokens.READER)).data.node).toBeNull();
    expect((await app.gql<any, any>(q, { id: sent[1].id }, other.tokens.EXPERT)).data.node).toBeNull();
  });

  it('INTEGRATION is FORBIDDEN and no token is UNAUTHENTICATED, with nothing written', async () => {
    const t = await newTenant(app);
    const inc = await published(t);
    const integ = await send(t.tokens.INTEGRATION, inc.id, 'sync bot says hi');
    expect(integ.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(integ.data?.sendChatMessage ?? null).toBeNull();
    const anon = await send(null, inc.id, 'hello?');
    expect(anon.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await chatCount(inc.id)).toBe(0);
  });

  it('rejects an empty body and one over 30,000 characters (INVALID_INPUT, nothing written); exactly 30,000 is fine', async () => {
    const t = await newTenant(app);
    const inc = await published(t);
    for (const body of ['x'.repeat(30_001), '   ', '']) {
      const r = await send(t.tokens.OPERATOR, inc.id, body);
      expect(r.data.sendChatMessage.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'body'] })]);
      expect(r.data.sendChatMessage.message).toBeNull();
    }
    expect(await chatCount(inc.id)).toBe(0);
    const max = await send(t.tokens.EXPERT, inc.id, 'y'.repeat(30_000));
    expect(max.data.sendChatMessage.errors).toEqual([]);
    expect(max.data.sendChatMessage.message.body).toHaveLength(30_000);
  });

  it('another tenant\'s incident is NOT_FOUND, exactly like an id that never existed, with nothing written', async () => {
    const mine = await newTenant(app);
    const theirs = await newTenant(app);
    const inc = await published(theirs);
    const ghost = encodeGlobalID('Incident', '00000000-0000-4000-8000-000000000000');
    for (const token of [mine.tokens.READER, mine.tokens.OPERATOR, mine.tokens.ADMIN, mine.tokens.EXPERT]) {
      const foreign = await send(token, inc.id, 'peek');
      const missing = await send(token, ghost, 'peek');
      expect(foreign.data.sendChatMessage.errors).toEqual([{ code: 'NOT_FOUND', message: expect.any(String), field: ['input', 'incidentId'] }]);
      expect(foreign.data.sendChatMessage.errors).toEqual(missing.data.sendChatMessage.errors);
    }
    expect(await chatCount(inc.id)).toBe(0);
    // a malformed id is bad input
    const bad = await send(mine.tokens.READER, 'not-an-id', 'x');
    expect(bad.data.sendChatMessage.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'incidentId'] });
  });

  it('an expert serving several tenants chats on each; one not serving the tenant gets NOT_FOUND', async () => {
    const a = await newTenant(app);
    const b = await newTenant(app);
    const incA = await published(a);
    const incB = await published(b);
    // a's expert does not serve b
    const r = await send(a.tokens.EXPERT, incB.id, 'hello b');
    expect(r.data.sendChatMessage.errors[0].code).toBe('NOT_FOUND');
    const { expertServing } = await import('./helpers/factory');
    const both = await expertServing(app, [a.tenant, b.tenant]);
    for (const id of [incA.id, incB.id]) {
      const ok = await send(both.token, id, 'We are on it.');
      expect(ok.data.sendChatMessage.errors).toEqual([]);
      expect(ok.data.sendChatMessage.message.side).toBe('EXPERTS');
    }
    expect(await chatCount(incA.id)).toBe(1);
    expect(await chatCount(incB.id)).toBe(1);
  });
});

describe('chat pagination', () => {
  it('pages forward with first/after and backward with last/before, without gaps or duplicates', async () => {
    const t = await newTenant(app);
    const inc = await published(t);
    const ids: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const r = await send(i % 2 ? t.tokens.OPERATOR : t.tokens.EXPERT, inc.id, `message ${i}`);
      ids.push(r.data.sendChatMessage.message.id);
    }
    // forward
    const seen: string[] = [];
    let after: string | null = null;
    const hasNext: boolean[] = [];
    for (let guard = 0; guard < 10; guard++) {
      const page: any = await chatPage(t.tokens.READER, inc.id, after ? `first: 3, after: "${after}"` : 'first: 3');
      expect(page.totalCount).toBe(7);
      seen.push(...page.edges.map((e: any) => e.node.id));
      hasNext.push(page.pageInfo.hasNextPage);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
    expect(hasNext).toEqual([true, true, false]);

    // backward from the end
    const last3 = await chatPage(t.tokens.READER, inc.id, 'last: 3');
    expect(last3.edges.map((e: any) => e.node.body)).toEqual(['message 5', 'message 6', 'message 7']);
    expect(last3.pageInfo.hasPreviousPage).toBe(true);
    const back: string[] = [...last3.edges.map((e: any) => e.node.id)];
    let before: string = last3.pageInfo.startCursor;
    for (let guard = 0; guard < 10; guard++) {
      const page: any = await chatPage(t.tokens.READER, inc.id, `last: 3, before: "${before}"`);
      back.unshift(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(back).toEqual(ids);

    // a cursor from the middle, both ways
    const firstTwo = await chatPage(t.tokens.READER, inc.id, 'first: 2');
    const rest = await chatPage(t.tokens.READER, inc.id, `first: 100, after: "${firstTwo.pageInfo.endCursor}"`);
    expect(rest.edges.map((e: any) => e.node.body)).toEqual(['message 3', 'message 4', 'message 5', 'message 6', 'message 7']);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const beforeThird = await chatPage(t.tokens.READER, inc.id, `last: 100, before: "${rest.edges[0].cursor}"`);
    expect(beforeThird.edges.map((e: any) => e.node.body)).toEqual(['message 1', 'message 2']);

    // a page size over 100 is refused
    const big = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { managedResponse { chat(first: 101) { totalCount } } } } }`, { id: inc.id }, t.tokens.READER);
    expect(big.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
