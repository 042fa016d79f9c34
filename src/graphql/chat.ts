// Chat messages between the customer and the experts.
import type { ChatMessageRow } from '../db/schema';
import { sendChatMessage } from '../domain/chat';
import { loadAll } from '../domain/loaders';
import { builder } from './builder';
import { localId, payload, SideEnum, UserError } from './common';
import { ChatMessageRef, IncidentRef, PrincipalRef } from './refs';

builder.node(ChatMessageRef, {
  description: 'A chat message on an incident\'s managed response.',
  id: { resolve: (m) => m.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.chatMessage, ids),
  fields: (t) => ({
    incident: t.field({ type: IncidentRef, resolve: async (m, _a, ctx) => (await ctx.loaders.incident.load(m.incidentId))! }),
    author: t.field({ type: PrincipalRef, resolve: async (m, _a, ctx) => (await ctx.loaders.principal.load(m.authorId))! }),
    side: t.field({ type: SideEnum, resolve: (m) => m.side }),
    body: t.exposeString('body'),
    createdAt: t.field({ type: 'DateTime', resolve: (m) => m.createdAt }),
  }),
});

const ChatMessagePayload = builder.objectRef<{ message?: ChatMessageRow; errors: unknown[] }>('ChatMessagePayload').implement({
  description: 'The sent message, or why it was not sent.',
  fields: (t) => ({
    message: t.field({ type: ChatMessageRef, nullable: true, resolve: (p) => p.message ?? null }),
    errors: t.field({ type: [UserError], resolve: (p) => p.errors as never }),
  }),
});

const SendChatMessageInput = builder.inputType('SendChatMessageInput', {
  fields: (t) => ({ incidentId: t.id({ required: true }), body: t.string({ required: true, description: 'At most 30,000 characters.' }) }),
});

builder.mutationFields((t) => ({
  sendChatMessage: t.field({
    type: ChatMessagePayload,
    description: 'Chat with the experts (customers) or the customer (experts) on an incident with a managed response.',
    authScopes: { policy: 'sendChatMessage' },
    args: { input: t.arg({ type: SendChatMessageInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ message: await sendChatMessage(ctx, { body: input.body, incidentId: localId(String(input.incidentId), 'Incident', ['incidentId']) }) })),
  }),
}));
