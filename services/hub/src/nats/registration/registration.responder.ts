import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { SpanStatusCode, context as otelContext, trace } from '@opentelemetry/api';
import { create } from '@bufbuild/protobuf';
import { createCurve, fromPublic as fromCurvePublic } from '@nats-io/nkeys';
import {
  Headers,
  MalformedMessageError,
  RefusalReason,
  RegisterRequestSchema,
  RegisterResponseSchema,
  decodeMessage,
  encodeMessage,
  isRegistrationReply,
  messageMeta,
  registerSubject,
  type RegisterResponse,
} from '@flotilla/contracts';
import { Attr, extractTraceContext, injectTraceContext } from '@flotilla/telemetry';
import type { RegistrationRefusalReason } from '@flotilla/domain';
import {
  RegisterClusterCommand,
  type RegisterClusterResult,
} from '../../clusters/register-cluster/register-cluster.command';
import { RegistrationRefusedError } from '../../clusters/register-cluster/registration-refused.error';
import { refusedField } from '../../clusters/register-cluster/refused-field';
import { NatsAuthority } from '../nats-authority';
import { NATS_CONNECTION } from '../nats-connection';

/** Whether `value` is a curve (x25519) nkey public key, `X...`. */
function isCurvePublicKey(value: string): boolean {
  try {
    return value.startsWith('X') && fromCurvePublic(value) !== undefined;
  } catch {
    return false;
  }
}

