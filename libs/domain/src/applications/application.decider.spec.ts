import type { ApplicationSpec } from '@flotilla/manifests';
import { fold } from '../decider';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import {
  applicationDecider,
  desiredPin,
  sameApplicationSpec,
  type ApplicationCommand,
  type ApplicationEvent,
} from './application.decider';
import { InvalidApplicationError } from './invalid-application.error';

const given = (...events: ApplicationEvent[]) => fold(applicationDecider, events);
const decide = (command: ApplicationCommand, ...events: ApplicationEvent[]) =>
  applicationDecider.decide(command, given(...events));

const spec = (overrides: Partial<ApplicationSpec> = {}): ApplicationSpec => ({
  source: 'platform',
  path: 'apps/web',
  targets: [{ group: 'prod-eu', patches: [] }],
  syncPolicy: { automated: false, prune: false, driftMode: 'detect', ignoredFields: {} },
  ...overrides,
});
const sha = (c: string) => c.repeat(40);

const created: ApplicationEvent = { type: 'ApplicationCreated', data: { name: 'web', spec: spec() } };
const deleted: ApplicationEvent = { type: 'ApplicationDeleted', data: { name: 'web' } };
const pinned = (commit: string): ApplicationEvent => ({ type: 'ApplicationPinned', data: { name: 'web', commit } });

