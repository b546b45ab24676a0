import { Inject, Logger } from '@nestjs/common';
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
export class ReceiveWebhookHandler implements ICommandHandler<ReceiveWebhookCommand, ReceiveWebhookResult> {
  private readonly logger = new Logger('SourceWebhook');
  private readonly rejections = new Map<string, { windowStart: number; count: number }>();

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
    if (this.shouldRecord(name)) {
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

  private shouldRecord(name: string): boolean {
    const now = Date.now();
    let entry = this.rejections.get(name);
    if (!entry || now - entry.windowStart >= durations.webhookRejectionWindowMs) {
      entry = { windowStart: now, count: 0 };
      this.rejections.set(name, entry);
    }
    entry.count += 1;
    return entry.count <= rejectionsRecordedPerWindow;
  }
}
