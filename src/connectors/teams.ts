// Microsoft Teams: one POST of an Adaptive Card to the tenant's workflow webhook (the "post to a
// channel when a webhook request is received" template accepts this message envelope). 2xx is
// delivered; 408, 429 and 5xx are retried (Retry-After honoured); any other answer is final.
import { failedAnswer, outboundRequest } from './http';

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

export async function postToTeams(
  webhookUrl: string,
  card: AdaptiveCard,
  opts: { timeoutMs: number; allowPrivate: boolean; messageId: string },
): Promise<void> {
  const answer = await outboundRequest(
    webhookUrl,
    {
      method: 'POST',
      // the notification id travels along, so a receiver that keeps it can de-duplicate resends
      headers: { 'content-type': 'application/json', 'x-mdr-notification-id': opts.messageId },
      body: JSON.stringify(teamsMessage(card)),
    },
    { timeoutMs: opts.timeoutMs, allowPrivate: opts.allowPrivate, what: 'Teams webhook' },
  );
  if (answer.status < 200 || answer.status >= 300) throw failedAnswer('Teams webhook', answer);
}