describe('application decider', () => {
  describe('create, change, delete', () => {
    it('when created, then ApplicationCreated holds the spec', () => {
      expect(decide({ type: 'CreateApplication', data: { name: 'web', spec: spec() } })).toEqual([created]);
    });
    it('given a live application, when created again, then it conflicts; once deleted, the name is free', () => {
      const create = { type: 'CreateApplication' as const, data: { name: 'web', spec: spec() } };
      expect(() => decide(create, created)).toThrow(ConflictError);
      expect(decide(create, created, deleted)).toEqual([created]);
    });
    it('given a live application, when changed to an identical spec (keys in another order), then nothing is recorded', () => {
      const reordered = JSON.parse(
        JSON.stringify({
          syncPolicy: { ignoredFields: {}, driftMode: 'detect', prune: false, automated: false },
          targets: [{ patches: [], group: 'prod-eu' }],
          path: 'apps/web',
          source: 'platform',
        }),
      ) as ApplicationSpec;
      expect(decide({ type: 'ChangeApplication', data: { name: 'web', spec: reordered } }, created)).toEqual([]);
    });
    it('given a live application, when its spec changes, then ApplicationChanged holds the whole new spec', () => {
      const next = spec({ syncPolicy: { automated: true, prune: true, driftMode: 'correct', ignoredFields: {} } });
      expect(decide({ type: 'ChangeApplication', data: { name: 'web', spec: next } }, created)).toEqual([
        { type: 'ApplicationChanged', data: { name: 'web', spec: next } },
      ]);
      expect(given(created, { type: 'ApplicationChanged', data: { name: 'web', spec: next } }).spec).toEqual(next);
    });
    it('when changing or deleting an application that does not exist (or was deleted), then it is not found', () => {
      expect(() => decide({ type: 'ChangeApplication', data: { name: 'web', spec: spec() } })).toThrow(NotFoundError);
      expect(() => decide({ type: 'DeleteApplication', data: { name: 'web' } })).toThrow(NotFoundError);
      expect(() => decide({ type: 'DeleteApplication', data: { name: 'web' } }, created, deleted)).toThrow(
        NotFoundError,
      );
    });
    it('when deleted, then ApplicationDeleted', () => {
      expect(decide({ type: 'DeleteApplication', data: { name: 'web' } }, created)).toEqual([deleted]);
      expect(given(created, deleted).status).toBe('deleted');
    });
    it('refuses a name that is not a DNS label, naming metadata.name', () => {
      try {
        decide({ type: 'CreateApplication', data: { name: 'Web App', spec: spec() } });
        throw new Error('expected a ValidationError');
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).field).toBe('metadata.name');
      }
    });
    it('refuses a spec that is not an object', () => {
      expect(() =>
        decide({ type: 'CreateApplication', data: { name: 'web', spec: 'x' as unknown as ApplicationSpec } }),
      ).toThrow(ValidationError);
    });
  });

  describe('pin and unpin', () => {
    it('when pinned to a full commit id, then ApplicationPinned; pinning to it again records nothing', () => {
      expect(decide({ type: 'PinApplication', data: { name: 'web', commit: sha('a') } }, created)).toEqual([
        pinned(sha('a')),
      ]);
      expect(
        decide({ type: 'PinApplication', data: { name: 'web', commit: sha('a') } }, created, pinned(sha('a'))),
      ).toEqual([]);
      expect(
        decide({ type: 'PinApplication', data: { name: 'web', commit: sha('b') } }, created, pinned(sha('a'))),
      ).toEqual([pinned(sha('b'))]);
      const sha256 = 'c'.repeat(64);
      expect(decide({ type: 'PinApplication', data: { name: 'web', commit: sha256 } }, created)).toEqual([
        pinned(sha256),
      ]);
    });
    it.each([['abc1234'], ['A'.repeat(40)], [`${'a'.repeat(40)}\n`], ['main'], ['']])(
      'refuses to pin to %j (not a full commit id), naming commit',
      (commit) => {
        try {
          decide({ type: 'PinApplication', data: { name: 'web', commit } }, created);
          throw new Error('expected a ValidationError');
        } catch (err) {
          expect(err).toBeInstanceOf(ValidationError);
          expect((err as ValidationError).field).toBe('commit');
        }
      },
    );
    it('when pinning an application that does not exist, then it is not found', () => {
      expect(() => decide({ type: 'PinApplication', data: { name: 'web', commit: sha('a') } })).toThrow(NotFoundError);
    });
    it('given a pinned application, when unpinned, then ApplicationUnpinned; unpinning again conflicts', () => {
      const unpinned = decide({ type: 'UnpinApplication', data: { name: 'web' } }, created, pinned(sha('a')));
      expect(unpinned).toEqual([{ type: 'ApplicationUnpinned', data: { name: 'web' } }]);
      expect(() =>
        decide({ type: 'UnpinApplication', data: { name: 'web' } }, created, pinned(sha('a')), ...unpinned),
      ).toThrow(ConflictError);
    });
    it('when unpinning an application pinned only by its file, then it conflicts and says to edit the file', () => {
      const filePinned: ApplicationEvent = {
        type: 'ApplicationCreated',
        data: { name: 'web', spec: spec({ pinnedCommit: sha('f') }) },
      };
      expect(() => decide({ type: 'UnpinApplication', data: { name: 'web' } }, filePinned)).toThrow(
        /pinned by its file \(spec\.pinnedCommit f{40}\)/,
      );
    });
    it("the operator's pin wins over the file's and outlives spec changes; a re-created application starts unpinned", () => {
      const filePin = spec({ pinnedCommit: sha('f') });
      const changed: ApplicationEvent = { type: 'ApplicationChanged', data: { name: 'web', spec: filePin } };
      expect(desiredPin(given(created))).toBeNull();
      expect(desiredPin(given(created, changed))).toBe(sha('f'));
      expect(desiredPin(given(created, changed, pinned(sha('a'))))).toBe(sha('a'));
      expect(desiredPin(given(created, pinned(sha('a')), changed))).toBe(sha('a'));
      expect(desiredPin(given(created, pinned(sha('a')), deleted, created))).toBeNull();
    });
  });

  describe('sync requests', () => {
    it('when a sync is requested, for all clusters or one, then ApplicationSyncRequested', () => {
      expect(decide({ type: 'RequestApplicationSync', data: { name: 'web' } }, created)).toEqual([
        { type: 'ApplicationSyncRequested', data: { name: 'web' } },
      ]);
      expect(
        decide({ type: 'RequestApplicationSync', data: { name: 'web', clusterId: 'c0123456789abcdef' } }, created),
      ).toEqual([{ type: 'ApplicationSyncRequested', data: { name: 'web', clusterId: 'c0123456789abcdef' } }]);
    });
    it('refuses a malformed cluster id and an unknown application', () => {
      expect(() =>
        decide({ type: 'RequestApplicationSync', data: { name: 'web', clusterId: 'eu-1' } }, created),
      ).toThrow(ValidationError);
      expect(() => decide({ type: 'RequestApplicationSync', data: { name: 'web' } })).toThrow(NotFoundError);
    });
  });

  it('ignores the events other capabilities append to the stream (rendering)', () => {
    const rendered = { type: 'RevisionRendered', data: { application: 'web' } } as unknown as ApplicationEvent;
    expect(given(created, rendered)).toEqual(given(created));
  });

  it('compares specs by content, not key order or undefined fields', () => {
    expect(sameApplicationSpec(spec(), { ...spec(), pinnedCommit: undefined })).toBe(true);
    expect(sameApplicationSpec(spec(), spec({ path: 'apps/api' }))).toBe(false);
    expect(
      sameApplicationSpec(
        spec(),
        spec({
          targets: [
            { group: 'prod-eu', patches: [] },
            { group: 'b', patches: [] },
          ],
        }),
      ),
    ).toBe(false);
  });

  it('InvalidApplicationError lists every issue, and names the first as the field', () => {
    const err = new InvalidApplicationError([
      { path: 'spec.source', message: 'unknown source "x"' },
      { path: 'spec.targets[1].group', message: 'unknown cluster group "y"' },
    ]);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe('spec.source');
    expect(err.code).toBe('invalid-application');
    expect(err.message).toBe(
      'invalid application: spec.source: unknown source "x"; spec.targets[1].group: unknown cluster group "y"',
    );
  });
});
