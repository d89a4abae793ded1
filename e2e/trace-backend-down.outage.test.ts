import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  createScratchDatabase,
  type ScratchDatabase,
  type ServiceProcess,
  startService,
  testIdentity,
} from '@cqrs-shop/testing';

/** Requests per command service, after the warm-up; sent in turns so all three share the machine's noise. */
const ROUNDS = 150;
const WARM_UP = 20;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * A trace backend at its worst: it accepts connections and never answers, so every export
 * hangs until the exporter's own time limit.
 */
async function blackHole(): Promise<{ server: Server; port: number; connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('close', () => {
    sockets.forEach((socket) => socket.destroy());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => connections,
  };
}

describe('commands while the trace backend does not answer', () => {
  let database: ScratchDatabase;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  const services: Record<string, ServiceProcess> = {};

  beforeAll(async () => {
    database = await createScratchDatabase('shop_test_tracing');
    hole = await blackHole();
    const base = {
      ...database.env,
      ...testIdentity().env,
      COMMAND_PORT: '0',
      COMMAND_ADMIN_PORT: '0',
      REDIS_URL: process.env.REDIS_URL,
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
    // The first one applies the migrations; the others start on the migrated schema.
    services.untraced = startService('command-service', { ...base, MIGRATE_ON_START: 'true' });
    await services.untraced.port();
    services.healthyBackend = startService('command-service', {
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '',
    });
    services.silentBackend = startService('command-service', {
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${hole.port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '2s',
    });
    await Promise.all(Object.values(services).map((service) => service.port()));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    hole.server.close();
    await database.drop();
  });

  it('succeed, with latency no different from an untraced service or one with a healthy backend', async () => {
    const urls = Object.fromEntries(
      await Promise.all(
        Object.entries(services).map(async ([name, service]) => [
          name,
          `http://127.0.0.1:${await service.port()}`,
        ]),
      ),
    ) as Record<'untraced' | 'healthyBackend' | 'silentBackend', string>;
    const post = async (url: string, path: string, body: unknown) => {
      const authorization = await testIdentity().headersFor('POST', path, body);
      const started = performance.now();
      const answer = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorization },
        body: JSON.stringify(body),
      });
      const json = (await answer.json()) as Record<string, unknown>;
      return { status: answer.status, json, ms: performance.now() - started };
    };
    const customer = await post(urls.untraced, '/customers', {
      name: 'Tracy Outage',
      email: `tracy.${randomUUID()}@example.com`,
    });
    const product = await post(urls.untraced, '/products', {
      sku: `OUT-${randomUUID().slice(0, 8)}`,
      name: 'Untraceable kettle',
      priceCents: 990,
      currency: 'EUR',
      stock: 1_000_000,
    });
    const order = {
      customerId: customer.json.customerId,
      items: [{ productId: product.json.productId, quantity: 1 }],
    };

    const names = Object.keys(urls) as (keyof typeof urls)[];
    const latencies = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
      keyof typeof urls,
      number[]
    >;
    const statuses = new Set<number>();
    for (let round = 0; round < WARM_UP + ROUNDS; round++) {
      // A different first service each round, so none is always the one after a pause.
      for (const name of [...names.slice(round % 3), ...names.slice(0, round % 3)]) {
        const placed = await post(urls[name], '/orders', order);
        statuses.add(placed.status);
        if (round >= WARM_UP) latencies[name].push(placed.ms);
      }
    }
    const figures = Object.fromEntries(
      names.map((name) => [
        name,
        {
          p50: Number(percentile(latencies[name], 50).toFixed(2)),
          p95: Number(percentile(latencies[name], 95).toFixed(2)),
          p99: Number(percentile(latencies[name], 99).toFixed(2)),
          max: Number(Math.max(...latencies[name]).toFixed(2)),
        },
      ]),
    ) as Record<keyof typeof urls, { p50: number; p95: number; p99: number; max: number }>;
    process.stdout.write(`PlaceOrder latency in ms, ${ROUNDS} each: ${JSON.stringify(figures)}\n`);

    expect([...statuses]).toEqual([201]);
    // The exporter did try the silent backend (and its exports hung until their time limit).
    expect(hole.connections()).toBeGreaterThan(0);
    // Within noise: the median may not grow by more than half plus a few milliseconds. An export
    // on the request's path would add its 2 s time limit to some requests, far beyond this.
    const bound = (reference: number) => reference * 1.5 + 5;
    expect(figures.silentBackend.p50).toBeLessThan(
      bound(Math.max(figures.untraced.p50, figures.healthyBackend.p50)),
    );
    expect(figures.silentBackend.max).toBeLessThan(1_000);
  }, 180_000);
});
