import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { createCurve, createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator, jwtAuthenticator, type Msg, type NatsConnection } from '@nats-io/transport-node';
import {
  BOOTSTRAP_INBOX_PREFIX,
  RegisterRequestSchema,
  RegisterResponseSchema,
  decodeMessage,
  agentInboxPrefix,
  encodeMessage,
  messageMeta,
  registerSubject,
} from '@flotilla/contracts';
import type { Fleet } from '../e2e/registration-harness';

/**
 * What an attacker holds and does in the security suite: NATS connections made from stolen
 * credentials (an agent's, the shared bootstrap user's) and a watcher with full rights
 * that sees everything published in the account.
 */

export interface ClusterCredentials {
  clusterId: string;
  seed: string;
  userJwt: string;
  publicKey: string;
}

/** Connects as a registered cluster's agent would (its own inbox prefix). */
export function connectAsCluster(fleet: Fleet, creds: ClusterCredentials): Promise<NatsConnection> {
  return connect({
    servers: fleet.nats.url,
    authenticator: jwtAuthenticator(creds.userJwt, new TextEncoder().encode(creds.seed)),
    inboxPrefix: agentInboxPrefix(creds.clusterId),
    reconnect: false,
    timeout: 5000,
  });
}

/** Connects as the shared bootstrap user (what every registering agent holds). */
export async function connectAsBootstrap(fleet: Fleet): Promise<NatsConnection> {
  const { readFileSync } = await import('node:fs');
  return connect({
    servers: fleet.nats.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(readFileSync(fleet.bootstrapCredsFile, 'utf8'))),
    inboxPrefix: BOOTSTRAP_INBOX_PREFIX,
    reconnect: false,
    timeout: 5000,
  });
}

/** A registration request as an agent builds it, with a fresh nkey; fields can be overridden. */
export function registrationRequest(fields: {
  token: string;
  clusterName: string;
  publicKey?: string;
  replyKey?: string;
}): {
  bytes: Uint8Array;
  seed: string;
  publicKey: string;
} {
  const user = createUser();
  const publicKey = fields.publicKey ?? user.getPublicKey();
  const request = create(RegisterRequestSchema, {
    meta: messageMeta({ id: randomUUID(), clusterId: '', sentAt: new Date() }),
    token: fields.token,
    clusterName: fields.clusterName,
    publicKey,
    agentVersion: 'security-test',
    kubernetesVersion: 'v1.20.2',
    replyKey: fields.replyKey ?? '',
  });
  return {
    bytes: encodeMessage(RegisterRequestSchema, request),
    seed: new TextDecoder().decode(user.getSeed()),
    publicKey,
  };
}

export { registerSubject };

/** A full-rights user of the account watching `>`: what really crossed the wire. */
export async function watchEverything(fleet: Fleet): Promise<{ seen: Msg[]; close(): Promise<void> }> {
  const nc = await fleet.nats.connect(fleet.nats.hubUserCreds, { name: 'security-watcher' });
  const seen: Msg[] = [];
  nc.subscribe('>', {
    callback: (_err, msg) => {
      seen.push(msg);
    },
  });
  // $JS.API.> and $JS.ACK are ordinary subjects of the account: '>' covers them.
  await nc.flush();
  return { seen, close: () => nc.drain() };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type RegistrationAnswer =
  | { case: 'accepted'; clusterId: string; userJwt: string; seed: string; publicKey: string }
  | { case: 'refused'; reason: number; message: string };

/** One registration request as an agent sends it (without an agent process), and the hub's answer. */
export async function register(
  fleet: Fleet,
  fields: { token: string; clusterName: string; publicKey?: string },
): Promise<RegistrationAnswer> {
  const nc = await connectAsBootstrap(fleet);
  try {
    const replyKey = createCurve();
    const request = registrationRequest({ ...fields, replyKey: replyKey.getPublicKey() });
    const reply = await nc.request(registerSubject(), request.bytes, { timeout: 15_000 });
    const sealed = decodeMessage(RegisterResponseSchema, reply.data);
    if (sealed.result.case !== 'sealed') throw new Error(`the hub answered in the clear: ${sealed.result.case}`);
    const opened = replyKey.open(sealed.result.value.box, sealed.result.value.senderKey);
    if (!opened) throw new Error('the sealed answer could not be opened');
    const response = decodeMessage(RegisterResponseSchema, opened);
    if (response.result.case === 'accepted')
      return {
        case: 'accepted',
        clusterId: response.result.value.clusterId,
        userJwt: response.result.value.userJwt,
        seed: request.seed,
        publicKey: request.publicKey,
      };
    if (response.result.case === 'refused')
      return { case: 'refused', reason: response.result.value.reason, message: response.result.value.message };
    throw new Error(`the hub answered neither accepted nor refused: ${response.result.case}`);
  } finally {
    await nc.close();
  }
}

/** Registers a cluster as an agent does, without an agent process; returns its credentials. */
export async function registerRaw(fleet: Fleet, clusterName: string): Promise<ClusterCredentials> {
  const answer = await register(fleet, { token: await fleet.createToken(), clusterName });
  if (answer.case !== 'accepted') throw new Error(`registering ${clusterName} was refused: ${answer.message}`);
  return answer;
}

/**
 * A NATS connection made again when the server drops it during the handshake: on a machine
 * at load 30 the server's authentication timeout can pass before the client's CONNECT
 * (seen as `write EPIPE`), which is the machine, not what a test examines.
 */
export async function connectWithRetries<T>(connectOnce: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await sleep(500 * attempt);
    }
  }
}
