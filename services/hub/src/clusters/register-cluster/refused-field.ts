import { createHash } from 'node:crypto';
import { isUserPublicKey } from '@flotilla/domain';

/**
 * What a refusal records of a field the caller sent. A refused request is hostile or
 * mistaken, and people paste the wrong thing into flags: a live registration token as the
 * cluster name, a NATS seed as the key. RegistrationRefused is readable by viewers and lives
 * for ever, and log lines travel further still, so a field is kept as sent only when it has
 * the shape of the harmless thing it should be (a DNS-label name, a user public key); any
 * other value is recorded as a short fingerprint and its length, enough to tell two
 * attempts apart and to match a value one holds, and useless to anyone else.
 */
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function refusedField(value: unknown, kind: 'name' | 'public-key'): string {
  if (typeof value !== 'string' || value.length === 0) return '';
  if (kind === 'name' ? dnsLabel.test(value) : isUserPublicKey(value)) return value;
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 12);
  return `redacted sha256:${digest} (${Math.min(value.length, 999_999)} chars)`;
}
