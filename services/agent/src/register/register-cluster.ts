import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { connect, credsAuthenticator, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { createCurve, type KeyPair } from '@nats-io/nkeys';
import { context as otelContext, trace } from '@opentelemetry/api';
import {
  BOOTSTRAP_INBOX_PREFIX,
  Headers,
  RefusalReason,
  RegisterRequestSchema,
  RegisterResponseSchema,
  decodeMessage,
  encodeMessage,
  messageMeta,
  registerSubject,
  type RegisterResponse,
} from '@flotilla/contracts';
import { Attr, injectTraceContext } from '@flotilla/telemetry';
import { durations } from '../durations';
import { RegistrationRefusedByHubError, RegistrationUnavailableError } from '../errors';

export interface RegistrationInput {
  servers: string[];
  /** Creds of the shared bootstrap user (may only send the registration request). */
  bootstrapCreds: string;
  token: string;
  clusterName: string;
  /** The agent's own NATS user public key; its seed stays with the caller. */
  publicKey: string;
  agentVersion: string;
  kubernetesVersion: string;
  apiVersions?: readonly string[];
}

export interface Registration {
  clusterId: string;
  clusterName: string;
  labels: Record<string, string>;
  userJwt: string;
  hubSigningPublicKey: string;
}

/** Human text for each refusal reason, printed by the agent before it exits. */
export const refusalReasonNames: Record<RefusalReason, string> = {
  [RefusalReason.UNSPECIFIED]: 'unspecified',
  [RefusalReason.MALFORMED]: 'malformed',
  [RefusalReason.UNKNOWN]: 'unknown-token',
  [RefusalReason.INVALID_SECRET]: 'invalid-token',
  [RefusalReason.EXPIRED]: 'expired-token',
  [RefusalReason.USED]: 'used-token',
  [RefusalReason.NAME_TAKEN]: 'name-taken',
  [RefusalReason.REJECTED]: 'rejected',
  [RefusalReason.KEY_TAKEN]: 'key-taken',
};

/**
 * One registration attempt: connects as the bootstrap user, sends the token and public
 * key, and returns the hub's answer. A refusal throws RegistrationRefusedByHubError
 * (terminal); no answer throws RegistrationUnavailableError (retryable), except a
 * REJECTED refusal which the hub gives for transient failures.
 */
/**
 * The hub's answer, opened with the attempt's reply key. An acceptance is only taken sealed
 * (what came in the clear is a refusal the hub gave before reading a key).
 */
function openRegistrationAnswer(response: RegisterResponse, replyKey: KeyPair): RegisterResponse {
  if (response.result.case === 'sealed') {
    const { senderKey, box } = response.result.value;
    const opened = replyKey.open(box, senderKey);
    if (!opened) throw new RegistrationUnavailableError('the hub’s sealed registration answer could not be opened');
    const inner = decodeMessage(RegisterResponseSchema, opened);
    if (inner.result.case === 'sealed')
      throw new RegistrationUnavailableError('the hub’s registration answer was sealed twice');
    return inner;
  }
  if (response.result.case === 'accepted')
    throw new RegistrationUnavailableError(
      'the hub accepted the registration in the clear; only a sealed answer is trusted',
    );
  return response;
}

export async function registerCluster(input: RegistrationInput): Promise<Registration> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: input.servers,
      name: `flotilla-agent-bootstrap-${input.clusterName}`,
      authenticator: credsAuthenticator(new TextEncoder().encode(input.bootstrapCreds)),
      inboxPrefix: BOOTSTRAP_INBOX_PREFIX,
      timeout: durations.connectTimeoutMs,
      reconnect: false,
    });
  } catch (err) {
    throw new RegistrationUnavailableError(
      `cannot reach NATS at ${input.servers.join(', ')} as the bootstrap user: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const span = trace.getTracer('flotilla-agent').startSpan('flotilla.register', {
    attributes: { [Attr.clusterName]: input.clusterName, [Attr.messagingSystem]: 'nats' },
  });
  try {
    const id = randomUUID();
    // A fresh curve key for this attempt: the hub seals its answer to it, because every
    // holder of the shared bootstrap user can read the bootstrap inbox.
    const replyKey = createCurve();
    const request = create(RegisterRequestSchema, {
      meta: messageMeta({ id, clusterId: '', sentAt: new Date() }),
      token: input.token,
      clusterName: input.clusterName,
      publicKey: input.publicKey,
      agentVersion: input.agentVersion,
      kubernetesVersion: input.kubernetesVersion,
      apiVersions: [...(input.apiVersions ?? [])],
      replyKey: replyKey.getPublicKey(),
    });
    const h = natsHeaders();
    h.set(Headers.messageId, id);
    injectTraceContext(h, trace.setSpan(otelContext.active(), span));
    let reply;
    try {
      reply = await nc.request(registerSubject(), encodeMessage(RegisterRequestSchema, request), {
        timeout: durations.registrationTimeoutMs,
        headers: h,
      });
    } catch (err) {
      throw new RegistrationUnavailableError(
        `no answer to the registration request (is the hub running?): ${(err as Error).message}`,
        { cause: err },
      );
    }
    const response = openRegistrationAnswer(decodeMessage(RegisterResponseSchema, reply.data), replyKey);
    if (response.result.case === 'accepted') {
      const a = response.result.value;
      span.setAttribute(Attr.clusterId, a.clusterId);
      return {
        clusterId: a.clusterId,
        clusterName: a.clusterName,
        labels: { ...a.labels },
        userJwt: a.userJwt,
        hubSigningPublicKey: a.hubSigningPublicKey,
      };
    }
    if (response.result.case === 'refused') {
      const { reason, message } = response.result.value;
      if (reason === RefusalReason.REJECTED)
        throw new RegistrationUnavailableError(`the hub could not register the cluster now: ${message}`);
      throw new RegistrationRefusedByHubError(refusalReasonNames[reason] ?? String(reason), message);
    }
    throw new RegistrationUnavailableError(
      'the hub answered the registration request with neither acceptance nor refusal',
    );
  } finally {
    span.end();
    await nc.close();
  }
}
