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
