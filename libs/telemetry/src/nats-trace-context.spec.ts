import { context, trace, TraceFlags } from '@opentelemetry/api';
import { headers } from '@nats-io/transport-node';
import { extractTraceContext, injectTraceContext } from './nats-trace-context';

describe('trace context in NATS headers', () => {
  const spanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  };

  it('injects traceparent and extracts the same trace on the other side', () => {
    const h = headers();
    injectTraceContext(h, trace.setSpanContext(context.active(), spanContext));
    expect(h.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const extracted = trace.getSpanContext(extractTraceContext(h));
    expect(extracted?.traceId).toBe(spanContext.traceId);
    expect(extracted?.spanId).toBe(spanContext.spanId);
    expect(extracted?.isRemote).toBe(true);
  });

  it('leaves the context alone when there are no headers', () => {
    const ctx = context.active();
    expect(extractTraceContext(undefined, ctx)).toBe(ctx);
    expect(trace.getSpanContext(extractTraceContext(headers()))).toBeUndefined();
  });
});
