import {
  branchDefault,
  pollIntervalSecondsDefault,
  pollIntervalSecondsMax,
  pollIntervalSecondsMin,
} from '@flotilla/api';
import type { Decider, DomainEvent } from '../decider';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { validateDnsLabel } from '../names';
import { validateBranch, validateSecretRef, validateSourceUrl } from './source-location';

/**
 * A git source: a repository branch the hub watches. Its stream records what the hub saw
 * (each new commit once, in order), and the transitions of its health (a fetch failing,
 * recovering, history being rewritten), never every poll: a source polled every minute
 * for a year must not write half a million events saying nothing happened.
 */
export const sourceStreamId = (name: string): string => `source-${name}`;
export const sourceStreamPrefix = 'source-';

// The REST contract states these limits; the decider enforces the same numbers.
export { branchDefault, pollIntervalSecondsDefault, pollIntervalSecondsMax, pollIntervalSecondsMin };
/** Recorded reasons and messages are bounded: they come from git and from callers. */
export const fetchFailureReasonMaxLength = 1024;
export const commitMessageMaxLength = 4096;
export const changedPathsMax = 1000;

export type SourceAdded = DomainEvent<
  'SourceAdded',
  {
    name: string;
    url: string;
    branch: string;
    pollIntervalSeconds: number;
    /** A file name in the hub's credentials directory: the secret itself never enters the log. */
    credentialsRef?: string;
    webhookSecretRef?: string;
  }
>;
export type SourceRemoved = DomainEvent<'SourceRemoved', { name: string }>;
/** The source's settings after an update (the URL never changes: a new URL is a new source), and which changed. */
export type SourceChanged = DomainEvent<
  'SourceChanged',
  {
    name: string;
    branch: string;
    pollIntervalSeconds: number;
    credentialsRef?: string;
    webhookSecretRef?: string;
    changed: Array<'branch' | 'pollIntervalSeconds' | 'credentialsRef' | 'webhookSecretRef'>;
  }
>;

export interface ObservedCommit {
  sha: string;
  parents: string[];
  author: { name: string; email: string };
  authoredAt: string;
  committedAt: string;
  message: string;
  /** Paths changed against the first parent (all paths for a root commit). */
  changedPaths: string[];
  changedPathsTruncated: boolean;
}

export type CommitObserved = DomainEvent<
  'CommitObserved',
  ObservedCommit & { source: string; branch: string; observedAt: string }
>;
/** The first failure of a streak only; the streak ends with SourceFetchRecovered. */
export type SourceFetchFailed = DomainEvent<'SourceFetchFailed', { source: string; reason: string; at: string }>;
export type SourceFetchRecovered = DomainEvent<
  'SourceFetchRecovered',
  { source: string; at: string; failingSince: string }
>;
/** The branch head no longer descends from the last observed commit (force-push, reset). */
export type SourceHistoryRewritten = DomainEvent<
  'SourceHistoryRewritten',
  { source: string; branch: string; previousSha: string; newSha: string; at: string }
>;
export type WebhookRejectionReason =
  'missing-signature' | 'invalid-signature' | 'not-configured' | 'secret-unavailable';
export type WebhookProvider = 'github' | 'gitlab' | 'gitea' | 'unknown';
/** Who called and why it was refused; never the body or the presented signature. */
export type WebhookRejected = DomainEvent<
  'WebhookRejected',
  { source: string; provider: WebhookProvider; reason: WebhookRejectionReason; at: string }
>;

export type SourceEvent =
  | SourceAdded
  | SourceRemoved
  | SourceChanged
  | CommitObserved
  | SourceFetchFailed
  | SourceFetchRecovered
  | SourceHistoryRewritten
  | WebhookRejected;

export const sourceEventTypes: readonly SourceEvent['type'][] = [
  'SourceAdded',
  'SourceRemoved',
  'SourceChanged',
  'CommitObserved',
  'SourceFetchFailed',
  'SourceFetchRecovered',
  'SourceHistoryRewritten',
  'WebhookRejected',
];

/**
 * What one fetch found. The hub's git side computes it (rev-list last..head, ancestry);
 * the decider only turns it into events, so every rule is tested without git.
 */
export type FetchOutcome =
  | { ok: false; reason: string }
  | {
      ok: true;
      headSha: string;
      /** Set when the head does not descend from the last observed commit. */
      rewritten: boolean;
      /** Unobserved commits, oldest first, ending at the head (empty when nothing is new). */
      commits: ObservedCommit[];
    };

