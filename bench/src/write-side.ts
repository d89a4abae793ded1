// Write-side benchmark: PlaceOrder throughput and latency at several concurrencies, and the
// outbox relay's publish lag (commit to Kafka acknowledgement), against the local stack.
//   npm run bench:write-side    (BENCH_SECONDS=15 per level, BENCH_RUNS=3, BENCH_CONCURRENCY=1,16,64)
// It starts its own command service and relay on a fresh database and topic prefix, prints a
// table and writes bench/results/write-side-<time>.json.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  createScratchDatabase,
  deleteTopics,
  repoRoot,
  stackEnv,
  startService,
  testIdentity,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@cqrs-shop/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { median, medianLatency, round, summarize } from './stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
// The machine is shared and noisy: every level runs this many times and medians are reported.
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const PRODUCTS = 200;

interface Level {
  concurrency: number;
  orders: number;
  failures: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  publishLagMs: { p50: number | null; p99: number | null };
}

/** Each figure's median over the runs of one level. */
function medianLevel(concurrency: number, levels: readonly Level[]): Level {
  const of = (pick: (level: Level) => number | null) => median(levels.map((l) => pick(l) ?? NaN));
  return {
    concurrency,
    orders: of((l) => l.orders),
    failures: of((l) => l.failures),
    throughputPerSecond: of((l) => l.throughputPerSecond),
    latencyMs: medianLatency(levels.map((l) => l.latencyMs)),
    publishLagMs: { p50: of((l) => l.publishLagMs.p50), p99: of((l) => l.publishLagMs.p99) },
  };
}

