// The per-request context: the domain context (actor, database, loaders) plus transport facts.
import type { Logger } from '../log';
import type { DomainContext } from '../domain/context';
import type { EventHub } from '../events/hub';
import type { ReportLinks } from '../domain/report/links';

export interface GraphQLContext extends DomainContext {
  log: Logger;
  /** This process's realtime event hub (subscriptions). */
  hub: EventHub;
  /** How many events a subscriber may have waiting before it is dropped. */
  subscriberBuffer: number;
  /** The token the viewer authenticated with (its hash): the access watch and the rate limit key on it. */
  auth?: { tokenHash: string; /** a graphql-ws socket: watched and rate-limited per socket operation */ socket?: boolean };
  /** The client's address: the rate limit key of requests without a token. */
  clientAddress?: string;
  /** Count a resumed subscription's replay against the client's rate limit (RATE_LIMITED past it). */
  chargeReplay?: (events: number) => Promise<void>;
  /** Signs the short-lived links to service report pages (absent: serviceReport gives no link). */
  reportLinks?: ReportLinks;
}
