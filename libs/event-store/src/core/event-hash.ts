// The tamper-evident chain: each event's hash covers its own content and its
// predecessor's hash, so editing, removing or reordering any stored event breaks the chain
// at that position. `flotilla audit verify` recomputes it with these functions.

import { hash } from 'node:crypto';
import { canonicalJson, type JsonValue } from './canonical-json';

/** The `prevHash` of the first event in the log. */
export const genesisHash = '0'.repeat(64);

/** Everything a stored event says, as stored (after redaction, before any upcasting). */
export interface HashedEventContent {
  position: number;
  streamId: string;
  version: number;
  id: string;
  type: string;
  schemaVersion: number;
  data: JsonValue;
  metadata: JsonValue;
  recordedAt: Date;
}

/**
 * The exact text that is hashed: JCS of the content plus `prevHash`, recordedAt as ISO-8601
 * (ms). Written out by hand in JCS key order (data, id, metadata, position, prevHash,
 * recordedAt, schemaVersion, streamId, type, version) so that callers that already hold the
 * canonical text of data and metadata (the append path) do not serialise them twice; a test
 * pins it to `canonicalJson` of the same object.
 */
export function canonicalEventText(content: HashedEventContent, prevHash: string): string {
  return canonicalEventTextOf(content, prevHash, canonicalJson(content.data), canonicalJson(content.metadata));
}

/** The same text from data and metadata already in canonical JSON (the append path has them). */
function canonicalEventTextOf(
  content: Omit<HashedEventContent, 'data' | 'metadata'>,
  prevHash: string,
  dataText: string,
  metadataText: string,
): string {
  return (
    `{"data":${dataText},"id":${JSON.stringify(content.id)},"metadata":${metadataText}` +
    `,"position":${JSON.stringify(content.position)},"prevHash":${JSON.stringify(prevHash)}` +
    `,"recordedAt":${JSON.stringify(content.recordedAt.toISOString())}` +
    `,"schemaVersion":${JSON.stringify(content.schemaVersion)},"streamId":${JSON.stringify(content.streamId)}` +
    `,"type":${JSON.stringify(content.type)},"version":${JSON.stringify(content.version)}}`
  );
}

/** sha256 (hex) of the canonical text. */
export function hashEvent(content: HashedEventContent, prevHash: string): string {
  return sha256Hex(canonicalEventText(content, prevHash));
}

/** hashEvent for content whose data and metadata are already canonical JSON text. */
export function hashEventTexts(
  content: Omit<HashedEventContent, 'data' | 'metadata'>,
  prevHash: string,
  dataText: string,
  metadataText: string,
): string {
  return sha256Hex(canonicalEventTextOf(content, prevHash, dataText, metadataText));
}

function sha256Hex(text: string): string {
  // The one-shot form: several times cheaper than createHash for inputs this small.
  return hash('sha256', text, 'hex');
}
