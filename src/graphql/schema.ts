// The schema: imports every type file (for their side effects on the builder), then builds.
import { builder } from './builder';
import './common';
import './tenant';
import './evidence';
import './incident';
import './response';
import './chat';
import './settings';
import './subscriptions';

export const schema = builder.toSchema({ sortSchema: false });
