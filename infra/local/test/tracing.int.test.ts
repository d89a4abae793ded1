import { randomBytes } from 'node:crypto';
import { stackEnv, uniqueName, waitFor } from '@cqrs-shop/testing';

/** The fields of a Zipkin v2 span this test looks at. */
interface ZipkinSpan {
  traceId: string;
  id: string;
  name?: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
}

function stackSetting(name: string): string {
  const value = stackEnv()[name];
  if (!value) {
    throw new Error(
      `${name} is not among the local stack's settings; run 'npm run stack -- up' so that it ` +
        'writes them and starts zipkin and otelcol',
    );
  }
  return value;
}

describe('trace backend (OpenTelemetry Collector in front of Zipkin)', () => {
  it('shows in Zipkin, under its trace id, a span sent to the collector as OTLP/HTTP JSON', async () => {
    const collectorUrl = stackSetting('OTEL_EXPORTER_OTLP_ENDPOINT');
    const zipkinUrl = stackSetting('ZIPKIN_URL');
    const traceId = randomBytes(16).toString('hex');
    const spanId = randomBytes(8).toString('hex');
    // Zipkin stores service and span names in lower case.
    const serviceName = uniqueName('tracing-test');
    const endNs = BigInt(Date.now()) * 1_000_000n;

    const exported = await fetch(`${collectorUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
            scopeSpans: [
              {
                scope: { name: 'tracing.int.test' },
                spans: [
                  {
                    traceId,
                    spanId,
                    name: 'place-order',
                    kind: 2, // SERVER
                    startTimeUnixNano: String(endNs - 5_000_000n),
                    endTimeUnixNano: String(endNs),
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(exported.status).toBe(200);

    const spans = await waitFor(
      `trace ${traceId} in Zipkin`,
      async () => {
        const answer = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
        if (answer.status === 404) return undefined;
        if (!answer.ok) throw new Error(`Zipkin answered HTTP ${answer.status}`);
        return (await answer.json()) as ZipkinSpan[];
      },
      { intervalMs: 200 },
    );
    expect(spans).toEqual([
      expect.objectContaining({
        traceId,
        id: spanId,
        name: 'place-order',
        kind: 'SERVER',
        localEndpoint: expect.objectContaining({ serviceName }) as unknown,
      }),
    ]);
  });
});
