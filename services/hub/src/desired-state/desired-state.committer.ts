import {
  DuplicateEventIdError,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@flotilla/event-store';
import {
  applicationStreamId,
  clusterStreamId,
  nextDesiredState,
  type ApplicationChange,
  type DesiredStateAssigned,
  type RenderDecision,
} from '@flotilla/domain';
import { canonicalJson, type Bundle } from '@flotilla/manifests';
import { decidedAgainOnConflict } from '../common/aggregate';
import { encodeDesiredStatePayload } from './desired-state.codec';
import type { DesiredStateRepository } from './desired-state.repository';
import { deterministicEventId } from './deterministic-id';

/**
 * The work one log event causes, gathered from its decisions before anything is appended.
 * Event ids derive from (reactor, causing position, what): a batch retried after a crash
 * recomputes the same ids and the log refuses them as duplicates.
 */
export class Reaction {
  readonly changes = new Map<string, ApplicationChange[]>();
  readonly events = new Map<string, NewEvent[]>();
  readonly bundles = new Map<string, Bundle>();

  constructor(
    private readonly reactor: string,
    readonly cause: RecordedEvent,
  ) {}

  add(decision: RenderDecision, rendered: ReadonlyMap<string, Bundle>): void {
    for (const { clusterId, change } of decision.changes) {
      const list = this.changes.get(clusterId) ?? [];
      list.push(change);
      this.changes.set(clusterId, list);
    }
    for (const digest of decision.bundles) this.bundles.set(digest, rendered.get(digest)!);
    const at = `${this.reactor}/${this.cause.position}`;
    for (const data of decision.rendered) {
      const id = deterministicEventId(`${at}/rendered/${data.application}/${data.commit}/${data.clusterId}`);
      this.record(data.application, { type: 'RevisionRendered', data, id });
    }
    for (const data of decision.failed) {
      const id = deterministicEventId(`${at}/failed/${data.application}/${data.commit}/${data.clusterId ?? '*'}`);
      this.record(data.application, { type: 'RenderFailed', data, id });
    }
  }

  private record(application: string, event: NewEvent): void {
    const list = this.events.get(application) ?? [];
    list.push(event);
    this.events.set(application, list);
  }
}

/**
 * Appends what a reaction holds and keeps what agents read: bundles first, then the render
 * events on each application's stream, then a new revision for every live cluster whose
 * set of applications changed. The appends go to the log on their own connection before
 * the reactor's transaction commits (see DesiredStateReactor).
 */
export class DesiredStateCommitter {
  constructor(
    private readonly store: EventStore,
    private readonly reactor: string,
    private readonly log: (message: string) => void,
  ) {}

  /** The clusters that got a new desired state (published after the transaction commits). */
  async commit(reaction: Reaction, repository: DesiredStateRepository): Promise<string[]> {
    const cause = reaction.cause;
    const metadata: EventMetadata = {
      // The change is the causing event's: the user who pinned, the poller that saw the commit.
      actor: cause.metadata.actor,
      causationId: cause.id,
      correlationId: cause.metadata.correlationId ?? cause.id,
      ...(cause.metadata.traceparent ? { traceparent: cause.metadata.traceparent } : {}),
    };
    for (const bundle of reaction.bundles.values()) {
      await repository.storeBundle(bundle.digest, canonicalJson(bundle.objects), bundle.sizeBytes);
    }
    for (const [application, events] of reaction.events) {
      await this.appendOnce(applicationStreamId(application), events, 'any', metadata);
    }
    const live = await repository.clusterIds();
    const touched: string[] = [];
    for (const [clusterId, changes] of [...reaction.changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!live.has(clusterId)) continue;
      const current = await repository.desiredState(clusterId);
      const next = nextDesiredState(current?.applications ?? [], changes);
      if (!next.changed) continue;
      const revision = (current?.revision ?? 0) + 1;
      const assigned: DesiredStateAssigned = {
        type: 'DesiredStateAssigned',
        data: { clusterId, revision, applications: next.applications },
      };
      const id = deterministicEventId(`${this.reactor}/${cause.position}/assigned/${clusterId}`);
      await this.appendAssignment(clusterId, { ...assigned, id }, metadata);
      const payload = encodeDesiredStatePayload({ clusterId, revision, applications: next.applications });
      await repository.saveDesiredState(clusterId, {
        revision,
        applications: next.applications,
        payload,
        position: cause.position,
      });
      touched.push(clusterId);
      this.log(`cluster ${clusterId}: desired state revision ${revision} (${next.applications.length} applications)`);
    }
    return touched;
  }

  /** The cluster stream also takes status events: re-read its version and try again when one lands first. */
  private async appendAssignment(clusterId: string, event: NewEvent, metadata: EventMetadata): Promise<void> {
    const streamId = clusterStreamId(clusterId);
    await decidedAgainOnConflict(async () =>
      this.appendOnce(streamId, [event], await this.store.streamVersion(streamId), metadata),
    );
  }

  private async appendOnce(
    streamId: string,
    events: NewEvent[],
    expectedVersion: number | 'any',
    metadata: EventMetadata,
  ): Promise<void> {
    try {
      await this.store.append(streamId, events, { expectedVersion, metadata });
    } catch (err) {
      // Landed before a crash rolled our tables back: the same ids, the same content.
      if (err instanceof DuplicateEventIdError) return;
      throw err;
    }
  }
}
