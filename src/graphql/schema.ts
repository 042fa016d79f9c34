// The schema: imports every type file (for their side effects on the builder), then builds.
import { builder } from './builder';
import './common';
import './tenant';
import './evidence';
import './incident';

export const schema = builder.toSchema({ sortSchema: false });