/** The reply key of a request, if it has a readable one. */
function replyKeyOf(data: Uint8Array): string | undefined {
  try {
    const key = decodeMessage(RegisterRequestSchema, data).replyKey;
    return isCurvePublicKey(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The answer sealed to the agent's reply key with a fresh hub curve key, so that a bootstrap
 * user listening on the shared inbox sees only the box. Without a key (an old or broken
 * request) only a refusal is ever given, and it carries nothing but the reason.
 */
function sealedFor(replyKey: string | undefined, response: RegisterResponse): RegisterResponse {
  if (!replyKey) return response;
  const sender = createCurve();
  const box = sender.seal(encodeMessage(RegisterResponseSchema, response), replyKey);
  return create(RegisterResponseSchema, {
    // The cluster id is inside the box only.
    meta: response.meta ? { ...response.meta, clusterId: '' } : undefined,
    result: {
      case: 'sealed',
      value: { $typeName: 'flotilla.v1.SealedRegisterResponse', senderKey: sender.getPublicKey(), box },
    },
  });
}

/** Hub replicas share registration requests: each is answered once. */
export const registrationQueueGroup = 'flotilla-hub-registration';

const reasons: Record<RegistrationRefusalReason, RefusalReason> = {
  malformed: RefusalReason.MALFORMED,
  unknown: RefusalReason.UNKNOWN,
  'invalid-secret': RefusalReason.INVALID_SECRET,
  expired: RefusalReason.EXPIRED,
  used: RefusalReason.USED,
  'name-taken': RefusalReason.NAME_TAKEN,
  'key-taken': RefusalReason.KEY_TAKEN,
};

/**
 * Answers `flotilla.v1.register`: runs RegisterClusterCommand (which validates the token
 * and records the outcome), then mints the NATS user JWT bound to the agent's own public
 * key and limited to its cluster's subjects.
 */
@Injectable()
export class RegistrationResponder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RegistrationResponder');
  private subscription: Subscription | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly commandBus: CommandBus,
    private readonly authority: NatsAuthority,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nc.subscribe(registerSubject(), {
      queue: registrationQueueGroup,
      callback: (err, msg) => {
        if (err) {
          this.logger.error(`registration subscription failed: ${err.message}`);
          return;
        }
        const work = this.handle(msg).catch((e: unknown) =>
          this.logger.error(`registration reply failed: ${(e as Error).message}`),
        );
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      },
    });
    this.logger.log(`answering registration requests on ${registerSubject()}`);
  }

  async onModuleDestroy(): Promise<void> {
    this.subscription?.unsubscribe();
    await Promise.allSettled([...this.inFlight]);
  }

  private async handle(msg: Msg): Promise<void> {
    // Only under the bootstrap inbox: NATS does not check a reply against the requester's
    // permissions, and an answer elsewhere would be the hub publishing wherever it is told.
    if (!isRegistrationReply(msg.reply)) return;
    const parent = extractTraceContext(msg.headers);
    const span = trace
      .getTracer('flotilla-hub')
      .startSpan(
        'flotilla.register',
        { attributes: { [Attr.messagingSystem]: 'nats', [Attr.messagingDestination]: msg.subject } },
        parent,
      );
    const response = await otelContext.with(trace.setSpan(parent, span), () => this.respond(msg.data));
    if (response.result.case === 'refused') {
      span.setAttribute(Attr.refusalReason, RefusalReason[response.result.value.reason] ?? 'unknown');
      span.setStatus({ code: SpanStatusCode.ERROR, message: response.result.value.message });
    } else if (response.result.case === 'accepted') {
      span.setAttribute(Attr.clusterId, response.result.value.clusterId);
    }
    const h = natsHeaders();
    h.set(Headers.messageId, response.meta!.id);
    injectTraceContext(h, trace.setSpan(parent, span));
    msg.respond(encodeMessage(RegisterResponseSchema, sealedFor(replyKeyOf(msg.data), response)), { headers: h });
    span.end();
  }

  /** Never throws: every outcome is an answer the agent can print. */
  async respond(data: Uint8Array): Promise<RegisterResponse> {
    const reply = (clusterId: string, result: RegisterResponse['result']) =>
      create(RegisterResponseSchema, {
        meta: messageMeta({ id: randomUUID(), clusterId, sentAt: new Date() }),
        result,
      });
    const refused = (reason: RefusalReason, message: string) =>
      reply('', { case: 'refused', value: { $typeName: 'flotilla.v1.RegisterRefused', reason, message } });

    let request;
    try {
      request = decodeMessage(RegisterRequestSchema, data);
    } catch (err) {
      // Not even a request: nothing to record against (no token could be read).
      if (err instanceof MalformedMessageError)
        return refused(RefusalReason.MALFORMED, `the registration request could not be read: ${err.message}`);
      throw err;
    }

    // Every holder of the shared bootstrap user can read every reply subject of its inbox:
    // an answer is only given sealed to a key that the registering agent alone holds.
    if (!isCurvePublicKey(request.replyKey))
      return refused(
        RefusalReason.MALFORMED,
        'the registration request carries no reply key (an x25519 curve nkey, X...): upgrade the agent, the hub seals its answer to that key',
      );

    let cluster: RegisterClusterResult;
    try {
      cluster = await this.commandBus.execute(
        new RegisterClusterCommand(
          request.token,
          request.clusterName,
          request.publicKey,
          request.agentVersion,
          request.kubernetesVersion,
          request.apiVersions,
        ),
      );
    } catch (err) {
      if (err instanceof RegistrationRefusedError)
        return refused(reasons[err.reason] ?? RefusalReason.REJECTED, err.message);
      this.logger.error(
        `registration of "${refusedField(request.clusterName, 'name')}" failed: ${(err as Error).message}`,
      );
      return refused(RefusalReason.REJECTED, 'the hub could not register the cluster right now; try again later');
    }

    const userJwt = await this.authority.mintClusterUserJwt(cluster.clusterId, request.publicKey);
    return reply(cluster.clusterId, {
      case: 'accepted',
      value: {
        $typeName: 'flotilla.v1.RegisterAccepted',
        clusterId: cluster.clusterId,
        clusterName: cluster.name,
        labels: { ...cluster.labels },
        userJwt,
        hubSigningPublicKey: this.authority.signingPublicKey,
      },
    });
  }
}
