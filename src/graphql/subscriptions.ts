// Realtime: incident changes, action progress, chat and the banner, over graphql-ws and SSE.
// authorizeOnSubscribe checks the scopes when the subscription starts; the hub and the stream
// check the tenant of every event; resolvers reload through fresh tenant-scoped loaders.
import type { ActionCardRow, ActivityRow, ChatMessageRow, IncidentRow } from '../db/schema';
import { createLoaders, type Loaders } from '../domain/loaders';
import { managedResponseSummary, matchesFilter, type IncidentFilter } from '../domain/queue';
import { badInput } from '../domain/pagination';
import { readableTenants } from '../domain/access';
import { requireViewer, type Viewer } from '../domain/viewer';
import type { HubEvent } from '../events/hub';
import { eventStream, mapStream } from '../events/streams';
import { builder } from './builder';
import type { GraphQLContext } from './context';
import { queryLocalId } from './common';
import { IncidentFilterInput, ManagedResponseSummaryRef, toDomainFilter } from './incident';
import { ActionCardRef } from './response';
import { ActivityRef, ChatMessageRef, IncidentRef } from './refs';

const IncidentEvent = builder.objectRef<HubEvent>('IncidentEvent').implement({
  description: 'One committed change of an incident (one activity entry).',
  fields: (t) => ({
    eventId: t.id({ description: 'Pass the last one you saw as `after` when reconnecting.', resolve: (e) => String(e.activity.id) }),
    incident: t.field({
      type: IncidentRef,
      description: 'The incident as it is now.',
      // what fresh() primes the loaders with: no loader (nor promise) for each subscriber
      resolve: (e) => e.incident!, // incidentChanged accepts only events of incidents
    }),
    activity: t.field({ type: ActivityRef, description: 'The activity entry: what changed, from what, to what, by whom.', resolve: (e): ActivityRow => e.activity }),
  }),
});

function parseAfter(after: string | number | null | undefined): number | null {
  if (after == null) return null;
  const n = Number(after);
  if (!Number.isSafeInteger(n) || n < 0) throw badInput('"after" must be an eventId you received', 'after');
  return n;
}


/** What a lazy loader set makes its loaders from (gone once they are made), and their seed. */
const PENDING = Symbol('pending loaders');
const SEED = Symbol('loaders seed');
type LazyTarget = Partial<Loaders> & { [PENDING]?: Pick<GraphQLContext, 'db' | 'viewer'>; [SEED]?: IncidentRow };

/**
 * One handler for every lazy loader set: what it needs is on its target, so each set costs a proxy
 * and a small object, not a handler and a closure (every idle subscription's context holds one).
 */
const lazyHandler: ProxyHandler<LazyTarget> = {
  get(t, key, receiver) {
    const ctx = t[PENDING];
    if (ctx) {
      const seed = t[SEED];
      t[PENDING] = t[SEED] = undefined;
      Object.assign(t, createLoaders(ctx.db, ctx.viewer));
      if (seed) t.incident!.prime(seed.id, seed);
    }
    return Reflect.get(t, key, receiver);
  },
};

/**
 * Loaders made on first use. createLoaders makes 17 DataLoaders (and clearing them allocates 17
 * new hash tables): too much to hold for every idle subscriber and to redo for every event, when
 * most events need nothing beyond the incident the hub loaded once for everyone.
 */
export function lazyLoaders(ctx: Pick<GraphQLContext, 'db' | 'viewer'>, seed?: IncidentRow): Loaders {
  return new Proxy<LazyTarget>({ [PENDING]: ctx, [SEED]: seed }, lazyHandler) as Loaders;
}

// Which events each subscription wants. Made by these functions rather than written inline as
// `accept: (e) => …`: a stream holds its filter for its whole life, and under tsx (which names every
// function written as a property, giving it a property table of its own) that costs ~250 bytes more.
const incidentsOf = (viewer: Viewer, filter: IncidentFilter | null) => (e: HubEvent) => !!e.incident && matchesFilter(viewer, e.incident, filter);
const actionsOf = (incidentId: string | null) => (e: HubEvent) =>
  e.activity.field === 'action' && !!e.activity.subjectId && (!incidentId || e.incident?.id === incidentId);
const chatOf = (incidentId: string) => (e: HubEvent) => e.activity.field === 'chat' && e.incident?.id === incidentId && !!e.activity.subjectId;
const statusChangesOf = (tenantId: string | null) => (e: HubEvent) => e.activity.field === 'status' && (!tenantId || e.activity.tenantId === tenantId);

/** Fresh loaders for this event, seeded with the incident the hub loaded once for everyone. */
function fresh(ctx: GraphQLContext, e: HubEvent) {
  ctx.loaders = lazyLoaders(ctx, e.incident ?? undefined);
}

