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
    incident: t.field({ type: IncidentRef, description: 'The incident whose managed response it belongs to.', resolve: async (m, _a, ctx) => (await ctx.loaders.incident.load(m.incidentId))! }),
    author: t.field({ type: PrincipalRef, description: 'Who wrote it (only name, role and side when you no longer see that principal otherwise).', resolve: async (m, _a, ctx) => (await ctx.loaders.principal.load(m.authorId))! }),
    side: t.field({ type: SideEnum, description: "The author's side: EXPERTS or CUSTOMER.", resolve: (m) => m.side }),
    body: t.exposeString('body', { description: 'The text, at most 30,000 characters.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was sent.', resolve: (m) => m.createdAt }),
  }),
});

const ChatMessagePayload = builder.objectRef<{ message?: ChatMessageRow; errors: unknown[] }>('ChatMessagePayload').implement({
  description: 'The sent message, or why it was not sent.',
  fields: (t) => ({
    message: t.field({ type: ChatMessageRef, nullable: true, description: 'The sent message; null when there were errors.', resolve: (p) => p.message ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const SendChatMessageInput = builder.inputType('SendChatMessageInput', {
  description: 'A chat message to send.',
  fields: (t) => ({ incidentId: t.id({ required: true, description: 'An incident with a published managed response.' }), body: t.string({ required: true, description: 'At most 30,000 characters.' }) }),
});

builder.mutationFields((t) => ({
  sendChatMessage: t.field({
    type: ChatMessagePayload,
    description: 'Chat with the experts (customers) or the customer (experts) on an incident with a managed response.',
    authScopes: { policy: 'sendChatMessage' },
    args: { input: t.arg({ type: SendChatMessageInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ message: await sendChatMessage(ctx, { body: input.body, incidentId: localId(String(input.incidentId), 'Incident', ['incidentId']) }) })),
  }),
}));
