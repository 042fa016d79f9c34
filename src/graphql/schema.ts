// The schema: imports every type file (for their side effects on the builder), then builds.
import { builder } from './builder';
import { syncNodeIds } from './global-ids';
import './common';
import './tenant';
import './evidence';
import './incident';
import './activity';
import './response';
import './estate';
import './chat';
import './investigation';
import './merge';
import './bulk';
import './settings';
import './notifications';
import './suppression';
import './views';
import './outbound';
import './metrics';
import './report';
import './admin';
import './subscriptions';

// (Node ids resolved synchronously: see global-ids.ts)
export const schema = syncNodeIds(builder.toSchema({ sortSchema: false }));