async function main(): Promise<void> {
  Object.assign(process.env, stackEnv());
  const database = await createScratchDatabase('shop_bench');
  const admin = database.connection;
  const topicPrefix = `${uniqueName('bench')}.`;
  const [[server]] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS version');
  const env = {
    ...database.env,
    MYSQL_POOL_SIZE: '32',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
  const services: ServiceProcess[] = [];
  try {
    const identity = testIdentity();
    const command = startService('command-service', {
      ...env,
      ...identity.env,
      COMMAND_PORT: '0',
      COMMAND_ADMIN_PORT: '0',
      REDIS_URL: process.env.REDIS_URL,
      // Charged, never spent: the load here is one caller's.
      RATE_LIMIT_COMMANDS: '1000000/1s',
      MIGRATE_ON_START: 'true',
    });
    services.push(command);
    const base = `http://127.0.0.1:${await command.port()}`;
    const relay = startService('outbox-relay', { ...env, RELAY_PORT: '0' });
    services.push(relay);
    await relay.port();

    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await identity.headersFor('POST', path, body)) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const customer = await post('/customers', {
      name: 'Bench Customer',
      email: `${uniqueName('bench')}@example.com`,
    });
    const products: string[] = [];
    for (let i = 0; i < PRODUCTS; i++) {
      const product = await post('/products', {
        sku: uniqueName('SKU'),
        name: `Product ${i}`,
        priceCents: 500 + i,
        currency: 'EUR',
        stock: 1_000_000_000,
      });
      products.push(String(product.body.productId));
    }
    const order = () => {
      const count = 1 + Math.floor(Math.random() * 3);
      const chosen = new Set<string>();
      while (chosen.size < count) chosen.add(products[Math.floor(Math.random() * products.length)] ?? '');
      return {
        customerId: String(customer.body.customerId),
        items: [...chosen].map((productId) => ({ productId, quantity: 1 })),
      };
    };

    const lastPosition = async () => {
      const [[row]] = await admin.query<RowDataPacket[]>(
        'SELECT COALESCE(MAX(position), 0) AS position FROM outbox',
      );
      return Number(row?.position);
    };
    // Publish lag per event: from the command (occurred_at) until the relay marked it published,
    // which it does right after Kafka acknowledged the batch.
    const publishLags = async (afterPosition: number) => {
      const [rows] = await admin.query<RowDataPacket[]>(
        'SELECT TIMESTAMPDIFF(MICROSECOND, occurred_at, published_at) / 1000 AS lag FROM outbox WHERE position > ?',
        [afterPosition],
      );
      return rows.map((row) => Number(row.lag));
    };
    const drained = () =>
      waitFor(
        'the outbox to drain',
        async () => {
          const [[row]] = await admin.query<RowDataPacket[]>(
            'SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL',
          );
          return Number(row?.n) === 0;
        },
        { timeoutMs: 120_000, intervalMs: 100 },
      );

    const runs: Level[][] = [];
    for (let run = 1; run <= RUNS; run++) {
      const levels: Level[] = [];
      for (const concurrency of CONCURRENCY) {
        // Warm-up: connections, JIT, buffer pool.
        await Promise.all(Array.from({ length: Math.min(concurrency, 8) }, () => post('/orders', order())));
        await drained();
        const firstPosition = await lastPosition();
        const latencies: number[] = [];
        let failures = 0;
        const started = performance.now();
        const deadline = started + SECONDS * 1_000;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < deadline) {
              const t0 = performance.now();
              const result = await post('/orders', order());
              if (result.status === 201) latencies.push(performance.now() - t0);
              else failures++;
            }
          }),
        );
        const elapsed = (performance.now() - started) / 1_000;
        await drained();
        const publishLag = summarize(await publishLags(firstPosition));
        const latency = summarize(latencies);
        levels.push({
          concurrency,
          orders: latency.count,
          failures,
          throughputPerSecond: round(latency.count / elapsed),
          latencyMs: {
            p50: round(latency.p50),
            p95: round(latency.p95),
            p99: round(latency.p99),
            max: round(latency.max),
          },
          publishLagMs: { p50: round(publishLag.p50), p99: round(publishLag.p99) },
        });
        console.log(
          `run ${run}/${RUNS} PlaceOrder c=${String(concurrency).padStart(2)}: ${round(latency.count / elapsed)} orders/s, ` +
            `p50 ${round(latency.p50)} ms, p95 ${round(latency.p95)} ms, p99 ${round(latency.p99)} ms ` +
            `(${latency.count} ok, ${failures} failed); publish lag p50 ${round(publishLag.p50)} ms, ` +
            `p99 ${round(publishLag.p99)} ms`,
        );
      }
      runs.push(levels);
    }
    const medians = CONCURRENCY.map((concurrency, index) =>
      medianLevel(
        concurrency,
        runs.map((levels) => levels[index] as Level),
      ),
    );
    for (const level of medians) {
      console.log(
        `median of ${RUNS}: PlaceOrder c=${String(level.concurrency).padStart(2)}: ${level.throughputPerSecond} orders/s, ` +
          `p50 ${level.latencyMs.p50} ms, p95 ${level.latencyMs.p95} ms, p99 ${level.latencyMs.p99} ms; ` +
          `publish lag p50 ${String(level.publishLagMs.p50)} ms, p99 ${String(level.publishLagMs.p99)} ms`,
      );
    }

    const results = {
      benchmark: 'write-side',
      date: new Date().toISOString(),
      secondsPerLevel: SECONDS,
      runCount: RUNS,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: round(totalmem() / 2 ** 30),
        node: process.version,
        database: String(server?.version),
        kafka: '4.1.1 (single KRaft node)',
      },
      note: 'Services, servers and load generator share the machine (2 cores). Publish lag: from the command (outbox occurred_at) to the row being marked published, right after the Kafka acknowledgement.',
      medians,
      runs,
    };
    const stamp = results.date.replace(/[:.]/g, '-');
    writeFileSync(
      join(repoRoot, `bench/results/write-side-${stamp}.json`),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    console.log(`results written to bench/results/write-side-${stamp}.json`);
  } finally {
    await Promise.all(services.map((service) => service.stop('SIGTERM')));
    await database.drop();
    await deleteTopics(process.env.KAFKA_BROKERS ?? '', topicPrefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
