import { createHash } from 'node:crypto';

// A fixed namespace of our own (RFC 9562 UUIDv5): ids derived from it never collide with other schemes.
const namespace = Buffer.from('6f1d1c3e8a4b4f0e9b7a2d5c3e1f0a9b', 'hex');

/**
 * A UUIDv5 of `name`: the same work (reactor, causing position, cluster...) always gets the
 * same event id, so an append retried after a crash hits DuplicateEventIdError instead of
 * landing twice.
 */
export function deterministicEventId(name: string): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
