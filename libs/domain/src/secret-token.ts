import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer secrets (registration tokens, API tokens) are `<prefix><tokenId>_<secret>`: the id
 * names the stream to load, the secret is checked against the sha256 stored in the event.
 * The secret itself is never stored or logged.
 */
export const registrationTokenPrefix = 'flt_reg_';
export const apiTokenPrefix = 'flt_api_';

const tokenIdPattern = /^[0-9a-f]{12}$/;
/** base64url of at least 24 random bytes. */
const secretPattern = /^[A-Za-z0-9_-]{32,256}$/;

export interface SecretTokenParts {
  tokenId: string;
  secret: string;
}

export function isTokenId(value: string): boolean {
  return tokenIdPattern.test(value);
}

export function formatSecretToken(prefix: string, parts: SecretTokenParts): string {
  if (!isTokenId(parts.tokenId))
    throw new Error(`token id must be 12 lowercase hex characters, got "${parts.tokenId}"`);
  if (!secretPattern.test(parts.secret)) throw new Error('token secret must be 32+ base64url characters');
  return `${prefix}${parts.tokenId}_${parts.secret}`;
}

/** The parts of a well-formed token, or undefined for anything else. */
export function parseSecretToken(prefix: string, value: string): SecretTokenParts | undefined {
  if (typeof value !== 'string' || !value.startsWith(prefix)) return undefined;
  const rest = value.slice(prefix.length);
  const tokenId = rest.slice(0, 12);
  if (!isTokenId(tokenId) || rest[12] !== '_') return undefined;
  const secret = rest.slice(13);
  if (!secretPattern.test(secret)) return undefined;
  return { tokenId, secret };
}

/** sha256 hex of the secret: the only form in which a secret enters the event log. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret against a stored hash. */
export function secretMatchesHash(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
