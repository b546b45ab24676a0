import { fold } from '../decider';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { sourceDecider, type FetchOutcome, type ObservedCommit, type SourceEvent } from './source.decider';

const given = (...events: SourceEvent[]) => fold(sourceDecider, events);
const now = new Date('2026-11-26T10:00:00.000Z');
const later = new Date('2026-11-26T10:05:00.000Z');
const sha = (n: number) => n.toString(16).padStart(40, '0');
const commit = (n: number, paths: string[] = [`file-${n}.yaml`]): ObservedCommit => ({
  sha: sha(n),
  parents: n > 1 ? [sha(n - 1)] : [],
  author: { name: 'Ada', email: 'ada@example.com' },
  authoredAt: '2026-11-26T09:00:00.000Z',
  committedAt: '2026-11-26T09:00:00.000Z',
  message: `commit ${n}`,
  changedPaths: paths,
  changedPathsTruncated: false,
});
const added: SourceEvent = {
  type: 'SourceAdded',
  data: { name: 'apps', url: 'https://git.example.com/org/apps.git', branch: 'main', pollIntervalSeconds: 60 },
};
const fetched = (headSha: string, commits: ObservedCommit[], rewritten = false): FetchOutcome => ({
  ok: true,
  headSha,
  rewritten,
  commits,
});
const record = (outcome: FetchOutcome, at = now) => ({ type: 'RecordFetch', data: { outcome, now: at } }) as const;
const observedFirst = sourceDecider.decide(record(fetched(sha(1), [commit(1)])), given(added));

