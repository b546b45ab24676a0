// Walks stored events in position order and reports the first one that does not chain:
// shared by both adapters' verify(), fed page by page so the log never has to fit in memory.

import type { VerifyResult } from '../event-store.port';
import type { JsonValue } from './canonical-json';
import { genesisHash, hashEvent, type HashedEventContent } from './event-hash';

/** A stored event as read back: data and metadata are whatever JSON the row holds. */
export interface StoredEventForVerify extends Omit<HashedEventContent, 'data' | 'metadata'> {
  data: unknown;
  metadata: unknown;
  hash: string;
  prevHash: string;
}

export class ChainVerifier {
  private expectedPrev = genesisHash;
  private lastPosition = 0;
  private checked = 0;
  private failure: Extract<VerifyResult, { ok: false }> | undefined;

  /** Returns false once the chain is broken (stop feeding). */
  feed(event: StoredEventForVerify): boolean {
    if (this.failure) return false;
    if (event.position <= this.lastPosition) {
      return this.fail(event.position, `position ${event.position} does not follow ${this.lastPosition}`);
    }
    if (event.prevHash !== this.expectedPrev) {
      return this.fail(
        event.position,
        'prev_hash does not match the hash of the preceding event (an event was removed, inserted or reordered)',
      );
    }
    const recomputed = hashEvent(
      { ...event, data: event.data as JsonValue, metadata: event.metadata as JsonValue },
      event.prevHash,
    );
    if (recomputed !== event.hash) {
      return this.fail(event.position, 'hash does not match the stored content (the event was altered)');
    }
    this.expectedPrev = event.hash;
    this.lastPosition = event.position;
    this.checked += 1;
    return true;
  }

  result(): VerifyResult {
    if (this.failure) return this.failure;
    return { ok: true, checked: this.checked, headPosition: this.lastPosition, headHash: this.expectedPrev };
  }

  /** Records a break the adapter found itself (something the stored row holds that the hashed content cannot express). */
  fail(position: number, reason: string): false {
    this.failure = { ok: false, checked: this.checked, brokenAt: position, reason };
    return false;
  }
}
