import { crc32 } from 'node:zlib';

/**
 * A journal frame: `[u32 BE body length][u32 BE crc32(body)][body]`. The length and checksum
 * are what let a reader tell a complete record from one torn by a crash mid-write (or a
 * tail of zeros some filesystems leave after a crash): reading stops at the first frame that
 * does not check out, and everything before it is intact.
 */
export const frameHeaderBytes = 8;

/**
 * Upper bound on one frame's body. A length beyond it can only be garbage (a torn or
 * zeroed header), so it ends the readable log rather than making us allocate gigabytes.
 */
export const maxFrameBodyBytes = 64 * 1024 * 1024;

export function encodeFrame(body: Uint8Array): Buffer {
  if (body.length === 0 || body.length > maxFrameBodyBytes) {
    throw new RangeError(`journal frame body must be 1..${maxFrameBodyBytes} bytes, got ${body.length}`);
  }
  const frame = Buffer.allocUnsafe(frameHeaderBytes + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt32BE(crc32(body), 4);
  frame.set(body, frameHeaderBytes);
  return frame;
}

export interface DecodedFrames {
  /** Bodies of the complete frames, in order (views into the input buffer). */
  bodies: Buffer[];
  /** Bytes from the start that hold complete, checked frames: where the next append goes. */
  validBytes: number;
  /** Bytes after `validBytes` that do not form a checked frame (a torn tail). */
  tornBytes: number;
}

export function decodeFrames(data: Buffer): DecodedFrames {
  const bodies: Buffer[] = [];
  let offset = 0;
  while (offset + frameHeaderBytes <= data.length) {
    const length = data.readUInt32BE(offset);
    const checksum = data.readUInt32BE(offset + 4);
    // An empty body never gets written (every record has a kind byte), so length 0 is a
    // zero-filled tail, not a record.
    if (length === 0 || length > maxFrameBodyBytes) break;
    const end = offset + frameHeaderBytes + length;
    if (end > data.length) break;
    const body = data.subarray(offset + frameHeaderBytes, end);
    if (crc32(body) !== checksum) break;
    bodies.push(body);
    offset = end;
  }
  return { bodies, validBytes: offset, tornBytes: data.length - offset };
}
