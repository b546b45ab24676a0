import { randomBytes } from 'node:crypto';

/**
 * Time and ids enter the domain through these two providers only, so handlers stay
 * deterministic under test (a fixed clock, a counter for ids).
 */
export interface Clock {
  now(): Date;
}
export const CLOCK = 'CLOCK';
export const systemClock: Clock = { now: () => new Date() };

export interface IdGenerator {
  /** `c` + 16 hex: a single NATS subject token, stable for the cluster's life. */
  clusterId(): string;
  /** 12 lowercase hex: the id part of registration and API tokens. */
  tokenId(): string;
  /** 32 random bytes, base64url: the secret part of a token, shown once. */
  secret(): string;
}
export const ID_GENERATOR = 'ID_GENERATOR';
export const randomIds: IdGenerator = {
  clusterId: () => `c${randomBytes(8).toString('hex')}`,
  tokenId: () => randomBytes(6).toString('hex'),
  secret: () => randomBytes(32).toString('base64url'),
};
