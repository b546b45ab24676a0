import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { Attr } from './attributes';
import { startTelemetry } from './telemetry';

describe('startTelemetry', () => {
  it('starts nothing with the default exporter', async () => {
    const t = startTelemetry({ serviceName: 'test', exporter: 'none' });
    expect(t.enabled).toBe(false);
    const span = t.tracer().startSpan('noop');
    expect(span.isRecording()).toBe(false);
    span.end();
    await t.shutdown();
  });

  it('records spans with the shared attribute keys when an exporter is given', async () => {
    const exporter = new InMemorySpanExporter();
    const t = startTelemetry({ serviceName: 'test', exporter: 'none', spanExporter: exporter });
    try {
      const span = t.tracer().startSpan('register', { attributes: { [Attr.clusterId]: 'c1' } });
      span.end();
      const spans = exporter.getFinishedSpans();
      expect(spans.map((s) => s.name)).toEqual(['register']);
      expect(spans[0]!.attributes['flotilla.cluster.id']).toBe('c1');
    } finally {
      await t.shutdown();
    }
  });

  it('starts the otlp exporter when asked (nothing is sent until spans end)', async () => {
    const t = startTelemetry({ serviceName: 'test', exporter: 'otlp', otlpEndpoint: 'http://127.0.0.1:1/v1/traces' });
    expect(t.enabled).toBe(true);
    await t.shutdown();
  });
});
