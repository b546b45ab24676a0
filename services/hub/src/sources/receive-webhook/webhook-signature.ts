import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookProvider, WebhookRejectionReason } from '@flotilla/domain';

export type WebhookHeaders = Record<string, string | string[] | undefined>;

const header = (headers: WebhookHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Gitea also sends GitHub-style headers, so it is recognised first. */
export function detectProvider(headers: WebhookHeaders): WebhookProvider {
  if (header(headers, 'x-gitea-signature') !== undefined || header(headers, 'x-gitea-event') !== undefined)
    return 'gitea';
  if (header(headers, 'x-hub-signature-256') !== undefined || header(headers, 'x-github-event') !== undefined)
    return 'github';
  if (header(headers, 'x-gitlab-token') !== undefined || header(headers, 'x-gitlab-event') !== undefined)
    return 'gitlab';
  return 'unknown';
}

/** Compares digests of both sides, so neither the length nor the content of the secret leaks through timing. */
function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

const hmacHex = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

/**
 * Checks a delivery against the source's secret, over the exact bytes received (a
 * re-serialised JSON body would not match the sender's signature):
 * GitHub `X-Hub-Signature-256: sha256=<hex hmac>`, Gitea `X-Gitea-Signature: <hex hmac>`,
 * GitLab `X-Gitlab-Token: <secret>`.
 */
export function verifyWebhook(
  headers: WebhookHeaders,
  rawBody: Buffer,
  secret: string,
): { provider: WebhookProvider; ok: true } | { provider: WebhookProvider; ok: false; reason: WebhookRejectionReason } {
  const provider = detectProvider(headers);
  const presented =
    provider === 'github'
      ? header(headers, 'x-hub-signature-256')
      : provider === 'gitea'
        ? header(headers, 'x-gitea-signature')
        : provider === 'gitlab'
          ? header(headers, 'x-gitlab-token')
          : undefined;
  if (!presented) return { provider, ok: false, reason: 'missing-signature' };
  const expected =
    provider === 'github'
      ? `sha256=${hmacHex(secret, rawBody)}`
      : provider === 'gitea'
        ? hmacHex(secret, rawBody)
        : secret;
  const given = provider === 'gitlab' ? presented : presented.trim().toLowerCase();
  return constantTimeEqual(given, expected)
    ? { provider, ok: true }
    : { provider, ok: false, reason: 'invalid-signature' };
}

/** Deliveries that only test the hook: verified, answered, no fetch. */
export function isPing(headers: WebhookHeaders): boolean {
  return header(headers, 'x-github-event') === 'ping';
}
