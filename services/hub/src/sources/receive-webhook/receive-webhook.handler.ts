import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore, NewEvent } from '@flotilla/event-store';
import {
  NotFoundError,
  sourceDecider,
  sourceStreamId,
  validateDnsLabel,
  type SourceState,
  type WebhookProvider,
  type WebhookRejectionReason,
} from '@flotilla/domain';
import { loadAggregate } from '../../common/aggregate';
import { CLOCK, type Clock } from '../../common/clock';
import { RefusalLimiter } from '../../common/refusal-limiter';
import { durations } from '../../durations';
import { EVENT_STORE } from '../../event-store.provider';
import { SourceObserver } from '../observe-source/source-observer';
import { SourceSecrets } from '../source-secrets';
import { ReceiveWebhookCommand, type ReceiveWebhookResult } from './receive-webhook.command';
import { WebhookRejectedError } from './webhook-rejected.error';
import { detectProvider, isPing, verifyWebhook } from './webhook-signature';

/** Rejections of one source recorded per window; the rest are logged only. */
const rejectionsRecordedPerWindow = 10;
export const webhookActor = 'system:git-webhook';

@CommandHandler(ReceiveWebhookCommand)
export class ReceiveWebhookHandler
  implements ICommandHandler<ReceiveWebhookCommand, ReceiveWebhookResult>, OnModuleDestroy
{
  private readonly logger = new Logger('SourceWebhook');
  /** Per source: the first rejections of a window recorded, the rest counted (WebhookRejectionsAggregated). */
  private readonly rejections = new RefusalLimiter({
    windowMs: durations.refusalWindowMs,
    recordedPerWindow: rejectionsRecordedPerWindow,
    onSuppressed: async ({ key, count, reasons, since, until }) => {
      await this.store.append(
        sourceStreamId(key),
        [
          {
            type: 'WebhookRejectionsAggregated',
            data: { source: key, count, reasons, since: since.toISOString(), until: until.toISOString() },
          },
        ],
        { expectedVersion: 'any', metadata: { actor: webhookActor } },
      );
    },
    onError: (err, { key, count }) =>
      this.logger.error(`recording ${count} rejected webhooks of source ${key} failed: ${(err as Error).message}`),
  });

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly secrets: SourceSecrets,
    private readonly observer: SourceObserver,
  ) {}

  async execute(command: ReceiveWebhookCommand): Promise<ReceiveWebhookResult> {
    const notFound = (cause?: unknown) =>
      new NotFoundError(`source "${command.name}" not found`, { code: 'source-not-found', cause });
    try {
      validateDnsLabel(command.name, 'name');
    } catch (err) {
      throw notFound(err);
    }
    // Unknown names are not recorded: anyone could otherwise create streams by guessing.
    const { state } = await loadAggregate(this.store, sourceStreamId(command.name), sourceDecider);
    if (state.status !== 'active') throw notFound();
    const provider = detectProvider(command.headers);

    if (!state.webhookSecretRef) return this.reject(state, provider, 'not-configured');
    let secret: string;
    try {
      secret = await this.secrets.read(state.webhookSecretRef);
    } catch (err) {
      this.logger.error(`source ${command.name}: ${(err as Error).message}`);
      return this.reject(state, provider, 'secret-unavailable', err);
    }
    if (!command.rawBody)
      throw new Error(
        'the webhook needs the raw request body: create the app with NestFactory.create(..., { rawBody: true })',
      );
    const verdict = verifyWebhook(command.headers, command.rawBody, secret);
    if (!verdict.ok) return this.reject(state, verdict.provider, verdict.reason);

    if (isPing(command.headers)) return { provider: verdict.provider, triggered: false };
    void this.observer.request(command.name, durations.sourceLeaseWaitMs).catch((err: unknown) => {
      this.logger.error(`fetch of source ${command.name} after a webhook failed: ${(err as Error).message}`);
    });
    return { provider: verdict.provider, triggered: true };
  }

  private async reject(
    state: SourceState,
    provider: WebhookProvider,
    reason: WebhookRejectionReason,
    cause?: unknown,
  ): Promise<never> {
    const name = state.name!;
    this.logger.warn(`webhook for source ${name} rejected (${provider}): ${reason}`);
    if (this.rejections.admit(name, reason)) {
      const now = this.clock.now();
      const events = sourceDecider.decide({ type: 'RejectWebhook', data: { provider, reason, now } }, state);
      // 'any': a rejection decides nothing, so it must not fail on a concurrent fetch's append.
      await this.store.append(sourceStreamId(name), events as NewEvent[], {
        expectedVersion: 'any',
        metadata: { actor: webhookActor },
      });
    }
    throw new WebhookRejectedError(reason, { cause });
  }

  async onModuleDestroy(): Promise<void> {
    await this.rejections.stop();
  }
}
