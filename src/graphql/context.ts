// The per-request context: the domain context (actor, database, loaders) plus transport facts.
import type { Logger } from '../log';
import type { DomainContext } from '../domain/context';

export interface GraphQLContext extends DomainContext {
  log: Logger;
}
