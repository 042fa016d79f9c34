// Microsoft Teams: one POST of an Adaptive Card to the tenant's workflow webhook (the "post to a
// channel when a webhook request is received" template accepts this message envelope). 2xx is
// delivered; 408, 429 and 5xx are retried (Retry-After honoured); any other answer is final.
import { DeliveryError, withTimeout } from './mail';
import { checkTarget, parseTarget, TargetError } from './targets';

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: string;
  body: unknown[];
  actions?: unknown[];
  msteams?: { width?: 'Full' };
}

/** The message envelope Teams workflows accept: one attachment holding the card. */
export function teamsMessage(card: AdaptiveCard) {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export async function postToTeams(
  webhookUrl: string,
  card: AdaptiveCard,
  opts: { timeoutMs: number; allowPrivate: boolean; messageId: string },
): Promise<void> {
  let url: URL;
  try {
    url = parseTarget(webhookUrl, { allowPrivate: opts.allowPrivate });
    await checkTarget(url, { allowPrivate: opts.allowPrivate });
  } catch (err) {
    if (err instanceof TargetError) throw new DeliveryError(`Teams webhook URL ${err.message}`, true);
    throw new DeliveryError(`Teams webhook host could not be resolved: ${(err as Error).message}`, false);
  }
  let res: Response;
  try {
    res = await withTimeout(opts.timeoutMs, 'the Teams webhook', (signal) =>
      fetch(url, {
        method: 'POST',
        // the notification id travels along, so a receiver that keeps it can de-duplicate resends
        headers: { 'content-type': 'application/json', 'x-mdr-notification-id': opts.messageId },
        body: JSON.stringify(teamsMessage(card)),
        redirect: 'manual',
        signal,
      }),
    );
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError(`Teams webhook unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`, false);
  }
  const body = (await res.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300);
  if (res.status >= 200 && res.status < 300) return;
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new DeliveryError(`Teams webhook answered HTTP ${res.status}${body ? `: ${body}` : ''}`, !retryable, retryAfterMs(res.headers.get('retry-after')));
}
