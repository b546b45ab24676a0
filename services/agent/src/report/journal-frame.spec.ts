import { crc32 } from 'node:zlib';
import { decodeFrames, encodeFrame, frameHeaderBytes } from './journal-frame';

const bodies = ['a', 'hello journal', 'x'.repeat(1000)].map((s) => Buffer.from(s));
const log = Buffer.concat(bodies.map(encodeFrame));

describe('journal frames', () => {
  it('decodes what it encodes, in order, with nothing torn', () => {
    const decoded = decodeFrames(log);
    expect(decoded.bodies.map((b) => b.toString())).toEqual(bodies.map((b) => b.toString()));
    expect(decoded.validBytes).toBe(log.length);
    expect(decoded.tornBytes).toBe(0);
  });

  it('drops a tail torn at any byte of the last frame and keeps the rest', () => {
    const lastStart = log.length - (frameHeaderBytes + bodies[2]!.length);
    for (let cut = lastStart + 1; cut < log.length; cut++) {
      const decoded = decodeFrames(log.subarray(0, cut));
      expect(decoded.bodies).toHaveLength(2);
      expect(decoded.validBytes).toBe(lastStart);
      expect(decoded.tornBytes).toBe(cut - lastStart);
    }
  });

  it('treats a zero-filled tail as torn, not as empty records', () => {
    const decoded = decodeFrames(Buffer.concat([log, Buffer.alloc(64)]));
    expect(decoded.bodies).toHaveLength(3);
    expect(decoded.tornBytes).toBe(64);
  });

  it('stops at a frame whose checksum does not match', () => {
    const corrupt = Buffer.from(log);
    corrupt[corrupt.length - 1] ^= 0xff;
    const decoded = decodeFrames(corrupt);
    expect(decoded.bodies).toHaveLength(2);
    expect(decoded.tornBytes).toBe(frameHeaderBytes + bodies[2]!.length);
  });

  it('stops at an absurd length instead of allocating it', () => {
    const header = Buffer.alloc(frameHeaderBytes);
    header.writeUInt32BE(0xffffffff, 0);
    header.writeUInt32BE(crc32(Buffer.alloc(0)), 4);
    const decoded = decodeFrames(Buffer.concat([log, header, Buffer.alloc(10)]));
    expect(decoded.bodies).toHaveLength(3);
    expect(decoded.validBytes).toBe(log.length);
  });

  it('refuses to encode an empty body', () => {
    expect(() => encodeFrame(Buffer.alloc(0))).toThrow(RangeError);
  });
});
