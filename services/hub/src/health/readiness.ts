/**
 * A dependency /readyz checks. The hub registers Postgres itself; the NATS side may
 * register its connection under the same token (multi-provider) so /readyz covers it.
 */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export const READINESS_CHECKS = 'READINESS_CHECKS';
