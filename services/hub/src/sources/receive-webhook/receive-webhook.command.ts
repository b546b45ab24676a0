import { Command } from '@nestjs/cqrs';
import type { WebhookProvider } from '@flotilla/domain';
import type { WebhookHeaders } from './webhook-signature';

export interface ReceiveWebhookResult {
  provider: WebhookProvider;
  /** false for a ping: verified, nothing to fetch. */
  triggered: boolean;
}

/** A push notification for a source; verified against its webhook secret, then a fetch starts. */
export class ReceiveWebhookCommand extends Command<ReceiveWebhookResult> {
  constructor(
    readonly name: string,
    readonly headers: WebhookHeaders,
    /** The body exactly as received; undefined when the app was built without `rawBody: true`. */
    readonly rawBody: Buffer | undefined,
  ) {
    super();
  }
}
