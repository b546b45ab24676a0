import { FlotillaError, type ErrorCategory, type RegistrationRefusalReason } from '@flotilla/domain';

const messages: Record<RegistrationRefusalReason, string> = {
  malformed:
    'the registration request is malformed (expected a token flt_reg_<id>_<secret>, a DNS-label cluster name and a NATS user public key)',
  unknown: 'the registration token is unknown',
  'invalid-secret': 'the registration token is invalid',
  expired: 'the registration token has expired: create a new one',
  used: 'the registration token was already used: create a new one',
  'name-taken': 'a live cluster already has this name: choose another or deregister the old cluster',
  'key-taken':
    'this public key is already registered to another cluster: every agent needs its own key (start it with a fresh credentials file, it generates one)',
};

/** The hub refused a registration; the attempt is already recorded as RegistrationRefused. */
export class RegistrationRefusedError extends FlotillaError {
  readonly category: ErrorCategory;

  constructor(
    readonly reason: RegistrationRefusalReason,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(`registration-${reason}`, detail ? `${messages[reason]}: ${detail}` : messages[reason], options);
    this.category =
      reason === 'name-taken' || reason === 'key-taken'
        ? 'conflict'
        : reason === 'malformed'
          ? 'validation'
          : 'unauthorized';
  }
}
