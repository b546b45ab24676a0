// The event store in process memory, with the Postgres adapter's semantics (expected
// versions, all-or-nothing appendMany, hash chain, redaction, upcasters), so hub handlers
// can be unit-tested without a database. Never for production: nothing survives a restart.

import { randomUUIDv7 } from 'node:crypto';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamWrite,
  VerifyResult,
} from '../event-store.port';
import { DuplicateEventIdError } from '../errors';
import { ChainVerifier } from '../core/chain-verifier';
import { genesisHash } from '../core/event-hash';
import {
  checkExpectedVersions,
  countEvents,
  prepareWrites,
  sealEvents,
  validateStreamId,
  type SealedEvent,
} from '../core/prepare-append';
import { validateSecretFields, type SecretFields } from '../core/redaction';
import type { EventStoreOptions } from '../core/store-options';
import { UpcasterChain, type Upcaster } from '../core/upcasting';
import { defaultReadAllLimit, matchesReadAllFilter, validateReadAllOptions } from '../core/read-options';

export class InMemoryEventStore implements EventStore {
  private readonly events: SealedEvent[] = [];
  private readonly versions = new Map<string, number>();
  private readonly ids = new Set<string>();
  private readonly secretFields: SecretFields;
  private readonly upcasters: UpcasterChain;
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(options: EventStoreOptions = {}) {
    this.secretFields = options.secretFields ?? {};
    validateSecretFields(this.secretFields);
    this.upcasters = new UpcasterChain(options.upcasters);
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUIDv7;
  }

  registerUpcaster(upcaster: Upcaster): void {
    this.upcasters.register(upcaster);
  }

  async append(
    streamId: string,
    events: NewEvent[],
    options: { expectedVersion: ExpectedVersion; metadata: EventMetadata },
  ): Promise<AppendResult> {
    return this.appendMany([{ streamId, events, expectedVersion: options.expectedVersion }], options);
  }

  async appendMany(writes: StreamWrite[], options: { metadata: EventMetadata }): Promise<AppendResult> {
    const prepared = prepareWrites(writes, options.metadata, { secretFields: this.secretFields, newId: this.newId });
    // Everything is checked before anything is written: that is the whole transaction here.
    const current = prepared.map((write) => this.versions.get(write.streamId) ?? 0);
    checkExpectedVersions(prepared, current);
    for (const write of prepared) {
      for (const event of write.events) {
        if (this.ids.has(event.id)) {
          const held = this.events.find((e) => e.id === event.id)!;
          throw new DuplicateEventIdError(event.id, { recorded: { streamId: held.streamId, type: held.type } });
        }
      }
    }
    const head = this.events.at(-1);
    const first = (head?.position ?? 0) + 1;
    const positions = Array.from({ length: countEvents(prepared) }, (_, i) => first + i);
    const sealed = sealEvents(prepared, current, positions, head?.hash ?? genesisHash, this.clock());
    for (const event of sealed) {
      this.events.push(event);
      this.ids.add(event.id);
      this.versions.set(event.streamId, event.version);
    }
    const versions: Record<string, number> = {};
    prepared.forEach((write, i) => (versions[write.streamId] = current[i]! + write.events.length));
    return { versions, positions };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateStreamId(streamId);
    const from = options.fromVersion ?? 1;
    const out: RecordedEvent[] = [];
    for (const event of this.events) {
      if (options.limit !== undefined && out.length >= options.limit) break;
      if (event.streamId === streamId && event.version >= from) out.push(this.toRecorded(event));
    }
    return out;
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.versions.get(streamId) ?? 0;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    validateReadAllOptions(options);
    const limit = options.limit ?? defaultReadAllLimit;
    const backward = options.direction === 'backward';
    const ordered = backward ? [...this.events].reverse() : this.events;
    const out: RecordedEvent[] = [];
    for (const event of ordered) {
      if (out.length >= limit) break;
      if (matchesReadAllFilter(event, options)) out.push(this.toRecorded(event));
    }
    return out;
  }

  async headPosition(): Promise<number> {
    return this.events.at(-1)?.position ?? 0;
  }

  async verify(): Promise<VerifyResult> {
    const verifier = new ChainVerifier();
    for (const event of this.events) {
      if (!verifier.feed({ ...event, data: JSON.parse(event.dataText), metadata: JSON.parse(event.metadataText) }))
        break;
    }
    return verifier.result();
  }

  private toRecorded(event: SealedEvent): RecordedEvent {
    // Fresh copies from the stored text: a caller mutating what it read cannot alter the log.
    return this.upcasters.apply({
      position: event.position,
      streamId: event.streamId,
      version: event.version,
      id: event.id,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: JSON.parse(event.dataText),
      metadata: JSON.parse(event.metadataText) as EventMetadata,
      recordedAt: new Date(event.recordedAt.getTime()),
      hash: event.hash,
      prevHash: event.prevHash,
    });
  }
}
