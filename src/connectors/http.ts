// Outbound HTTP to addresses tenants configure (Teams workflows, webhook endpoints, ServiceNow,
// Sentinel): the target is checked against private networks before each call (DNS can change),
// redirects are never followed, every call has a timeout, and the answer is summarised for the
// delivery log (status, duration, the first KB of the body). Failures are DeliveryErrors: network
// trouble, timeouts, 408, 429 and 5xx may pass later; a refused target does not.
import { checkTarget, parseTarget, TargetError } from './targets';

/** A failed send: `permanent` ones are not retried. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The receiver asked us to wait this long (HTTP Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export function withTimeout<T>(ms: number, what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work(controller.signal),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new DeliveryError(`${what} did not answer within ${ms} ms`, false));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}


export interface HttpAnswer {
  status: number;
  durationMs: number;
  headers: Headers;
  /** The body, whole (callers that parse JSON need it). */
  body: string;
  /** The first KB of the body, for the delivery log. */
  excerpt: string;
}

export function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A failed call that still got an answer: the status and excerpt go into the delivery log. */
export class HttpDeliveryError extends DeliveryError {
  constructor(
    message: string,
    permanent: boolean,
    readonly answer: HttpAnswer,
    retryAfter?: number,
  ) {
    super(message, permanent, retryAfter);
  }
}

/** One request to a tenant-configured URL. Resolves with any answer; throws when there is none. */
export async function outboundRequest(
  rawUrl: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  opts: { timeoutMs: number; allowPrivate: boolean; what: string },
): Promise<HttpAnswer> {
  let url: URL;
  try {
    url = parseTarget(rawUrl, { allowPrivate: opts.allowPrivate });
    const target = url;
    // the lookup is bounded too: a name whose DNS hangs is a failed attempt, not a stuck slot
    await withTimeout(opts.timeoutMs, `${opts.what}'s DNS lookup`, () => checkTarget(target, { allowPrivate: opts.allowPrivate }));
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    if (err instanceof TargetError) throw new DeliveryError(`${opts.what} URL ${err.message}`, true);
    throw new DeliveryError(`${opts.what} host could not be resolved: ${(err as Error).message}`, false);
  }
  const started = performance.now();
  try {
    return await withTimeout(opts.timeoutMs, opts.what, async (signal) => {
      const res = await fetch(url, { ...init, redirect: 'manual', signal });
      const body = await res.text().catch(() => '');
      return { status: res.status, durationMs: Math.round(performance.now() - started), headers: res.headers, body, excerpt: body.slice(0, 1024) };
    });
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError(`${opts.what} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`, false);
  }
}

/** An answer that is not 2xx as a DeliveryError: 408, 429 and 5xx retryable, a redirect or other 4xx final unless `retryAll`. */
export function failedAnswer(what: string, a: HttpAnswer, opts: { retryAll?: boolean } = {}): HttpDeliveryError {
  const retryable = opts.retryAll || a.status === 408 || a.status === 429 || a.status >= 500;
  const detail = a.excerpt.replace(/\s+/g, ' ').slice(0, 300);
  const redirect = a.status >= 300 && a.status < 400 ? ` (redirect to ${a.headers.get('location') ?? '?'} not followed)` : '';
  return new HttpDeliveryError(`${what} answered HTTP ${a.status}${redirect}${detail ? `: ${detail}` : ''}`, !retryable, a, retryAfterMs(a.headers.get('retry-after')));
}
