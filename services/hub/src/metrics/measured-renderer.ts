import type { BundleRenderer, RenderJob, RenderedPair } from '../desired-state/bundle-renderer';
import type { HubMetrics } from './hub-metrics';

/** The reactor's renderer, timed: every job's duration by outcome, and every pair that failed to render. */
export function measuredRenderer(renderer: BundleRenderer, metrics: HubMetrics | undefined): BundleRenderer {
  if (!metrics) return renderer;
  return {
    async render(job: RenderJob): Promise<RenderedPair[]> {
      const end = metrics.renderSeconds.startTimer();
      try {
        const pairs = await renderer.render(job);
        const failed = pairs.filter((p) => !p.ok).length;
        metrics.renderFailures.inc(failed);
        end({ outcome: failed > 0 ? 'failed' : 'rendered' });
        return pairs;
      } catch (err) {
        // Thrown: a failure a later attempt may heal (the reactor retries the batch).
        end({ outcome: 'error' });
        throw err;
      }
    },
  };
}
