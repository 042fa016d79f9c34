// The per-request context: the domain context (actor, database, loaders) plus transport facts.
import type { Logger } from '../log';
import type { DomainContext } from '../domain/context';
import type { EventHub } from '../events/hub';

export interface GraphQLContext extends DomainContext {
  log: Logger;
  /** This process's realtime event hub (subscriptions). */
  hub: EventHub;
  /** How many events a subscriber may have waiting before it is dropped. */
  subscriberBuffer: number;
}

/** Fresh loaders for each subscription event: resolvers must see the state after the event. */
export function clearLoaders(ctx: GraphQLContext): void {
  for (const loader of Object.values(ctx.loaders)) loader.clearAll();
}
