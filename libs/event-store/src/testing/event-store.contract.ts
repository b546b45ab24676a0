// One behavioural contract, run against both adapters (in-memory in a pure spec, Postgres in
// an integration spec), so the in-memory store hub handlers are unit-tested with cannot
// drift from the real one.

import type { EventMetadata, EventStore } from '../event-store.port';
import type { EventStoreOptions } from '../core/store-options';
import type { Upcaster } from '../core/upcasting';
import { DuplicateEventIdError, InvalidEventError, WrongExpectedVersionError } from '../errors';
import { genesisHash, hashEvent } from '../core/event-hash';
import type { JsonValue } from '../core/canonical-json';

export interface ContractStore extends EventStore {
  registerUpcaster(upcaster: Upcaster): void;
}

export type CreateContractStore = (
  options: EventStoreOptions,
) => Promise<{ store: ContractStore; dispose(): Promise<void> }>;

const meta: EventMetadata = { actor: 'user:alice', correlationId: 'corr-1' };

/** A clock the test moves by hand, at ms precision. */
function manualClock(start = Date.parse('2026-11-26T10:00:00.123Z')) {
  let now = start;
  return {
    clock: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

export function describeEventStoreContract(adapter: string, create: CreateContractStore): void {
  describe(`EventStore contract: ${adapter}`, () => {
    const disposers: Array<() => Promise<void>> = [];
    async function storeWith(options: EventStoreOptions = {}): Promise<ContractStore> {
      const { store, dispose } = await create(options);
      disposers.push(dispose);
      return store;
    }
    afterEach(async () => {
      await Promise.all(disposers.splice(0).map((dispose) => dispose()));
    });

    describe('append and readStream', () => {
      it('appends to a new stream and reads it back in version order with merged metadata', async () => {
        const time = manualClock();
        const store = await storeWith({ clock: time.clock });
        const result = await store.append(
          'cluster-eu-1',
          [
            { type: 'ClusterRegistered', data: { name: 'eu-1', labels: { env: 'prod' } } },
            { type: 'ClusterLabelled', data: { env: 'prod' }, metadata: { causationId: 'cmd-7' } },
          ],
          { expectedVersion: 0, metadata: meta },
        );
        expect(result.versions).toEqual({ 'cluster-eu-1': 2 });
        expect(result.positions).toHaveLength(2);
        expect(result.positions[0]!).toBeLessThan(result.positions[1]!);

        const events = await store.readStream('cluster-eu-1');
        expect(events.map((e) => [e.version, e.type, e.position])).toEqual([
          [1, 'ClusterRegistered', result.positions[0]],
          [2, 'ClusterLabelled', result.positions[1]],
        ]);
        expect(events[0]!.data).toEqual({ name: 'eu-1', labels: { env: 'prod' } });
        expect(events[0]!.schemaVersion).toBe(1);
        expect(events[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(events[0]!.metadata).toEqual(meta);
        expect(events[1]!.metadata).toEqual({ ...meta, causationId: 'cmd-7' });
        // Recorded time round-trips exactly (it is part of the hash).
        expect(events[0]!.recordedAt.toISOString()).toBe('2026-11-26T10:00:00.123Z');
        expect(await store.streamVersion('cluster-eu-1')).toBe(2);
        expect(await store.streamVersion('cluster-none')).toBe(0);
      });

      it('reads a stream from a version, with a limit', async () => {
        const store = await storeWith();
        await store.append(
          's',
          [1, 2, 3, 4, 5].map((n) => ({ type: 'Counted', data: { n } })),
          { expectedVersion: 0, metadata: meta },
        );
        const page = await store.readStream('s', { fromVersion: 2, limit: 2 });
        expect(page.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);
        expect(await store.readStream('other')).toEqual([]);
      });

      it('refuses a wrong expected version with the stream, expected and actual versions, and writes nothing', async () => {
        const store = await storeWith();
        await store.append('s', [{ type: 'A', data: {} }], { expectedVersion: 0, metadata: meta });
        const attempt = store.append('s', [{ type: 'B', data: {} }], { expectedVersion: 3, metadata: meta });
        await expect(attempt).rejects.toBeInstanceOf(WrongExpectedVersionError);
        await attempt.catch((err: WrongExpectedVersionError) => {
          expect([err.streamId, err.expected, err.actual]).toEqual(['s', 3, 1]);
        });
        await expect(
          store.append('s', [{ type: 'B', data: {} }], { expectedVersion: 0, metadata: meta }),
        ).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.streamVersion('s')).toBe(1);
        expect(
          (await store.append('s', [{ type: 'B', data: {} }], { expectedVersion: 'any', metadata: meta })).versions,
        ).toEqual({ s: 2 });
        expect(
          (await store.append('s', [{ type: 'C', data: {} }], { expectedVersion: 2, metadata: meta })).versions,
        ).toEqual({ s: 3 });
      });

      it('refuses a duplicate event id (a retried append that already landed)', async () => {
        const store = await storeWith();
        const id = '6f1c1d1e-8a4b-4c2d-9e0f-112233445566';
        await store.append('s', [{ type: 'A', data: {}, id }], { expectedVersion: 0, metadata: meta });
        const refused = await store
          .append('t', [{ type: 'B', data: {}, id }], { expectedVersion: 0, metadata: meta })
          .catch((err: unknown) => err);
        expect(refused).toBeInstanceOf(DuplicateEventIdError);
        // Where the id is held, so a caller tells its own retry from an id taken by someone else.
        expect((refused as DuplicateEventIdError).recorded).toEqual({ streamId: 's', type: 'A' });
        expect(await store.streamVersion('t')).toBe(0);
      });

      it('normalises a caller id to lower case so its hash still verifies', async () => {
        const store = await storeWith();
        await store.append('s', [{ type: 'A', data: {}, id: 'ABCDEF12-3456-4789-8ABC-DEF012345678' }], {
          expectedVersion: 0,
          metadata: meta,
        });
        expect((await store.readStream('s'))[0]!.id).toBe('abcdef12-3456-4789-8abc-def012345678');
        expect((await store.verify()).ok).toBe(true);
      });

      it.each([
        ['an empty type', [{ streamId: 's', expectedVersion: 0 as const, events: [{ type: '', data: {} }] }], meta],
        [
          'a missing actor',
          [{ streamId: 's', expectedVersion: 0 as const, events: [{ type: 'A', data: {} }] }],
          { actor: '' },
        ],
        [
          'a malformed id',
          [{ streamId: 's', expectedVersion: 0 as const, events: [{ type: 'A', data: {}, id: 'nope' }] }],
          meta,
        ],
        [
          'a negative expected version',
          [{ streamId: 's', expectedVersion: -1, events: [{ type: 'A', data: {} }] }],
          meta,
        ],
        [
          'an empty stream id',
          [{ streamId: '', expectedVersion: 0 as const, events: [{ type: 'A', data: {} }] }],
          meta,
        ],
        [
          'undefined data',
          [{ streamId: 's', expectedVersion: 0 as const, events: [{ type: 'A', data: undefined }] }],
          meta,
        ],
        [
          'a NUL character',
          [{ streamId: 's', expectedVersion: 0 as const, events: [{ type: 'A', data: { a: 'x\u0000' } }] }],
          meta,
        ],
        [
          'a schema version 0',
          [{ streamId: 's', expectedVersion: 0 as const, events: [{ type: 'A', data: {}, schemaVersion: 0 }] }],
          meta,
        ],
        [
          'the same stream twice',
          [
            { streamId: 's', expectedVersion: 0 as const, events: [{ type: 'A', data: {} }] },
            { streamId: 's', expectedVersion: 'any' as const, events: [{ type: 'A', data: {} }] },
          ],
          meta,
        ],
      ])('refuses %s with InvalidEventError and writes nothing', async (_what, writes, metadata) => {
        const store = await storeWith();
        await expect(store.appendMany(writes, { metadata: metadata as EventMetadata })).rejects.toBeInstanceOf(
          InvalidEventError,
        );
        expect(await store.headPosition()).toBe(0);
      });

      it('hands out copies: mutating what was read does not change the log', async () => {
        const store = await storeWith();
        await store.append('s', [{ type: 'A', data: { list: [1] } }], { expectedVersion: 0, metadata: meta });
        const [read] = await store.readStream('s');
        (read!.data as { list: number[] }).list.push(2);
        expect((await store.readStream('s'))[0]!.data).toEqual({ list: [1] });
        expect((await store.verify()).ok).toBe(true);
      });
    });

    describe('appendMany', () => {
      it('writes several streams in one append, positions ascending across them', async () => {
        const store = await storeWith();
        const result = await store.appendMany(
          [
            { streamId: 'app-web', expectedVersion: 0, events: [{ type: 'ApplicationCreated', data: {} }] },
            {
              streamId: 'group-prod',
              expectedVersion: 0,
              events: [
                { type: 'ApplicationAssigned', data: {} },
                { type: 'X', data: {} },
              ],
            },
          ],
          { metadata: meta },
        );
        expect(result.versions).toEqual({ 'app-web': 1, 'group-prod': 2 });
        expect(result.positions).toEqual([...result.positions].sort((a, b) => a - b));
        expect(new Set(result.positions).size).toBe(3);
        expect((await store.readAll()).map((e) => e.streamId)).toEqual(['app-web', 'group-prod', 'group-prod']);
      });

      it('is all or nothing: one conflicting stream and no stream is written', async () => {
        const store = await storeWith();
        await store.append('b', [{ type: 'A', data: {} }], { expectedVersion: 0, metadata: meta });
        const head = await store.headPosition();
        await expect(
          store.appendMany(
            [
              { streamId: 'a', expectedVersion: 0, events: [{ type: 'A', data: {} }] },
              { streamId: 'b', expectedVersion: 0, events: [{ type: 'A', data: {} }] },
            ],
            { metadata: meta },
          ),
        ).rejects.toMatchObject({ name: 'WrongExpectedVersionError', streamId: 'b', expected: 0, actual: 1 });
        expect(await store.streamVersion('a')).toBe(0);
        expect(await store.headPosition()).toBe(head);
        expect((await store.verify()).ok).toBe(true);
      });
    });

    describe('readAll', () => {
      async function seeded() {
        const time = manualClock();
        const store = await storeWith({ clock: time.clock });
        const streams = ['cluster-a', 'cluster-b', 'cluster_x', 'clusterXa', 'app-a'];
        for (const [i, streamId] of streams.entries()) {
          await store.append(streamId, [{ type: i % 2 === 0 ? 'Even' : 'Odd', data: { i } }], {
            expectedVersion: 0,
            metadata: meta,
          });
          time.advance(1_000);
        }
        return { store, start: time.clock().getTime() - streams.length * 1_000 };
      }

      it('reads forward after a checkpoint and backward before a position, one page at a time', async () => {
        const { store } = await seeded();
        const all = await store.readAll();
        expect(all.map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
        const after = await store.readAll({ after: all[1]!.position, limit: 2 });
        expect(after.map((e) => e.position)).toEqual([all[2]!.position, all[3]!.position]);
        const backward = await store.readAll({ direction: 'backward', limit: 2 });
        expect(backward.map((e) => e.position)).toEqual([all[4]!.position, all[3]!.position]);
        const older = await store.readAll({ direction: 'backward', before: all[3]!.position, limit: 10 });
        expect(older.map((e) => e.position)).toEqual([all[2]!.position, all[1]!.position, all[0]!.position]);
        expect(await store.headPosition()).toBe(all[4]!.position);
      });

      it('filters by literal stream prefix (`_` and `%` are not wildcards), types and time range', async () => {
        const { store, start } = await seeded();
        const ids = async (options: Parameters<EventStore['readAll']>[0]) =>
          (await store.readAll(options)).map((e) => e.streamId);
        expect(await ids({ streamPrefix: 'cluster-' })).toEqual(['cluster-a', 'cluster-b']);
        expect(await ids({ streamPrefix: 'cluster_' })).toEqual(['cluster_x']);
        expect(await ids({ streamPrefix: 'cluster%' })).toEqual([]);
        expect(await ids({ types: ['Odd'] })).toEqual(['cluster-b', 'clusterXa']);
        expect(await ids({ types: ['Even', 'Odd'], streamPrefix: 'app' })).toEqual(['app-a']);
        expect(await ids({ from: new Date(start + 1_000), to: new Date(start + 3_000) })).toEqual([
          'cluster-b',
          'cluster_x',
        ]);
        expect(await ids({ types: ['Even'], direction: 'backward', limit: 2 })).toEqual(['app-a', 'cluster_x']);
      });

      it('refuses a page size out of bounds', async () => {
        const store = await storeWith();
        await expect(store.readAll({ limit: 0 })).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.readAll({ limit: 1_000_000 })).rejects.toBeInstanceOf(InvalidEventError);
      });
    });

    describe('hash chain', () => {
      it('chains every event to its predecessor from the genesis hash, and verify() walks it in pages', async () => {
        const store = await storeWith();
        for (let i = 0; i < 7; i++) {
          await store.append(
            `s-${i % 3}`,
            [
              { type: 'A', data: { i } },
              { type: 'B', data: { i, nested: { z: 1, a: [1, 'x'] } } },
            ],
            {
              expectedVersion: 'any',
              metadata: meta,
            },
          );
        }
        const events = await store.readAll();
        expect(events[0]!.prevHash).toBe(genesisHash);
        for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
        for (const event of events) {
          expect(
            hashEvent(
              { ...event, data: event.data as JsonValue, metadata: event.metadata as unknown as JsonValue },
              event.prevHash,
            ),
          ).toBe(event.hash);
        }
        expect(await store.verify({ batchSize: 3 })).toEqual({
          ok: true,
          checked: 14,
          headPosition: events.at(-1)!.position,
          headHash: events.at(-1)!.hash,
        });
      });

      it('verifies an empty log', async () => {
        const store = await storeWith();
        expect(await store.verify()).toEqual({ ok: true, checked: 0, headPosition: 0, headHash: genesisHash });
      });
    });

    describe('upcasters', () => {
      const v1ToV2: Upcaster<{ name: string }, { displayName: string }> = {
        type: 'ClusterRegistered',
        fromSchemaVersion: 1,
        upcast: (data) => ({ displayName: data.name }),
      };
      const v2ToV3: Upcaster<{ displayName: string }, { displayName: string; labels: Record<string, string> }> = {
        type: 'ClusterRegistered',
        fromSchemaVersion: 2,
        upcast: (data) => ({ ...data, labels: {} }),
      };

      it('lifts an old shape through the whole chain on readStream and readAll, leaving the hash alone', async () => {
        const store = await storeWith({ upcasters: [v2ToV3, v1ToV2] });
        await store.append('c', [{ type: 'ClusterRegistered', data: { name: 'eu-1' } }], {
          expectedVersion: 0,
          metadata: meta,
        });
        const expected = { schemaVersion: 3, data: { displayName: 'eu-1', labels: {} } };
        expect((await store.readStream('c'))[0]).toMatchObject(expected);
        expect((await store.readAll())[0]).toMatchObject(expected);
        expect((await store.verify()).ok).toBe(true);
      });

      it('starts the chain at the stored schema version', async () => {
        const store = await storeWith({ upcasters: [v1ToV2, v2ToV3] });
        await store.append('c', [{ type: 'ClusterRegistered', schemaVersion: 2, data: { displayName: 'x' } }], {
          expectedVersion: 0,
          metadata: meta,
        });
        expect((await store.readStream('c'))[0]).toMatchObject({
          schemaVersion: 3,
          data: { displayName: 'x', labels: {} },
        });
      });

      it('leaves other types and versions past the chain untouched', async () => {
        const store = await storeWith({ upcasters: [v1ToV2] });
        await store.append(
          'c',
          [
            { type: 'ClusterRemoved', data: { name: 'keep' } },
            { type: 'ClusterRegistered', schemaVersion: 5, data: { whatever: true } },
          ],
          { expectedVersion: 0, metadata: meta },
        );
        expect((await store.readStream('c')).map((e) => [e.schemaVersion, e.data])).toEqual([
          [1, { name: 'keep' }],
          [5, { whatever: true }],
        ]);
      });

      it('applies upcasters registered after creation, and refuses two for the same step', async () => {
        const store = await storeWith();
        await store.append('c', [{ type: 'ClusterRegistered', data: { name: 'late' } }], {
          expectedVersion: 0,
          metadata: meta,
        });
        store.registerUpcaster(v1ToV2);
        expect((await store.readStream('c'))[0]!.data).toEqual({ displayName: 'late' });
        expect(() => store.registerUpcaster({ ...v1ToV2 })).toThrow(InvalidEventError);
      });
    });

    describe('secret redaction', () => {
      it('replaces listed fields (nested, wildcard) with [REDACTED] before hashing and storing, and only those', async () => {
        const store = await storeWith({
          secretFields: { ClusterRegistered: ['registration.token', 'kubeconfig.users.*.token', 'absent.path'] },
        });
        const data = {
          name: 'eu-1',
          password: 'not-listed-so-kept',
          registration: { token: 'one-time-secret', expiresAt: 'soon' },
          kubeconfig: {
            users: [
              { name: 'a', token: 'tok-a' },
              { name: 'b', token: 'tok-b' },
            ],
          },
        };
        const original = structuredClone(data);
        await store.append(
          'c',
          [
            { type: 'ClusterRegistered', data },
            { type: 'Other', data: { registration: { token: 'kept' } } },
          ],
          {
            expectedVersion: 0,
            metadata: meta,
          },
        );
        expect(data).toEqual(original);
        const [registered, other] = await store.readStream('c');
        expect(registered!.data).toEqual({
          name: 'eu-1',
          password: 'not-listed-so-kept',
          registration: { token: '[REDACTED]', expiresAt: 'soon' },
          kubeconfig: {
            users: [
              { name: 'a', token: '[REDACTED]' },
              { name: 'b', token: '[REDACTED]' },
            ],
          },
        });
        expect(other!.data).toEqual({ registration: { token: 'kept' } });
        expect(JSON.stringify(await store.readAll())).not.toContain('one-time-secret');
        expect((await store.verify()).ok).toBe(true);
      });

      it('refuses a malformed secret path at construction', async () => {
        await expect(storeWith({ secretFields: { A: ['a..b'] } })).rejects.toBeInstanceOf(InvalidEventError);
      });
    });
  });
}
