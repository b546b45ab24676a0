import { Controller, Get, Inject } from '@nestjs/common';
import type { AuditVerifyResult } from '@flotilla/api';
import type { EventStore, VerifyResult } from '@flotilla/event-store';
import { EVENT_STORE } from '../event-store.provider';

/**
 * GET /api/v1/audit/verify: walks the whole hash chain. Viewer is enough: the answer reveals
 * positions and hashes only. Concurrent requests share the walk in progress, so many callers
 * cannot make the hub read the log many times over.
 */
@Controller('api/v1/audit')
export class AuditController {
  private running: Promise<VerifyResult> | undefined;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get('verify')
  async verify(): Promise<AuditVerifyResult> {
    if (!this.running) {
      this.running = this.store.verify().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }
}
