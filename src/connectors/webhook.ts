// Signed webhooks per the Standard Webhooks specification, signed by the maintained
// `standardwebhooks` package: webhook-id (the same on every attempt), webhook-timestamp, and
// webhook-signature "v1,<base64 HMAC-SHA256>" (two, space-separated, while a rotated-out secret
// is still valid). Every non-2xx answer is retried (the receiver may be deploying); a redirect is
// not followed.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { failedAnswer, outboundRequest, type HttpAnswer } from './http';

/** A new signing secret: "whsec_" + 32 random bytes in base64. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export function signatureHeader(secrets: readonly string[], messageId: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(messageId, at, body)).join(' ');
}

export async function postWebhook(
  url: string,
  delivery: { messageId: string; body: string; secrets: readonly string[] },
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<HttpAnswer> {
  const at = new Date();
  const answer = await outboundRequest(
    url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'mdr-incident-service-webhooks/1',
        'webhook-id': delivery.messageId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signatureHeader(delivery.secrets, delivery.messageId, at, delivery.body),
      },
      body: delivery.body,
    },
    { ...opts, what: 'The webhook endpoint' },
  );
  if (answer.status < 200 || answer.status >= 300) throw failedAnswer('The webhook endpoint', answer, { retryAll: true });
  return answer;
}