builder.subscriptionType({
  description: 'Live updates. Over graphql-ws (connectionParams: { authorization: "Bearer <token>" }) or SSE.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    incidentChanged: t.field({
      authScopes: { policy: 'incidentChanged' },
      type: IncidentEvent,
      description: 'Every change of every incident in your scope (or the filter\'s), in commit order per incident.',
      args: {
        filter: t.arg({ type: IncidentFilterInput, description: 'Only incidents matching it (as the queue filters); none: every incident you read.' }),
        after: t.arg.id({
          description:
            'Resume: the last eventId you received; the events you missed are replayed first, then the live ones. More than MAX_REPLAY_EVENTS missed, or an eventId no longer retained, ends the subscription with EVENTS_EXPIRED: query the current state and subscribe again without `after`.',
        }),
      },
      subscribe: (_r, args, ctx) => {
        const viewer = requireViewer(ctx.viewer);
        const filter: IncidentFilter | null = toDomainFilter(args.filter);
        return eventStream(ctx.hub, readableTenants(viewer), {
          after: parseAfter(args.after),
          maxBuffer: ctx.subscriberBuffer,
          chargeReplay: ctx.chargeReplay,
          accept: incidentsOf(viewer, filter),
        });
      },
      resolve: (e, _a, ctx) => {
        fresh(ctx, e);
        return e;
      },
    }),
    actionChanged: t.field({
      authScopes: { policy: 'actionChanged' },
      type: ActionCardRef,
      description: 'Action card progress (PENDING → IN_PROGRESS → COMPLETED / FAILED …), for one incident or all of yours, ad-hoc actions from entity pages included.',
      args: {
        incidentId: t.arg.id({ description: "One incident's cards; none: every card you read, ad-hoc actions included." }),
        after: t.arg.id({ description: 'Resume: the last eventId you received (from incidentChanged or an Activity); what you missed is replayed first.' }),
      },
      subscribe: (_r, args, ctx) => {
        const viewer = requireViewer(ctx.viewer);
        const incidentId = args.incidentId ? queryLocalId(String(args.incidentId), 'Incident', 'incidentId') : null;
        const events = eventStream(ctx.hub, readableTenants(viewer), {
          after: parseAfter(args.after),
          maxBuffer: ctx.subscriberBuffer,
          chargeReplay: ctx.chargeReplay,
          accept: actionsOf(incidentId),
        });
        return mapStream(events, async (e) => {
          fresh(ctx, e);
          const card = await ctx.loaders.action.load(e.activity.subjectId!);
          // the card as of this event: a fast action is COMPLETED by the time IN_PROGRESS is sent
          return card ? { ...card, status: (e.activity.toValue as ActionCardRow['status']) ?? card.status } : undefined;
        });
      },
      resolve: (card: ActionCardRow) => card,
    }),
    chatMessageAdded: t.field({
      authScopes: { policy: 'chatMessageAdded' },
      type: ChatMessageRef,
      description: 'New chat messages of one incident.',
      args: {
        incidentId: t.arg.id({ required: true, description: 'The incident whose chat to follow.' }),
        after: t.arg.id({ description: 'Resume: the last eventId you received; the messages you missed are replayed first.' }),
      },
      subscribe: (_r, args, ctx) => {
        const viewer = requireViewer(ctx.viewer);
        const incidentId = queryLocalId(String(args.incidentId), 'Incident', 'incidentId');
        const events = eventStream(ctx.hub, readableTenants(viewer), {
          after: parseAfter(args.after),
          maxBuffer: ctx.subscriberBuffer,
          chargeReplay: ctx.chargeReplay,
          accept: chatOf(incidentId),
        });
        return mapStream(events, async (e) => {
          fresh(ctx, e);
          return (await ctx.loaders.chatMessage.load(e.activity.subjectId!)) ?? undefined;
        });
      },
      resolve: (m: ChatMessageRow) => m,
    }),
    managedResponseSummaryChanged: t.field({
      authScopes: { policy: 'managedResponseSummaryChanged' },
      type: ManagedResponseSummaryRef,
      description: 'The banner, live: the current counts first, then every change.',
      args: { tenantId: t.arg.id({ description: 'Experts: one served tenant; leave out for all of them (customers: their own).' }) },
      subscribe: (_r, args, ctx) => {
        const viewer = requireViewer(ctx.viewer);
        const tenantId = args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null;
        let last = '';
        const compute = async () => {
          const s = await managedResponseSummary(ctx, tenantId);
          last = JSON.stringify(s);
          return s;
        };
        const events = eventStream(ctx.hub, readableTenants(viewer), {
          maxBuffer: ctx.subscriberBuffer,
          accept: statusChangesOf(tenantId),
        });
        return mapStream(
          events,
          async () => {
            const s = await managedResponseSummary(ctx, tenantId);
            const key = JSON.stringify(s);
            if (key === last) return undefined;
            last = key;
            return s;
          },
          compute,
        );
      },
      resolve: (s: { awaitingCustomerAction: number; investigating: number }) => s,
    }),
  }),
});

export type { IncidentRow };
