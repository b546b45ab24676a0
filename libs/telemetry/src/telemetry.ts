import { trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';

/** `none` by default: a process exports spans only when told where to. */
export type TraceExporterKind = 'none' | 'console' | 'otlp';
export const TRACE_EXPORTER_KINDS: readonly TraceExporterKind[] = ['none', 'console', 'otlp'];

export interface TelemetryOptions {
  serviceName: string;
  exporter: TraceExporterKind;
  /** For `otlp`; when absent the exporter reads OTEL_EXPORTER_OTLP_* itself. */
  otlpEndpoint?: string;
  /** Replaces the exporter (tests read spans from an InMemorySpanExporter). */
  spanExporter?: SpanExporter;
}

export interface Telemetry {
  readonly enabled: boolean;
  tracer(name?: string): Tracer;
  /** Flushes and stops exporting; call on shutdown so the last spans are not lost. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for a hub or agent process. With `none` (and no
 * `spanExporter`) nothing is started: spans are no-ops, trace context still propagates.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (options.exporter === 'none' && !options.spanExporter) {
    return { enabled: false, tracer: (name) => trace.getTracer(name ?? options.serviceName), shutdown: async () => {} };
  }
  let spanProcessor;
  if (options.spanExporter) {
    spanProcessor = new SimpleSpanProcessor({ exporter: options.spanExporter });
  } else if (options.exporter === 'console') {
    spanProcessor = new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() });
  } else {
    spanProcessor = new BatchSpanProcessor({
      exporter: new OTLPTraceExporter(options.otlpEndpoint ? { url: options.otlpEndpoint } : {}),
    });
  }
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors: [spanProcessor],
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    autoDetectResources: false,
    metricReaders: [],
  });
  sdk.start();
  return {
    enabled: true,
    tracer: (name) => trace.getTracer(name ?? options.serviceName),
    shutdown: () => sdk.shutdown(),
  };
}
