import { z } from 'zod';
import { loadSettings } from '../config/load-settings';

/**
 * Default largest bundle (canonical JSON) the hub renders: 900 KiB, so a bundle answer fits
 * NATS's default max_payload of 1 MiB with room for the envelope. Raising it needs the NATS
 * server's max_payload raised too; the hub warns at start-up when the two disagree.
 */
export const bundleMaxBytesDefault = 900 * 1024;

/**
 * The desired-state capability's settings (FLOTILLA_HUB_BUNDLE_*, FLOTILLA_HUB_DESIRED_*),
 * validated at start-up like the hub's own config.
 */
export const desiredStateConfigSchema = z.object({
  /** A render above this many bytes fails (RenderFailed, code bundle-too-large): no cluster moves to it. */
  FLOTILLA_HUB_BUNDLE_MAX_BYTES: z.coerce.number().int().min(1024).default(bundleMaxBytesDefault),
  /** `false` on replicas that must not render (they still answer agents' requests). */
  FLOTILLA_HUB_DESIRED_REACTOR: z.enum(['true', 'false']).default('true'),
});

export interface DesiredStateConfig {
  maxBundleBytes: number;
  /** Whether this replica runs the reactor (rendering and assignment). Replicas take turns anyway. */
  reactor: boolean;
}

export function loadDesiredStateConfig(env: NodeJS.ProcessEnv = process.env): DesiredStateConfig {
  const settings = loadSettings(desiredStateConfigSchema, 'desired-state', env);
  return {
    maxBundleBytes: settings.FLOTILLA_HUB_BUNDLE_MAX_BYTES,
    reactor: settings.FLOTILLA_HUB_DESIRED_REACTOR === 'true',
  };
}

export const DESIRED_STATE_CONFIG = 'DESIRED_STATE_CONFIG';
