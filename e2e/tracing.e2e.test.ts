import { randomUUID } from 'node:crypto';
import { waitFor } from '@cqrs-shop/testing';
import { succeed, suiteForTests } from './support';

/** A span as Zipkin's API v2 returns it (times in microseconds). */
interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly timestamp: number;
  readonly duration?: number;
  readonly localEndpoint?: { readonly serviceName?: string };
  readonly tags?: Readonly<Record<string, string>>;
}

const zipkinUrl = () => {
  const url = process.env.ZIPKIN_URL;
  if (!url)
    throw new Error(
      'ZIPKIN_URL is not set: start the local stack with its trace backend (npm run stack -- up)',
    );
  return url;
};

async function zipkinTrace(traceId: string): Promise<ZipkinSpan[]> {
  const answer = await fetch(`${zipkinUrl()}/api/v2/trace/${traceId}`);
  return answer.status === 200 ? ((await answer.json()) as ZipkinSpan[]) : [];
}

const PROJECTORS = ['projector-order-history', 'projector-search', 'projector-analytics'] as const;

describe('one trace from a command to every projection (real services, collector and Zipkin)', () => {
  const running = suiteForTests({
    envForAll: { OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '' },
    env: { 'command-service': { LOG_LEVEL: 'info' } },
  });

  it('follows POST /orders through the outbox, the relay and Kafka into each projector, in causal order', async () => {
    const suite = running();
    const suffix = randomUUID().slice(0, 8);
    const customer = await succeed<{ customerId: string }>(suite, '/customers', {
      name: `Trace Shopper ${suffix}`,
      email: `trace.${suffix}@example.com`,
    });
    const product = await succeed<{ productId: string }>(suite, '/products', {
      sku: `TRC-${suffix}`,
      name: 'Traced lamp',
      priceCents: 4_200,
      currency: 'EUR',
      stock: 10,
    });
    const placed = await suite.command('/orders', {
      customerId: customer.customerId,
      items: [{ productId: product.productId, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    const traceId = placed.headers.get('x-trace-id') ?? '';
    const commandId = placed.headers.get('x-command-id') ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const named = (spans: readonly ZipkinSpan[], service: string, name: string) =>
      spans.find((span) => span.localEndpoint?.serviceName === service && span.name?.toLowerCase() === name);
    let spans: ZipkinSpan[] = [];
    await waitFor(
      'the trace to hold an apply span from every projector',
      async () => {
        spans = await zipkinTrace(traceId);
        return PROJECTORS.every((service) => named(spans, service, 'apply orderplaced'));
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceId]));

    const command = named(spans, 'command-service', 'command placeorder');
    const outboxWrite = named(spans, 'command-service', 'outbox write');
    const publish = named(spans, 'outbox-relay', 'publish orderplaced');
    expect({ command: !!command, outboxWrite: !!outboxWrite, publish: !!publish }).toEqual({
      command: true,
      outboxWrite: true,
      publish: true,
    });
    if (!command || !outboxWrite || !publish) return;
    // The HTTP request is the root; the command runs inside it, its SQL statements inside the command.
    const ancestors = (span: ZipkinSpan): ZipkinSpan[] => {
      const parent = spans.find((candidate) => candidate.id === span.parentId);
      return parent ? [parent, ...ancestors(parent)] : [];
    };
    const root = ancestors(command).at(-1);
    expect({
      kind: root?.kind,
      service: root?.localEndpoint?.serviceName,
      parent: root?.parentId,
      name: root?.name,
      route: root?.tags?.['http.route'],
    }).toEqual({
      kind: 'SERVER',
      service: 'command-service',
      parent: undefined,
      name: 'post /orders',
      route: '/orders',
    });
    expect(command.tags).toMatchObject({
      'command.id': commandId,
      'command.type': 'PlaceOrder',
      outcome: 'succeeded',
    });
    expect(
      spans.some((span) => span.parentId === command.id && span.tags?.['db.system.name'] === 'mysql'),
    ).toBe(true);
    expect(outboxWrite.parentId).toBe(command.id);
    // Across the outbox: the relay's span continues from the context stored with the row.
    expect(publish.parentId).toBe(outboxWrite.id);
    expect(publish.kind).toBe('PRODUCER');
    expect(publish.timestamp).toBeGreaterThanOrEqual(outboxWrite.timestamp);
    expect(Number(publish.tags?.['waited.ms'])).toBeGreaterThanOrEqual(0);
    for (const service of PROJECTORS) {
      const apply = named(spans, service, 'apply orderplaced');
      // Across Kafka: each projector's span continues from the traceparent header.
      expect({ service, parent: apply?.parentId, kind: apply?.kind }).toEqual({
        service,
        parent: publish.id,
        kind: 'CONSUMER',
      });
      expect(apply?.timestamp).toBeGreaterThanOrEqual(publish.timestamp);
      expect(apply?.tags).toMatchObject({ 'command.id': commandId, outcome: 'applied' });
      // The store calls (MongoDB, Elasticsearch, Redis) are spans inside the apply span.
      expect({ service, storeCalls: spans.some((span) => span.parentId === apply?.id) }).toEqual({
        service,
        storeCalls: true,
      });
    }

    // What the operations page links to: the trace found by the command's id.
    const found = await fetch(
      `${zipkinUrl()}/api/v2/traces?annotationQuery=${encodeURIComponent(`command.id=${commandId}`)}&limit=10`,
    );
    const traces = (await found.json()) as ZipkinSpan[][];
    expect(traces.map((trace) => trace[0]?.traceId)).toContain(traceId);
  });

  it('writes the trace and span ids, the command id and the correlation id on the log lines of a command', async () => {
    const suite = running();
    const suffix = randomUUID().slice(0, 8);
    const registered = await suite.command(
      '/customers',
      { name: `Logged ${suffix}`, email: `logged.${suffix}@example.com` },
      { 'X-Correlation-Id': `checkout-${suffix}` },
    );
    expect(registered.status).toBe(201);
    const traceId = registered.headers.get('x-trace-id');
    const commandId = registered.headers.get('x-command-id');
    let line: Record<string, unknown> | undefined;
    await waitFor('the request log line', () => {
      line = (suite.process('command-service')?.output() ?? '')
        .split('\n')
        .filter((text) => text.startsWith('{'))
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry.msg === 'request' && entry.commandId === commandId);
      return line !== undefined;
    });
    expect(line).toMatchObject({
      service: 'command-service',
      path: '/customers',
      status: 201,
      commandId,
      correlationId: `checkout-${suffix}`,
      traceId,
    });
    expect(line?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});
