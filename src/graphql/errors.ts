// The one error model at the GraphQL edge: our error classes become codes, the caller's mistakes
// become BAD_USER_INPUT, and everything unexpected is masked and logged.
import { PothosSchemaError, PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { maskError as defaultMaskError } from 'graphql-yoga';
import { AccessError, DomainError } from '../domain/errors';
import type { Logger } from '../log';

/** Map our error classes to GraphQL error codes; everything unexpected is masked (and logged). */
export function maskError(log: Logger, opts: { production: boolean; debug: boolean }) {
  return (error: unknown, message: string, isDev?: boolean): Error => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof AccessError) {
      return new GraphQLError(original.message, {
        extensions: { code: original.code },
        path: error instanceof GraphQLError ? error.path : undefined,
      });
    }
    if (original instanceof DomainError) {
      return new GraphQLError(original.message, {
        extensions: { code: original.code === 'INVALID_INPUT' ? 'BAD_USER_INPUT' : original.code, field: original.field },
        path: error instanceof GraphQLError ? error.path : undefined,
      });
    }
    if (original instanceof GraphQLError && original.extensions?.code) {
      if (!(error instanceof GraphQLError) || error === original) return original;
      // A coded error wrapped by graphql (a scalar refusing a literal or a variable): keep the
      // wrapper's words, which say where ("Variable "$f" got invalid value ... at "f.createdAfter""),
      // and the code and fields of the original; never the original's stack.
      const message = error.message.includes(original.message) ? error.message : `${error.message} ${original.message}`;
      return new GraphQLError(message, { nodes: error.nodes, path: error.path, extensions: { ...original.extensions } });
    }
    // The caller's mistakes that Pothos and graphql-jit raise without a code: a malformed global
    // id (or one of a type that has no ids), a variable of the wrong type. Bad input, not a crash.
    const path = error instanceof GraphQLError ? error.path : undefined;
    const nodeLookup = path?.length === 1 && (path[0] === 'node' || path[0] === 'nodes');
    if (original instanceof PothosValidationError || (original instanceof PothosSchemaError && nodeLookup)) {
      const text = original instanceof PothosSchemaError ? 'Invalid global ID: it names no loadable type' : original.message;
      return new GraphQLError(text, { extensions: { code: 'BAD_USER_INPUT' }, path });
    }
    if (original instanceof GraphQLError && !path && /^Variable "\$/.test(original.message)) {
      return new GraphQLError(original.message, { nodes: original.nodes, extensions: { code: 'BAD_USER_INPUT' } });
    }
    log.error({ err: original }, 'unexpected error');
    // internals (SQL, parameters, stacks) reach a client only with the explicit debug switch
    return defaultMaskError(error, message, opts.debug && !opts.production && (isDev ?? true));
  };
}
