import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore, NewEvent } from '@flotilla/event-store';
import {
  clusterDecider,
  clusterKeyDecider,
  clusterKeyStreamId,
  clusterNameDecider,
  clusterNameStreamId,
  clusterStreamId,
  ConflictError,
  parseSecretToken,
  registrationRefusalsStreamId,
  registrationTokenDecider,
  registrationTokenPrefix,
  registrationTokenStreamId,
  ValidationError,
  type RegistrationRefused,
  type RegistrationRefusalReason,
  type RegistrationTokenState,
} from '@flotilla/domain';
import { decidedAgainOnConflict, loadAggregate } from '../../common/aggregate';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../../common/clock';
import { RefusalLimiter } from '../../common/refusal-limiter';
import { durations } from '../../durations';
import { EVENT_STORE } from '../../event-store.provider';
import { RegisterClusterCommand, type RegisterClusterResult } from './register-cluster.command';
import { RegistrationRefusedError } from './registration-refused.error';
import { refusedField } from './refused-field';

/** Refusals of one source recorded one by one per window; the rest are counted (RegistrationRefusalsAggregated). */
const refusalsRecordedPerWindow = 10;
const unregisteredActor = 'agent:unregistered';

@CommandHandler(RegisterClusterCommand)
export class RegisterClusterHandler
  implements ICommandHandler<RegisterClusterCommand, RegisterClusterResult>, OnModuleDestroy
{
  private readonly logger = new Logger('RegisterCluster');
  /**
   * The source of a registration attempt is the token it names: its own stream when the token
   * exists, the shared refusals stream for unknown and malformed tokens (whoever sends them:
   * NATS tells the hub nothing else about the sender of a bootstrap request).
   */
  private readonly refusals = new RefusalLimiter({
    windowMs: durations.refusalWindowMs,
    recordedPerWindow: refusalsRecordedPerWindow,
    onSuppressed: async ({ key, count, reasons, since, until }) => {
      await this.store.append(
        key,
        [
          {
            type: 'RegistrationRefusalsAggregated',
            data: { count, reasons, since: since.toISOString(), until: until.toISOString() },
          },
        ],
        { expectedVersion: 'any', metadata: { actor: unregisteredActor } },
      );
      this.logger.warn(
        `${count} more registrations refused on ${key} since ${since.toISOString()} (counted, not recorded one by one)`,
      );
    },
    onError: (err, { key, count }) =>
      this.logger.error(`recording ${count} refused registrations on ${key} failed: ${(err as Error).message}`),
  });

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
  ) {}

  /** Another registration raced ours on the token or the name: decide again. */
  async execute(command: RegisterClusterCommand): Promise<RegisterClusterResult> {
    return decidedAgainOnConflict(() => this.attempt(command));
  }

  private async attempt(command: RegisterClusterCommand): Promise<RegisterClusterResult> {
    const now = this.clock.now();
    const parts =
      typeof command.token === 'string' ? parseSecretToken(registrationTokenPrefix, command.token) : undefined;
    if (!parts) return this.refuse(registrationRefusalsStreamId, 'malformed', command, now, undefined, 'token');

    const tokenStream = registrationTokenStreamId(parts.tokenId);
    const token = await loadAggregate(this.store, tokenStream, registrationTokenDecider);
    if (token.state.status === 'none')
      return this.refuse(registrationRefusalsStreamId, 'unknown', command, now, parts.tokenId);

    const clusterId = this.ids.clusterId();
    const decided = registrationTokenDecider.decide(
      {
        type: 'UseRegistrationToken',
        data: {
          secret: parts.secret,
          clusterId,
          // What a refusal by the token would record: never the raw fields.
          clusterName: refusedField(command.name, 'name'),
          publicKey: refusedField(command.publicKey, 'public-key'),
          now,
        },
      },
      token.state,
    );
    const first = decided[0]!;
    if (first.type === 'RegistrationRefused') {
      if (first.data.reason === 'used') {
        const replay = await this.replayOfOwnRegistration(token.state, command);
        if (replay) return replay;
      }
      return this.refuse(tokenStream, first.data.reason, command, now, parts.tokenId);
    }

    let registered;
    try {
      registered = clusterDecider.decide(
        {
          type: 'RegisterCluster',
          data: {
            clusterId,
            name: command.name,
            labels: token.state.labels,
            publicKey: command.publicKey,
            agentVersion: command.agentVersion,
            kubernetesVersion: command.kubernetesVersion,
            apiVersions: command.apiVersions,
            tokenId: parts.tokenId,
            now,
          },
        },
        clusterDecider.initialState(),
      );
    } catch (err) {
      // A bad name or key does not burn the token: the operator can fix the flag and retry.
      if (err instanceof ValidationError)
        return this.refuse(tokenStream, 'malformed', command, now, parts.tokenId, err.field, err);
      throw err;
    }

    const nameStream = clusterNameStreamId(command.name);
    const name = await loadAggregate(this.store, nameStream, clusterNameDecider);
    let claimed;
    try {
      claimed = clusterNameDecider.decide(
        { type: 'ClaimClusterName', data: { name: command.name, clusterId } },
        name.state,
      );
    } catch (err) {
      if (err instanceof ConflictError)
        return this.refuse(tokenStream, 'name-taken', command, now, parts.tokenId, command.name, err);
      throw err;
    }

    // One key, one cluster: a second cluster on the same key would share its NATS identity.
    const keyStream = clusterKeyStreamId(command.publicKey);
    const key = await loadAggregate(this.store, keyStream, clusterKeyDecider);
    let keyClaimed;
    try {
      keyClaimed = clusterKeyDecider.decide(
        { type: 'ClaimClusterKey', data: { publicKey: command.publicKey, clusterId } },
        key.state,
      );
    } catch (err) {
      if (err instanceof ConflictError)
        return this.refuse(tokenStream, 'key-taken', command, now, parts.tokenId, undefined, err);
      throw err;
    }

    // All land or none: a used token always has its cluster, a cluster always its name and key.
    await this.store.appendMany(
      [
        { streamId: tokenStream, events: decided as NewEvent[], expectedVersion: token.version },
        { streamId: clusterStreamId(clusterId), events: registered as NewEvent[], expectedVersion: 0 },
        { streamId: nameStream, events: claimed as NewEvent[], expectedVersion: name.version },
        { streamId: keyStream, events: keyClaimed as NewEvent[], expectedVersion: key.version },
      ],
      { metadata: { actor: `agent:${clusterId}` } },
    );
    this.logger.log(`cluster ${command.name} registered as ${clusterId} with token ${parts.tokenId}`);
    return { clusterId, name: command.name, labels: { ...token.state.labels } };
  }

  /**
   * An agent whose reply was lost retries with the same token and key: answer again rather
   * than strand it. Only the key the token was used for gets this, and it is useless
   * without the private key that never left the agent.
   */
  private async replayOfOwnRegistration(
    token: RegistrationTokenState,
    command: RegisterClusterCommand,
  ): Promise<RegisterClusterResult | undefined> {
    if (!token.usedBy) return undefined;
    const cluster = await loadAggregate(this.store, clusterStreamId(token.usedBy), clusterDecider);
    const s = cluster.state;
    if (s.status !== 'registered' || s.publicKey !== command.publicKey || s.name !== command.name) return undefined;
    return { clusterId: s.clusterId!, name: s.name, labels: { ...s.labels } };
  }

  private async refuse(
    streamId: string,
    reason: RegistrationRefusalReason,
    command: RegisterClusterCommand,
    now: Date,
    tokenId?: string,
    detail?: string,
    cause?: unknown,
  ): Promise<never> {
    const event: RegistrationRefused = {
      type: 'RegistrationRefused',
      data: {
        ...(tokenId ? { tokenId } : {}),
        reason,
        clusterName: refusedField(command.name, 'name'),
        publicKey: refusedField(command.publicKey, 'public-key'),
        at: now.toISOString(),
      },
    };
    if (this.refusals.admit(streamId, reason)) {
      // 'any': a refusal changes no decision, so it must not fail on a concurrent write.
      await this.store.append(streamId, [event as NewEvent], {
        expectedVersion: 'any',
        metadata: { actor: unregisteredActor },
      });
      this.logger.warn(
        `registration of "${refusedField(command.name, 'name')}" refused: ${reason}${tokenId ? ` (token ${tokenId})` : ''}`,
      );
    }
    throw new RegistrationRefusedError(reason, detail, { cause });
  }

  async onModuleDestroy(): Promise<void> {
    await this.refusals.stop();
  }
}
