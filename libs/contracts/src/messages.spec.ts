import { create } from '@bufbuild/protobuf';
import { HeartbeatSchema } from './gen/flotilla/v1/heartbeat_pb';
import { MalformedMessageError, decodeMessage, encodeMessage, messageMeta, sentAt } from './messages';

describe('message envelope', () => {
  it('round-trips a heartbeat with its id, cluster id and timestamp', () => {
    const at = new Date('2026-11-26T10:00:00.123Z');
    const bytes = encodeMessage(
      HeartbeatSchema,
      create(HeartbeatSchema, {
        meta: messageMeta({ id: 'm1', clusterId: 'c1', sentAt: at }),
        agentVersion: '0.1.0',
        sequence: 7n,
      }),
    );
    const back = decodeMessage(HeartbeatSchema, bytes);
    expect(back.meta?.id).toBe('m1');
    expect(back.meta?.clusterId).toBe('c1');
    expect(sentAt(back.meta)?.toISOString()).toBe(at.toISOString());
    expect(back.sequence).toBe(7n);
  });

  it('refuses a message without an id', () => {
    const bytes = encodeMessage(HeartbeatSchema, create(HeartbeatSchema, { agentVersion: 'x' }));
    expect(() => decodeMessage(HeartbeatSchema, bytes)).toThrow(/missing meta.id/);
  });

  it('refuses bytes that are not the message', () => {
    expect(() => decodeMessage(HeartbeatSchema, new Uint8Array([0xff, 0xff, 0xff]))).toThrow(MalformedMessageError);
  });
});