export type SourceCommand =
  | {
      type: 'AddSource';
      data: {
        name: string;
        url: string;
        branch?: string;
        pollIntervalSeconds?: number;
        credentialsRef?: string;
        webhookSecretRef?: string;
      };
    }
  | { type: 'RemoveSource'; data: { name: string } }
  | {
      /** Absent fields stay; `null` clears a reference. */
      type: 'UpdateSource';
      data: {
        name: string;
        branch?: string;
        pollIntervalSeconds?: number;
        credentialsRef?: string | null;
        webhookSecretRef?: string | null;
      };
    }
  | { type: 'RecordFetch'; data: { outcome: FetchOutcome; now: Date } }
  | { type: 'RejectWebhook'; data: { provider: WebhookProvider; reason: WebhookRejectionReason; now: Date } };

export interface SourceState {
  status: 'none' | 'active' | 'removed';
  name: string | null;
  url: string | null;
  branch: string;
  pollIntervalSeconds: number;
  credentialsRef: string | null;
  webhookSecretRef: string | null;
  lastObservedSha: string | null;
  /** ISO time of the first failure of the current streak; null when fetching works. */
  failingSince: string | null;
}

const initialState = (): SourceState => ({
  status: 'none',
  name: null,
  url: null,
  branch: branchDefault,
  pollIntervalSeconds: pollIntervalSecondsDefault,
  credentialsRef: null,
  webhookSecretRef: null,
  lastObservedSha: null,
  failingSince: null,
});

const shaPattern = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function validatePollInterval(value: unknown, field = 'pollIntervalSeconds'): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < pollIntervalSecondsMin ||
    value > pollIntervalSecondsMax
  )
    throw new ValidationError(
      `${field} must be an integer from ${pollIntervalSecondsMin} to ${pollIntervalSecondsMax}`,
      field,
    );
  return value;
}

const notFound = (name: string | null) =>
  new NotFoundError(`source "${name ?? ''}" not found`, { code: 'source-not-found' });

function bounded(commit: ObservedCommit): ObservedCommit {
  if (!shaPattern.test(commit.sha)) throw new ValidationError(`not a commit sha: ${commit.sha}`, 'sha');
  const truncated = commit.changedPaths.length > changedPathsMax;
  return {
    sha: commit.sha,
    parents: [...commit.parents],
    author: { name: commit.author.name, email: commit.author.email },
    authoredAt: commit.authoredAt,
    committedAt: commit.committedAt,
    message: commit.message.slice(0, commitMessageMaxLength),
    changedPaths: commit.changedPaths.slice(0, changedPathsMax),
    changedPathsTruncated: commit.changedPathsTruncated || truncated,
  };
}