describe('source decider', () => {
  describe('adding and removing', () => {
    it('when added with defaults, then SourceAdded holds branch main and a 60 s interval, and no secret', () => {
      expect(
        sourceDecider.decide(
          { type: 'AddSource', data: { name: 'apps', url: 'https://git.example.com/org/apps.git' } },
          given(),
        ),
      ).toEqual([added]);
    });
    it('keeps the secret references, only references', () => {
      const [event] = sourceDecider.decide(
        {
          type: 'AddSource',
          data: {
            name: 'infra',
            url: 'git@github.com:org/infra.git',
            branch: 'release/1.x',
            pollIntervalSeconds: 300,
            credentialsRef: 'github-deploy-key',
            webhookSecretRef: 'github-hook',
          },
        },
        given(),
      );
      expect(event).toEqual({
        type: 'SourceAdded',
        data: {
          name: 'infra',
          url: 'git@github.com:org/infra.git',
          branch: 'release/1.x',
          pollIntervalSeconds: 300,
          credentialsRef: 'github-deploy-key',
          webhookSecretRef: 'github-hook',
        },
      });
    });
    it('given an active source, when added again, then it conflicts; once removed, the name is free', () => {
      const add = { type: 'AddSource' as const, data: { name: 'apps', url: 'file:///srv/git/apps.git' } };
      expect(() => sourceDecider.decide(add, given(added))).toThrow(ConflictError);
      const removed = sourceDecider.decide({ type: 'RemoveSource', data: { name: 'apps' } }, given(added));
      expect(removed).toEqual([{ type: 'SourceRemoved', data: { name: 'apps' } }]);
      expect(sourceDecider.decide(add, given(added, ...removed))).toHaveLength(1);
    });
    it('when removing an unknown source, then it is not found', () => {
      expect(() => sourceDecider.decide({ type: 'RemoveSource', data: { name: 'x' } }, given())).toThrow(NotFoundError);
    });
    it.each([
      [{ name: 'Apps' }, 'name'],
      [{ url: 'https://token@github.com/org/apps.git' }, 'url'],
      [{ url: 'ssh://git:hunter2@host/apps.git' }, 'url'],
      [{ url: 'http://git.example.com/org/apps.git' }, 'url'],
      [{ url: 'ext::sh -c touch% /tmp/pwned' }, 'url'],
      [{ url: '--upload-pack=touch /tmp/x' }, 'url'],
      [{ branch: '-f' }, 'branch'],
      [{ branch: 'a..b' }, 'branch'],
      [{ pollIntervalSeconds: 1 }, 'pollIntervalSeconds'],
      [{ pollIntervalSeconds: 86_401 }, 'pollIntervalSeconds'],
      [{ pollIntervalSeconds: 7.5 }, 'pollIntervalSeconds'],
      [{ credentialsRef: '../etc/passwd' }, 'credentialsRef'],
      [{ webhookSecretRef: 'a/b' }, 'webhookSecretRef'],
    ])('refuses %j naming the field %s', (override, field) => {
      const command = {
        type: 'AddSource' as const,
        data: { name: 'apps', url: 'https://git.example.com/org/apps.git', ...override },
      };
      let error: unknown;
      try {
        sourceDecider.decide(command, given());
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    });
  });

  describe('updating', () => {
    const update = (data: Record<string, unknown>) =>
      ({ type: 'UpdateSource', data: { name: 'apps', ...data } }) as const;
    it('given a source, when its webhook secret and branch change, then SourceChanged holds the new settings and what changed', () => {
      const events = sourceDecider.decide(update({ webhookSecretRef: 'hook', branch: 'release' }), given(added));
      expect(events).toEqual([
        {
          type: 'SourceChanged',
          data: {
            name: 'apps',
            branch: 'release',
            pollIntervalSeconds: 60,
            webhookSecretRef: 'hook',
            changed: ['branch', 'webhookSecretRef'],
          },
        },
      ]);
      expect(fold(sourceDecider, [added, ...events])).toMatchObject({ branch: 'release', webhookSecretRef: 'hook' });
    });
    it('when nothing changes, then nothing is recorded; null clears a reference', () => {
      const withHook = given(added, ...sourceDecider.decide(update({ webhookSecretRef: 'hook' }), given(added)));
      expect(sourceDecider.decide(update({ webhookSecretRef: 'hook', branch: 'main' }), withHook)).toEqual([]);
      const cleared = sourceDecider.decide(update({ webhookSecretRef: null }), withHook);
      expect(cleared).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ changed: ['webhookSecretRef'] }) }),
      ]);
      expect(cleared[0]!.data).not.toHaveProperty('webhookSecretRef');
    });
    it('when the source is unknown or a value is invalid, then it is refused', () => {
      expect(() => sourceDecider.decide(update({ branch: 'x' }), given())).toThrow(NotFoundError);
      expect(() => sourceDecider.decide(update({ webhookSecretRef: '../x' }), given(added))).toThrow(ValidationError);
      expect(() => sourceDecider.decide(update({ pollIntervalSeconds: 0 }), given(added))).toThrow(ValidationError);
    });
  });

  describe('observing commits', () => {
    it('given a new source, when the first fetch sees several commits, then only the head is observed', () => {
      const events = sourceDecider.decide(record(fetched(sha(3), [commit(2), commit(3)])), given(added));
      expect(events.map((e) => [e.type, (e.data as { sha?: string }).sha])).toEqual([['CommitObserved', sha(3)]]);
      expect(events[0]!.data).toMatchObject({
        source: 'apps',
        branch: 'main',
        message: 'commit 3',
        changedPaths: ['file-3.yaml'],
        observedAt: now.toISOString(),
      });
    });
    it('given an observed head, when two commits follow, then each is observed once, in order', () => {
      const events = sourceDecider.decide(
        record(fetched(sha(3), [commit(2), commit(3)])),
        given(added, ...observedFirst),
      );
      expect(events.map((e) => (e.data as { sha: string }).sha)).toEqual([sha(2), sha(3)]);
      expect(fold(sourceDecider, [added, ...observedFirst, ...events]).lastObservedSha).toBe(sha(3));
    });
    it('given an observed head, when nothing is new, then nothing is recorded', () => {
      expect(sourceDecider.decide(record(fetched(sha(1), [])), given(added, ...observedFirst))).toEqual([]);
    });
    it('never observes the last observed commit again', () => {
      expect(sourceDecider.decide(record(fetched(sha(1), [commit(1)])), given(added, ...observedFirst))).toEqual([]);
    });
    it('when the head no longer descends from the last observed commit, then SourceHistoryRewritten, then the new commits', () => {
      const events = sourceDecider.decide(record(fetched(sha(9), [commit(9)], true)), given(added, ...observedFirst));
      expect(events).toEqual([
        {
          type: 'SourceHistoryRewritten',
          data: { source: 'apps', branch: 'main', previousSha: sha(1), newSha: sha(9), at: now.toISOString() },
        },
        expect.objectContaining({ type: 'CommitObserved', data: expect.objectContaining({ sha: sha(9) }) }),
      ]);
    });
    it('given a reset to an older commit with nothing new, then the rewritten head becomes the last observed', () => {
      const events = sourceDecider.decide(record(fetched(sha(7), [], true)), given(added, ...observedFirst));
      expect(events.map((e) => e.type)).toEqual(['SourceHistoryRewritten']);
      expect(fold(sourceDecider, [added, ...observedFirst, ...events]).lastObservedSha).toBe(sha(7));
    });
    it('bounds the message and the changed paths', () => {
      const big = {
        ...commit(1),
        message: 'x'.repeat(10_000),
        changedPaths: Array.from({ length: 1500 }, (_, i) => `p${i}`),
      };
      const [event] = sourceDecider.decide(record(fetched(sha(1), [big])), given(added));
      const data = event!.data as { message: string; changedPaths: string[]; changedPathsTruncated: boolean };
      expect(data.message).toHaveLength(4096);
      expect(data.changedPaths).toHaveLength(1000);
      expect(data.changedPathsTruncated).toBe(true);
    });
    it('given a removed source, then a late fetch records nothing', () => {
      expect(
        sourceDecider.decide(
          record(fetched(sha(1), [commit(1)])),
          given(added, { type: 'SourceRemoved', data: { name: 'apps' } }),
        ),
      ).toEqual([]);
    });
  });

  describe('fetch failures are transitions', () => {
    const failure = (reason: string, at = now) => record({ ok: false, reason }, at);
    it('records the first failure of a streak, not the next ones, then the recovery', () => {
      const failed = sourceDecider.decide(failure('remote gone'), given(added, ...observedFirst));
      expect(failed).toEqual([
        { type: 'SourceFetchFailed', data: { source: 'apps', reason: 'remote gone', at: now.toISOString() } },
      ]);
      const state = given(added, ...observedFirst, ...failed);
      expect(state.failingSince).toBe(now.toISOString());
      expect(sourceDecider.decide(failure('still gone', later), state)).toEqual([]);
      const recovered = sourceDecider.decide(record(fetched(sha(1), []), later), state);
      expect(recovered).toEqual([
        {
          type: 'SourceFetchRecovered',
          data: { source: 'apps', at: later.toISOString(), failingSince: now.toISOString() },
        },
      ]);
      expect(given(added, ...observedFirst, ...failed, ...recovered).failingSince).toBeNull();
    });
    it('bounds the recorded reason', () => {
      const [event] = sourceDecider.decide(failure('e'.repeat(5000)), given(added));
      expect((event!.data as { reason: string }).reason).toHaveLength(1024);
    });
  });

  it('records a rejected webhook against an active source only', () => {
    const reject = {
      type: 'RejectWebhook' as const,
      data: { provider: 'github' as const, reason: 'invalid-signature' as const, now },
    };
    expect(sourceDecider.decide(reject, given(added))).toEqual([
      {
        type: 'WebhookRejected',
        data: { source: 'apps', provider: 'github', reason: 'invalid-signature', at: now.toISOString() },
      },
    ]);
    expect(() => sourceDecider.decide(reject, given())).toThrow(NotFoundError);
  });
});
