import { fleetDurations } from './fleet.durations';
import { HubRequestError } from './fleet.errors';
import type { RegistrationTokenProvider } from './simulated-fleet';

export interface HubRegistrationTokensOptions {
  /** The hub's base URL, e.g. http://hub:8080. */
  hubUrl: string;
  /** An API token with the operator (or admin) role. */
  apiToken: string;
  ttlSeconds?: number;
  timeoutMs?: number;
}

/**
 * Asks the hub for one one-time registration token per simulated cluster, carrying that
 * cluster's labels, exactly as an operator would (`POST /api/v1/registration-tokens`): the
 * fleet registers through the same path as real clusters, so it measures it too.
 */
export function hubRegistrationTokens(options: HubRegistrationTokensOptions): RegistrationTokenProvider {
  const url = `${options.hubUrl.replace(/\/+$/, '')}/api/v1/registration-tokens`;
  const ttlSeconds = options.ttlSeconds ?? fleetDurations.registrationTokenTtlSeconds;
  const timeoutMs = options.timeoutMs ?? fleetDurations.hubRequestTimeoutMs;
  return async (cluster) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ labels: cluster.labels, ttlSeconds }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new HubRequestError(
        `cannot reach the hub at ${options.hubUrl} for a registration token (${(err as Error).message})`,
        undefined,
        { cause: err },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      // The hub's error body names the problem (a bad label, a missing role); it never holds a secret.
      throw new HubRequestError(
        `the hub refused a registration token for cluster ${cluster.name}: ${response.status} ${text.slice(0, 500)}`,
        response.status,
      );
    }
    let body: { token?: unknown; bootstrapCreds?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (err) {
      throw new HubRequestError(`the hub answered a registration token request with non-JSON`, response.status, {
        cause: err,
      });
    }
    if (typeof body.token !== 'string' || body.token === '')
      throw new HubRequestError('the hub answered a registration token request without a token', response.status);
    return {
      token: body.token,
      ...(typeof body.bootstrapCreds === 'string' ? { bootstrapCreds: body.bootstrapCreds } : {}),
    };
  };
}
