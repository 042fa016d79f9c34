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
// stream. `startLean` then closes those wrappers around nothing and returns a LeanExecution: the
// source and the arguments, executing each event itself and masking its errors with the same
// function yoga masks with. Any error while starting takes the usual path, so every refusal and
// error reads as before.
import { createSourceEventStream, execute, getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** What the probe leaves for startLean, per operation (by its context object). */
const slots = new WeakMap<object, { source: AsyncIterator<unknown> | null }>();

type MaskError = (error: unknown, message: string) => Error;
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

/**
 * Start `args` through `subscribe` (envelop's, with useLeanSubscribe last among its plugins): a
 * LeanExecution when the subscription starts, else what subscribe answered (an error result).
 */
export async function startLean(
  args: ExecutionArgs,
  subscribe: (args: ExecutionArgs) => Promise<ExecutionResult | AsyncIterable<ExecutionResult>> | ExecutionResult | AsyncIterable<ExecutionResult>,
  mask: MaskError,
): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> {
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
  return new LeanExecution(slot.source, args, mask);
}

/**
 * One shared execution: the field's source stream, and each of its events executed against the
 * operation (graphql-js's MapSourceToResponseEvent), errors masked as yoga masks them. One object
 * and the source: its methods are on the prototype.
 */
export class LeanExecution implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly mask: MaskError,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    let event: IteratorResult<unknown>;
    try {
      event = await this.source.next();
    } catch (err) {
      // as graphql's subscribe reports a source that fails: an error about the operation, masked
      const operation = getOperationAST(this.args.document, this.args.operationName);
      const error = err instanceof Error ? err : new Error(String(err));
      throw this.mask(new GraphQLError(error.message, { originalError: error, nodes: operation ? [operation] : undefined }), MESSAGE);
    }
    if (event.done) return { value: undefined, done: true };
    const result = await execute({ ...this.args, rootValue: event.value });
    if (!result.errors) return { value: result, done: false };
    return { value: { ...result, errors: result.errors.map((e) => this.mask(e, MESSAGE) as GraphQLError) }, done: false };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
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
