import type { ApplicationSpec } from '@flotilla/manifests';
import type { Decider, DomainEvent } from '../decider';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { isClusterId, validateDnsLabel } from '../names';

/**
 * An application: which manifests (a source and a path) go to which clusters, and how they
 * are kept in sync. The spec is the application file's `spec`, already normalised by
 * @flotilla/manifests' parseApplicationSpec (defaults applied); the hub checks its references
 * (source, cluster groups) before the decider sees it, so the decider only keeps the
 * lifecycle rules: one live application per name, no event for an unchanged spec, pins
 * that make sense.
 *
 * Pinning has two sources, and the operator's wins: `spec.pinnedCommit` is what the file
 * declares (reviewed in git like the rest of it); `flotilla apps pin` records an operator's
 * pin (a rollback without editing the file), which stays until `apps unpin` whatever the
 * file later says. `desiredPin` folds the two.
 *
 * The stream is shared: the hub's renderer appends RevisionRendered / RenderFailed to it;
 * `evolve` ignores them.
 */
export const applicationStreamId = (name: string): string => `application-${name}`;
export const applicationStreamPrefix = 'application-';

export type ApplicationCreated = DomainEvent<'ApplicationCreated', { name: string; spec: ApplicationSpec }>;
export type ApplicationChanged = DomainEvent<'ApplicationChanged', { name: string; spec: ApplicationSpec }>;
export type ApplicationDeleted = DomainEvent<'ApplicationDeleted', { name: string }>;
export type ApplicationPinned = DomainEvent<'ApplicationPinned', { name: string; commit: string }>;
export type ApplicationUnpinned = DomainEvent<'ApplicationUnpinned', { name: string }>;
/** A manual sync: apply now, on every targeted cluster or on one. */
export type ApplicationSyncRequested = DomainEvent<'ApplicationSyncRequested', { name: string; clusterId?: string }>;

export type ApplicationEvent =
  | ApplicationCreated
  | ApplicationChanged
  | ApplicationDeleted
  | ApplicationPinned
  | ApplicationUnpinned
  | ApplicationSyncRequested;

export const applicationEventTypes: readonly ApplicationEvent['type'][] = [
  'ApplicationCreated',
  'ApplicationChanged',
  'ApplicationDeleted',
  'ApplicationPinned',
  'ApplicationUnpinned',
  'ApplicationSyncRequested',
];

export type ApplicationCommand =
  | { type: 'CreateApplication'; data: { name: string; spec: ApplicationSpec } }
  | { type: 'ChangeApplication'; data: { name: string; spec: ApplicationSpec } }
  | { type: 'DeleteApplication'; data: { name: string } }
  | { type: 'PinApplication'; data: { name: string; commit: string } }
  | { type: 'UnpinApplication'; data: { name: string } }
  | { type: 'RequestApplicationSync'; data: { name: string; clusterId?: string } };

export interface ApplicationState {
  status: 'none' | 'active' | 'deleted';
  name: string | null;
  spec: ApplicationSpec | null;
  /** The operator's pin (`apps pin`); null when none. The file's own pin is `spec.pinnedCommit`. */
  pinnedCommit: string | null;
}

/** A full commit id, as git prints it: 40 hex digits (SHA-1) or 64 (SHA-256 repositories). */
const commitPattern = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

export function isFullCommitId(value: unknown): value is string {
  return typeof value === 'string' && commitPattern.test(value);
}

/** The commit the application must stay on, or null to follow its source's branch. */
export function desiredPin(state: Pick<ApplicationState, 'pinnedCommit' | 'spec'>): string | null {
  return state.pinnedCommit ?? state.spec?.pinnedCommit ?? null;
}

/** Key order does not make two specs different (a JSON body and a YAML file list keys differently). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sameApplicationSpec(a: ApplicationSpec, b: ApplicationSpec): boolean {
  return canonical(a) === canonical(b);
}

const notFound = (name: string) =>
  new NotFoundError(`application "${name}" not found`, { code: 'application-not-found' });

function requireSpec(spec: unknown): ApplicationSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    throw new ValidationError('spec must be an object', 'spec');
  return spec as ApplicationSpec;
}

function requireActive(state: ApplicationState, name: string): void {
  if (state.status !== 'active') throw notFound(name);
}

export const applicationDecider: Decider<ApplicationCommand, ApplicationEvent, ApplicationState> = {
  initialState: () => ({ status: 'none', name: null, spec: null, pinnedCommit: null }),
  decide(command, state) {
    const name = validateDnsLabel(command.data.name, 'metadata.name');
    switch (command.type) {
      case 'CreateApplication': {
        if (state.status === 'active')
          throw new ConflictError(`application "${name}" already exists`, { code: 'application-exists' });
        return [{ type: 'ApplicationCreated', data: { name, spec: requireSpec(command.data.spec) } }];
      }
      case 'ChangeApplication': {
        requireActive(state, name);
        const spec = requireSpec(command.data.spec);
        if (state.spec && sameApplicationSpec(state.spec, spec)) return [];
        return [{ type: 'ApplicationChanged', data: { name, spec } }];
      }
      case 'DeleteApplication':
        requireActive(state, name);
        return [{ type: 'ApplicationDeleted', data: { name } }];
      case 'PinApplication': {
        const commit = command.data.commit;
        if (!isFullCommitId(commit))
          throw new ValidationError(
            'commit must be a full lowercase commit id (40 hex digits, or 64 for SHA-256 repositories)',
            'commit',
          );
        requireActive(state, name);
        // Pinning again to the same commit changes nothing: no event, so retries are harmless.
        if (state.pinnedCommit === commit) return [];
        return [{ type: 'ApplicationPinned', data: { name, commit } }];
      }
      case 'UnpinApplication':
        requireActive(state, name);
        if (state.pinnedCommit === null) {
          const filePin = state.spec?.pinnedCommit;
          throw new ConflictError(
            filePin
              ? `application "${name}" is pinned by its file (spec.pinnedCommit ${filePin}), not by \`apps pin\`: remove spec.pinnedCommit from the file and apply it`
              : `application "${name}" is not pinned`,
            { code: 'application-not-pinned' },
          );
        }
        return [{ type: 'ApplicationUnpinned', data: { name } }];
      case 'RequestApplicationSync': {
        requireActive(state, name);
        const clusterId = command.data.clusterId;
        if (clusterId !== undefined && !isClusterId(clusterId))
          throw new ValidationError(`clusterId "${clusterId}" is not a cluster id (c + 16 hex digits)`, 'clusterId');
        return [
          { type: 'ApplicationSyncRequested', data: { name, ...(clusterId !== undefined ? { clusterId } : {}) } },
        ];
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ApplicationCreated':
        // A re-created name starts over: no pin of the deleted application carries across.
        return { status: 'active', name: event.data.name, spec: event.data.spec, pinnedCommit: null };
      case 'ApplicationChanged':
        return { ...state, spec: event.data.spec };
      case 'ApplicationDeleted':
        return { ...state, status: 'deleted', pinnedCommit: null };
      case 'ApplicationPinned':
        return { ...state, pinnedCommit: event.data.commit };
      case 'ApplicationUnpinned':
        return { ...state, pinnedCommit: null };
      default:
        return state;
    }
  },
};