export const sourceDecider: Decider<SourceCommand, SourceEvent, SourceState> = {
  initialState,
  decide(command, state) {
    switch (command.type) {
      case 'AddSource': {
        const c = command.data;
        validateDnsLabel(c.name, 'name');
        if (state.status === 'active')
          throw new ConflictError(`source "${c.name}" already exists`, { code: 'source-exists' });
        const { url } = validateSourceUrl(c.url);
        const branch = validateBranch(c.branch ?? branchDefault);
        const pollIntervalSeconds = validatePollInterval(c.pollIntervalSeconds ?? pollIntervalSecondsDefault);
        const credentialsRef =
          c.credentialsRef === undefined ? undefined : validateSecretRef(c.credentialsRef, 'credentialsRef');
        const webhookSecretRef =
          c.webhookSecretRef === undefined ? undefined : validateSecretRef(c.webhookSecretRef, 'webhookSecretRef');
        return [
          {
            type: 'SourceAdded',
            data: {
              name: c.name,
              url,
              branch,
              pollIntervalSeconds,
              ...(credentialsRef ? { credentialsRef } : {}),
              ...(webhookSecretRef ? { webhookSecretRef } : {}),
            },
          },
        ];
      }
      case 'UpdateSource': {
        const c = command.data;
        if (state.status !== 'active') throw notFound(c.name);
        const ref = (value: string | null | undefined, current: string | null, field: string) =>
          value === undefined ? current : value === null ? null : validateSecretRef(value, field);
        const next = {
          branch: c.branch === undefined ? state.branch : validateBranch(c.branch),
          pollIntervalSeconds:
            c.pollIntervalSeconds === undefined
              ? state.pollIntervalSeconds
              : validatePollInterval(c.pollIntervalSeconds),
          credentialsRef: ref(c.credentialsRef, state.credentialsRef, 'credentialsRef'),
          webhookSecretRef: ref(c.webhookSecretRef, state.webhookSecretRef, 'webhookSecretRef'),
        };
        const changed = (['branch', 'pollIntervalSeconds', 'credentialsRef', 'webhookSecretRef'] as const).filter(
          (field) => next[field] !== state[field],
        );
        // Nothing new: nothing recorded (an update is idempotent).
        if (changed.length === 0) return [];
        return [
          {
            type: 'SourceChanged',
            data: {
              name: c.name,
              branch: next.branch,
              pollIntervalSeconds: next.pollIntervalSeconds,
              ...(next.credentialsRef ? { credentialsRef: next.credentialsRef } : {}),
              ...(next.webhookSecretRef ? { webhookSecretRef: next.webhookSecretRef } : {}),
              changed: [...changed],
            },
          },
        ];
      }
      case 'RemoveSource':
        if (state.status !== 'active') throw notFound(command.data.name);
        return [{ type: 'SourceRemoved', data: { name: command.data.name } }];
      case 'RecordFetch': {
        // A fetch that raced a removal records nothing: the source is gone.
        if (state.status !== 'active') return [];
        const source = state.name!;
        const at = command.data.now.toISOString();
        const outcome = command.data.outcome;
        if (!outcome.ok) {
          if (state.failingSince !== null) return [];
          const reason = outcome.reason.slice(0, fetchFailureReasonMaxLength) || 'unknown error';
          return [{ type: 'SourceFetchFailed', data: { source, reason, at } }];
        }
        if (!shaPattern.test(outcome.headSha))
          throw new ValidationError(`not a commit sha: ${outcome.headSha}`, 'headSha');
        const events: SourceEvent[] = [];
        if (state.failingSince !== null)
          events.push({ type: 'SourceFetchRecovered', data: { source, at, failingSince: state.failingSince } });
        if (outcome.rewritten && state.lastObservedSha !== null && state.lastObservedSha !== outcome.headSha)
          events.push({
            type: 'SourceHistoryRewritten',
            data: { source, branch: state.branch, previousSha: state.lastObservedSha, newSha: outcome.headSha, at },
          });
        // First observation of a new source: its head only, not the repository's whole past.
        const unobserved =
          state.lastObservedSha === null ? outcome.commits.filter((c) => c.sha === outcome.headSha) : outcome.commits;
        const seen = new Set<string>(state.lastObservedSha && !outcome.rewritten ? [state.lastObservedSha] : []);
        for (const commit of unobserved) {
          if (seen.has(commit.sha)) continue;
          seen.add(commit.sha);
          events.push({
            type: 'CommitObserved',
            data: { source, branch: state.branch, ...bounded(commit), observedAt: at },
          });
        }
        return events;
      }
      case 'RejectWebhook':
        if (state.status !== 'active') throw notFound(state.name);
        return [
          {
            type: 'WebhookRejected',
            data: {
              source: state.name!,
              provider: command.data.provider,
              reason: command.data.reason,
              at: command.data.now.toISOString(),
            },
          },
        ];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'SourceAdded':
        return {
          ...initialState(),
          status: 'active',
          name: event.data.name,
          url: event.data.url,
          branch: event.data.branch,
          pollIntervalSeconds: event.data.pollIntervalSeconds,
          credentialsRef: event.data.credentialsRef ?? null,
          webhookSecretRef: event.data.webhookSecretRef ?? null,
        };
      case 'SourceChanged':
        return {
          ...state,
          branch: event.data.branch,
          pollIntervalSeconds: event.data.pollIntervalSeconds,
          credentialsRef: event.data.credentialsRef ?? null,
          webhookSecretRef: event.data.webhookSecretRef ?? null,
        };
      case 'SourceRemoved':
        return { ...state, status: 'removed' };
      case 'CommitObserved':
        return { ...state, lastObservedSha: event.data.sha };
      case 'SourceHistoryRewritten':
        // The new head is current even when no new commit follows (a reset to an older commit).
        return { ...state, lastObservedSha: event.data.newSha };
      case 'SourceFetchFailed':
        return { ...state, failingSince: event.data.at };
      case 'SourceFetchRecovered':
        return { ...state, failingSince: null };
      default:
        return state;
    }
  },
};
