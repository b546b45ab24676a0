import { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsDurations } from '../../durations';
import type { NatsAuthority, Revocations } from '../nats-authority';

export class AccountClaimsUpdateError extends Error {
  override readonly name = 'AccountClaimsUpdateError';
}

/**
 * Pushes the account JWT the hub issues to the NATS server over the system account, on
 * the subject both the memory and the full resolver listen to. The server then refuses
 * revoked users and closes their connections.
 */
export class AccountClaimsPublisher {
  private readonly logger = new Logger('AccountClaims');

  constructor(
    private readonly systemConnection: NatsConnection,
    private readonly authority: NatsAuthority,
  ) {}

  async push(revocations: Revocations): Promise<void> {
    const jwt = await this.authority.accountJwt(revocations);
    const subject = `$SYS.REQ.ACCOUNT.${this.authority.accountPublicKey}.CLAIMS.UPDATE`;
    let reply;
    try {
      reply = await this.systemConnection.request(subject, jwt, { timeout: natsDurations.claimsUpdateTimeoutMs });
    } catch (err) {
      throw new AccountClaimsUpdateError(
        `the NATS server did not accept the account update: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const text = reply.string();
    let answer: { error?: { description?: string }; data?: { message?: string } } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // Older servers answer plain text; judged below.
    }
    if (answer.error || !/jwt updated/.test(text)) {
      throw new AccountClaimsUpdateError(
        `the NATS server refused the account update: ${answer.error?.description ?? text}`,
      );
    }
    this.logger.log(
      `account ${this.authority.accountPublicKey} updated with ${Object.keys(revocations).length} revoked user(s)`,
    );
  }
}
