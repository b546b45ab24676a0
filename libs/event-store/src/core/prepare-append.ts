// The part of an append both adapters share, as pure functions: validate and normalise the
// input, redact secrets, check expected versions, then seal the events (versions,
// positions, recorded time and the hash chain). The adapters only supply the current
// versions, the head hash, positions and the clock, under their own lock.

import type { EventMetadata, ExpectedVersion, NewEvent, StreamWrite } from '../event-store.port';
import { InvalidEventError, WrongExpectedVersionError } from '../errors';
import { canonicalJson, canonicalJsonOf, toJsonValue } from './canonical-json';
import { hashEventTexts, type HashedEventContent } from './event-hash';
import { redactInPlace, type SecretFields } from './redaction';

export interface PreparedEvent {
  type: string;
  schemaVersion: number;
  id: string;
  /** Canonical JSON of data (after redaction) and metadata: what is stored and hashed. */
  dataText: string;
  metadataText: string;
}

export interface PreparedWrite {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: PreparedEvent[];
}

export interface SealedEvent extends Omit<HashedEventContent, 'data' | 'metadata'> {
  hash: string;
  prevHash: string;
  /** Canonical JSON of data and metadata: what is stored and what was hashed. */
  dataText: string;
  metadataText: string;
}

/** Longest stream id accepted: ids are built from cluster and application names, never free text. */
export const maxStreamIdLength = 200;
/** Longest event type accepted. */
export const maxTypeLength = 200;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface PrepareContext {
  secretFields: SecretFields;
  newId: () => string;
}

export function prepareWrites(
  writes: readonly StreamWrite[],
  metadata: EventMetadata,
  context: PrepareContext,
): PreparedWrite[] {
  if (writes.length === 0) throw new InvalidEventError('an append needs at least one stream');
  const seenStreams = new Set<string>();
  const seenIds = new Set<string>();
  return writes.map((write) => {
    validateStreamId(write.streamId);
    if (seenStreams.has(write.streamId)) {
      throw new InvalidEventError(`stream ${JSON.stringify(write.streamId)} appears twice in one append`);
    }
    seenStreams.add(write.streamId);
    validateExpectedVersion(write.expectedVersion);
    if (!Array.isArray(write.events)) throw new InvalidEventError('events must be an array');
    const events = write.events.map((event) => prepareEvent(event, metadata, context, seenIds));
    return { streamId: write.streamId, expectedVersion: write.expectedVersion, events };
  });
}

function prepareEvent(
  event: NewEvent,
  metadata: EventMetadata,
  context: PrepareContext,
  seenIds: Set<string>,
): PreparedEvent {
  if (typeof event.type !== 'string' || event.type.length === 0 || event.type.length > maxTypeLength) {
    throw new InvalidEventError(`event type ${JSON.stringify(event.type)} is invalid`);
  }
  const schemaVersion = event.schemaVersion ?? 1;
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > 2 ** 31 - 1) {
    throw new InvalidEventError(`schema version ${schemaVersion} of ${event.type} is invalid`);
  }
  // Postgres prints uuids in lower case: normalising here keeps the hash reproducible.
  const id = (event.id ?? context.newId()).toLowerCase();
  if (!uuidPattern.test(id)) throw new InvalidEventError(`event id ${JSON.stringify(event.id)} is not a UUID`);
  if (seenIds.has(id)) throw new InvalidEventError(`event id ${id} appears twice in one append`);
  seenIds.add(id);

  const secretPaths = context.secretFields[event.type];
  let dataText: string;
  if (secretPaths) {
    // Redaction needs a copy to edit; events without secret fields skip it (the common case).
    const data = toJsonValue(event.data, `data of ${event.type}`);
    redactInPlace(data, secretPaths);
    dataText = canonicalJson(data);
  } else {
    dataText = canonicalJsonOf(event.data, `data of ${event.type}`);
  }
  const mergedMetadata = { ...metadata, ...event.metadata };
  if (typeof mergedMetadata.actor !== 'string' || mergedMetadata.actor.length === 0) {
    throw new InvalidEventError(`metadata of ${event.type} must name its actor`);
  }
  return {
    type: event.type,
    schemaVersion,
    id,
    dataText,
    metadataText: canonicalJsonOf(mergedMetadata, `metadata of ${event.type}`),
  };
}

export function validateStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > maxStreamIdLength) {
    throw new InvalidEventError(
      `stream id ${JSON.stringify(streamId)} is invalid (1 to ${maxStreamIdLength} characters)`,
    );
  }
}

function validateExpectedVersion(expected: ExpectedVersion): void {
  if (expected === 'any') return;
  if (!Number.isInteger(expected) || expected < 0) {
    throw new InvalidEventError(`expected version ${String(expected)} is invalid (a version >= 0, or 'any')`);
  }
}

/** Throws for the first write whose stream is not at the expected version. */
export function checkExpectedVersions(writes: readonly PreparedWrite[], currentVersions: readonly number[]): void {
  writes.forEach((write, i) => {
    const actual = currentVersions[i]!;
    if (write.expectedVersion !== 'any' && write.expectedVersion !== actual) {
      throw new WrongExpectedVersionError(write.streamId, write.expectedVersion, actual);
    }
  });
}

export function countEvents(writes: readonly PreparedWrite[]): number {
  return writes.reduce((n, write) => n + write.events.length, 0);
}

/**
 * Gives each event its version, position, recorded time and hash. `positions` must be
 * ascending and as many as the events; `prevHash` is the hash of the event at the head.
 */
export function sealEvents(
  writes: readonly PreparedWrite[],
  currentVersions: readonly number[],
  positions: readonly number[],
  prevHash: string,
  recordedAt: Date,
): SealedEvent[] {
  // The hash covers recordedAt as ISO text with ms: sub-ms precision would not round-trip.
  const at = new Date(Math.floor(recordedAt.getTime()));
  const sealed: SealedEvent[] = [];
  let previous = prevHash;
  let p = 0;
  writes.forEach((write, w) => {
    let version = currentVersions[w]!;
    for (const event of write.events) {
      version += 1;
      const content = {
        position: positions[p++]!,
        streamId: write.streamId,
        version,
        id: event.id,
        type: event.type,
        schemaVersion: event.schemaVersion,
        recordedAt: at,
      };
      const hash = hashEventTexts(content, previous, event.dataText, event.metadataText);
      sealed.push({ ...content, hash, prevHash: previous, dataText: event.dataText, metadataText: event.metadataText });
      previous = hash;
    }
  });
  return sealed;
}
