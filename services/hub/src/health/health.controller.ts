import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Readiness } from '@flotilla/api';
import { PublicRoute } from '../auth/principal';
import { durations } from '../durations';
import { ReadModelsService } from '../projections/read-models.service';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

@Controller()
@PublicRoute()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    private readonly readModels: ReadModelsService,
  ) {}

  /** Liveness: the process serves HTTP. Dependencies are /readyz's business. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: { status(code: number): unknown }): Promise<Readiness> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            c.check(),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`no answer within ${durations.readinessCheckTimeoutMs} ms`)),
                durations.readinessCheckTimeoutMs,
              );
            }),
          ]);
          return { name: c.name, ok: true as const };
        } catch (err) {
          return { name: c.name, ok: false as const, error: (err as Error).message };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const projectionProblems = this.readModels.problems();
    if (projectionProblems.length > 0)
      results.push({ name: 'projections', ok: false, error: projectionProblems.join('; ') });
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not-ready', checks: results };
  }
}
