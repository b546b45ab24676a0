import { FlotillaError, type ErrorCategory, type WebhookRejectionReason } from '@flotilla/domain';

/** The delivery was refused and recorded (WebhookRejected). The message tells the sender nothing about the secret. */
export class WebhookRejectedError extends FlotillaError {
  readonly category: ErrorCategory;
  constructor(
    readonly reason: WebhookRejectionReason,
    options?: { cause?: unknown },
  ) {
    super(
      `webhook-${reason}`,
      reason === 'secret-unavailable'
        ? 'the webhook secret of this source cannot be read on this hub'
        : `webhook rejected: ${reason}`,
      options,
    );
    this.category = reason === 'secret-unavailable' ? 'unavailable' : 'unauthorized';
  }
}
