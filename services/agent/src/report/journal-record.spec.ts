import { decodeRecord, encodeRecord, JournalRecordError, type JournalRecord } from './journal-record';

describe('journal records', () => {
  const records: JournalRecord[] = [
    {
      kind: 'entry',
      seq: 7,
      subject: 'flotilla.v1.status.c1.sync',
      msgId: 'm-7',
      headers: [
        ['traceparent', '00-abc-def-01'],
        ['X-Multi', 'a'],
        ['X-Multi', 'b'],
      ],
      payload: new Uint8Array([0, 1, 2, 255, 10, 13]),
      coalesceKey: 'heartbeat',
      enqueuedAt: 1_780_000_000_000,
    },
    { kind: 'entry', seq: 8, subject: 's', msgId: 'm-8', headers: [], payload: new Uint8Array(0), enqueuedAt: 1 },
    { kind: 'ack', seq: 7 },
    { kind: 'drop', seqs: [3, 5] },
    { kind: 'checkpoint', ackedSeq: 6, nextSeq: 9 },
  ];

  it.each(records.map((r) => [r.kind, r] as const))(
    'round-trips a %s record, binary payload included',
    (_kind, record) => {
      const decoded = decodeRecord(encodeRecord(record));
      expect(decoded).toEqual(record);
    },
  );

  it('keeps an entry without a coalesce key without one', () => {
    const decoded = decodeRecord(encodeRecord(records[1]!));
    expect(decoded).not.toHaveProperty('coalesceKey');
  });

  it('throws on an unknown kind rather than skipping it', () => {
    const body = encodeRecord({ kind: 'ack', seq: 1 });
    body[0] = 99;
    expect(() => decodeRecord(body)).toThrow(JournalRecordError);
  });

  it('throws on a record with a missing field', () => {
    const json = Buffer.from(JSON.stringify({ seq: 'x' }));
    const body = Buffer.concat([Buffer.from([2]), Buffer.alloc(4), json]);
    body.writeUInt32BE(json.length, 1);
    expect(() => decodeRecord(body)).toThrow(/seq/);
  });
});
