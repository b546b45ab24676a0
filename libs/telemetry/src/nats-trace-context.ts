import {
  context as otelContext,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The slice of NATS `MsgHdrs` used here, so this library does not depend on a NATS client. */
export interface HeaderCarrier {
  get(key: string): string;
  set(key: string, value: string): void;
  has(key: string): boolean;
  keys(): string[];
}

// Always W3C trace context, whether or not an SDK is started: hub and agent must agree on
// the header names even when one side exports no spans.
const w3c = new W3CTraceContextPropagator();

const setter: TextMapSetter<HeaderCarrier> = { set: (carrier, key, value) => carrier.set(key, value) };
const getter: TextMapGetter<HeaderCarrier> = {
  get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
  keys: (carrier) => carrier.keys(),
};

/** Writes `traceparent`/`tracestate` of `ctx` (default: the active context) into NATS headers. */
export function injectTraceContext(headers: HeaderCarrier, ctx: Context = otelContext.active()): HeaderCarrier {
  w3c.inject(ctx, headers, setter);
  // Also whatever the application registered (baggage, etc.), when an SDK is running.
  propagation.inject(ctx, headers, setter);
  return headers;
}

/** The context a consumer should run its work in: the sender's trace, when it sent one. */
export function extractTraceContext(headers: HeaderCarrier | undefined, ctx: Context = otelContext.active()): Context {
  if (!headers) return ctx;
  return w3c.extract(propagation.extract(ctx, headers, getter), headers, getter);
}
