import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { MessageMetaSchema, type MessageMeta } from './gen/flotilla/v1/envelope_pb';

export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
  constructor(
    readonly messageType: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`malformed ${messageType}: ${reason}`, options);
  }
}

/** Builds the envelope every message carries; id and time are passed in (no hidden clock). */
export function messageMeta(input: { id: string; clusterId: string; sentAt: Date }): MessageMeta {
  return create(MessageMetaSchema, {
    id: input.id,
    clusterId: input.clusterId,
    sentAt: timestampFromDate(input.sentAt),
  });
}

export function sentAt(meta: MessageMeta | undefined): Date | undefined {
  return meta?.sentAt ? timestampDate(meta.sentAt) : undefined;
}

export function encodeMessage<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  return toBinary(schema, message);
}

/**
 * Decodes a wire message and insists on its envelope: a message without an id cannot be
 * deduplicated, so it is refused rather than half-processed.
 */
export function decodeMessage<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  let message: MessageShape<Desc>;
  try {
    message = fromBinary(schema, bytes);
  } catch (err) {
    throw new MalformedMessageError(schema.typeName, (err as Error).message, { cause: err });
  }
  const meta = (message as { meta?: MessageMeta }).meta;
  if (!meta || !meta.id) {
    throw new MalformedMessageError(schema.typeName, 'missing meta.id');
  }
  return message;
}
