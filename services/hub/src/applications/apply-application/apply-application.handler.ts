import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@flotilla/event-store';
import {
  clusterGroupDecider,
  clusterGroupStreamId,
  InvalidApplicationError,
  sourceDecider,
  sourceStreamId,
  type ApplicationIssue,
} from '@flotilla/domain';
import type { Application } from '@flotilla/manifests';
import { loadAggregate } from '../../common/aggregate';
import { EVENT_STORE } from '../../event-store.provider';
import { parseApplicationFile } from '../application-parser';
import { decideOnApplication } from '../application-stream';
import { ApplyApplicationCommand, type ApplyOutcome } from './apply-application.command';

@CommandHandler(ApplyApplicationCommand)
export class ApplyApplicationHandler implements ICommandHandler<
  ApplyApplicationCommand,
  { outcome: ApplyOutcome; position: number }
> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(command: ApplyApplicationCommand): Promise<{ outcome: ApplyOutcome; position: number }> {
    const application = await parseApplicationFile(command.body);
    // Everything is checked before anything is appended: an application never half-applies.
    const issues = await this.referenceIssues(command.name, application);
    if (issues.length > 0) throw new InvalidApplicationError(issues);
    const { events, position } = await decideOnApplication(
      this.store,
      command.name,
      (state) =>
        state.status === 'active'
          ? { type: 'ChangeApplication', data: { name: command.name, spec: application.spec } }
          : { type: 'CreateApplication', data: { name: command.name, spec: application.spec } },
      command.actor,
    );
    const outcome: ApplyOutcome =
      events[0]?.type === 'ApplicationCreated' ? 'created' : events.length > 0 ? 'changed' : 'unchanged';
    return { outcome, position };
  }

  /**
   * The hub's half of validation: the name matches the URL, and the source and cluster
   * groups exist. Read from the log, not the read models, so a source added a moment ago
   * counts and one removed a moment ago does not.
   */
  private async referenceIssues(name: string, application: Application): Promise<ApplicationIssue[]> {
    const issues: ApplicationIssue[] = [];
    if (application.metadata.name !== name)
      issues.push({
        path: 'metadata.name',
        message: `must equal the name in the URL ("${name}"), is "${application.metadata.name}"`,
      });
    const spec = application.spec;
    const source = await loadAggregate(this.store, sourceStreamId(spec.source), sourceDecider);
    if (source.state.status !== 'active')
      issues.push({ path: 'spec.source', message: `unknown source "${spec.source}"` });
    const groups = new Map<string, boolean>();
    for (const [index, target] of spec.targets.entries()) {
      if (target.group === undefined) continue;
      if (!groups.has(target.group)) {
        const group = await loadAggregate(this.store, clusterGroupStreamId(target.group), clusterGroupDecider);
        groups.set(target.group, group.state.status === 'active');
      }
      if (!groups.get(target.group))
        issues.push({ path: `spec.targets[${index}].group`, message: `unknown cluster group "${target.group}"` });
    }
    return issues;
  }
}
