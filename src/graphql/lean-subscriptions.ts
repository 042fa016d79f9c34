// A shared subscription's execution without the subscribe wrappers around it.
//
// A group of identical subscribers (shared-subscriptions.ts) keeps one execution open for as long
// as anyone listens: mostly idle, waiting for the next event. Run the usual way (envelop's
// subscribe → graphql-tools' subscribe), that execution is a chain of async iterators: the
// executor's map and flatten, envelop's result map and its error and end wrappers, yoga's two
// masking layers, each with its closures and pending promises. That is ~10 KB per idle execution
// (bench/README.md, "Realtime"), for what the GraphQL spec defines as: the field's source stream,
// and `execute` with each event as the root value (MapSourceToResponseEvent).
//
// So a shared execution is started through envelop as before, and every onSubscribe hook runs as
// for any other subscription (cost and depth limits, the input guard, persisted documents, rate
// limits, metrics, access checks), but the last plugin (`useLeanSubscribe`) swaps the subscribe
// function for one that only creates the source stream, keeps it aside, and hands envelop an empty
// stream. `startLean` then closes those wrappers around nothing and returns the source and the
// arguments (LeanStart); the group (shared-subscriptions.ts) executes each event itself and masks
// its errors with the same function yoga masks with. Any error while starting takes the usual
// path, so every refusal and error reads as before.
import { createSourceEventStream, execute, getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** What the probe leaves for startLean, per operation (by its context object). */
const slots = new WeakMap<object, { source: AsyncIterator<unknown> | null }>();

export type MaskError = (error: unknown, message: string) => Error;
const MESSAGE = 'Unexpected error.';

/** The last envelop plugin: for an operation startLean runs, subscribe makes the source stream only. */
export function useLeanSubscribe(): Plugin {
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const slot = slots.get(args.contextValue as object);
      if (!slot) return;
      setSubscribeFn(async (a: ExecutionArgs) => {
        const source = await createSourceEventStream(a);
        if (!isAsyncIterable(source)) {
          // an error (arguments, access): answered as any subscription's
          return subscribeFn(a);
        }
        slot.source = source[Symbol.asyncIterator]();
        return EMPTY;
      });
    },
  };
}

/** A shared execution, started: the field's source stream and the operation to run on each event. */
export class LeanStart {
  constructor(
    readonly source: AsyncIterator<unknown>,
    readonly args: ExecutionArgs,
  ) {}
}

/**
 * Start `args` through `subscribe` (envelop's, with useLeanSubscribe last among its plugins): a
 * LeanStart when the subscription starts, else what subscribe answered (an error result).
 */
export async function startLean(
  args: ExecutionArgs,
  subscribe: (args: ExecutionArgs) => Promise<ExecutionResult | AsyncIterable<ExecutionResult>> | ExecutionResult | AsyncIterable<ExecutionResult>,
): Promise<LeanStart | ExecutionResult | AsyncIterable<ExecutionResult>> {
  const key = args.contextValue as object;
  const slot = { source: null as AsyncIterator<unknown> | null };
  slots.set(key, slot);
  let res: Awaited<ReturnType<typeof subscribe>>;
  try {
    res = await subscribe(args);
  } catch (err) {
    void slot.source?.return?.();
    throw err;
  } finally {
    slots.delete(key);
  }
  if (!slot.source) return res; // a hook answered (a refusal) or the usual path did
  if (!isAsyncIterable(res)) {
    // a hook replaced the (empty) stream with a result of its own: that answer stands
    void slot.source.return?.();
    return res;
  }
  // the wrappers around the empty stream: closed, and nothing holds them any more
  await res[Symbol.asyncIterator]().return?.();
  return new LeanStart(slot.source, args);
}

/** One event of a lean execution: the operation run with the event as its root (graphql-js's MapSourceToResponseEvent), errors masked as yoga masks them. */
export async function executeEvent(args: ExecutionArgs, event: unknown, mask: MaskError): Promise<ExecutionResult> {
  const result = await execute({ ...args, rootValue: event });
  if (!result.errors) return result;
  return { ...result, errors: result.errors.map((e) => mask(e, MESSAGE) as GraphQLError) };
}

/** What a failing source stream becomes, as graphql's subscribe reports it: an error about the operation, masked. */
export function sourceError(args: ExecutionArgs, err: unknown, mask: MaskError): Error {
  const operation = getOperationAST(args.document, args.operationName);
  const error = err instanceof Error ? err : new Error(String(err));
  return mask(new GraphQLError(error.message, { originalError: error, nodes: operation ? [operation] : undefined }), MESSAGE);
}

/** What envelop gets instead of the subscription: a stream that has already ended. */
const EMPTY: AsyncIterableIterator<ExecutionResult> = {
  next: () => Promise.resolve({ value: undefined, done: true }),
  return: () => Promise.resolve({ value: undefined, done: true }),
  [Symbol.asyncIterator]() {
    return this;
  },
};

function isAsyncIterable(v: unknown): v is AsyncIterable<ExecutionResult> {
  return !!v && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
