// Growth benchmark: whether the write model's bookkeeping tables stay bounded under a steady
// write rate with a short retention — published outbox rows, idempotency keys, audit rows.
//   npm run bench:growth    (BENCH_RATE=100 orders/s for BENCH_SECONDS=600, retention BENCH_RETENTION=1m)
// Other knobs: BENCH_SAMPLE_SECONDS=30, BENCH_SWEEP_INTERVAL=10s (RETENTION_SWEEP_INTERVAL).
//
// Method. It starts the whole suite as `npm start` does (on a database and topics of its own),
// with RELAY_KEEP_PUBLISHED, IDEMPOTENCY_TTL and COMMAND_AUDIT_RETENTION all set to
// BENCH_RETENTION. It places orders in an open loop at BENCH_RATE, each with an Idempotency-Key of
// its own (so each leaves an idempotency key, an audit row and an outbox row behind), and every
// BENCH_SAMPLE_SECONDS counts the rows of outbox (all, and those published), idempotency_keys
// (all, and those expired) and command_audit. A table stays bounded when, after the first two
// retention periods, it never holds more than its steady state — rows written per second (its
// rows per order, counted within the first retention period, × the order rate) × (retention +
// sweep interval) — plus a quarter. It prints the counts over time and the verdict,
// and writes bench/results/growth-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot, type RunningSuite, stackEnv, startSuite, uniqueName } from '@cqrs-shop/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { describeMachine } from './machine.js';
import { table } from './stats.js';

const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 600);
const RETENTION = process.env.BENCH_RETENTION ?? '1m';
const SWEEP_INTERVAL = process.env.BENCH_SWEEP_INTERVAL ?? '10s';
const SAMPLE_SECONDS = Number(process.env.BENCH_SAMPLE_SECONDS ?? 30);
const MAX_OUTSTANDING = 256;

/** A duration as the services read it (500ms, 10s, 1m, 2h), in ms. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text} (use 500ms, 10s, 1m or 2h)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  return Number(match[1]) * unit;
}

interface Sample {
  readonly second: number;
  readonly ordersAnswered: number;
  readonly outboxRows: number;
  readonly outboxPublished: number;
  readonly idempotencyKeys: number;
  readonly idempotencyExpired: number;
  readonly auditRows: number;
}

async function countRows(suite: RunningSuite): Promise<Omit<Sample, 'second' | 'ordersAnswered'>> {
  const [[row]] = await suite.database.connection.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM outbox) AS outbox_rows,
            (SELECT COUNT(*) FROM outbox WHERE published_at IS NOT NULL) AS outbox_published,
            (SELECT COUNT(*) FROM idempotency_keys) AS idempotency_keys,
            (SELECT COUNT(*) FROM idempotency_keys WHERE expires_at < UTC_TIMESTAMP(6)) AS idempotency_expired,
            (SELECT COUNT(*) FROM command_audit) AS audit_rows`,
  );
  return {
    outboxRows: Number(row?.outbox_rows),
    outboxPublished: Number(row?.outbox_published),
    idempotencyKeys: Number(row?.idempotency_keys),
    idempotencyExpired: Number(row?.idempotency_expired),
    auditRows: Number(row?.audit_rows),
  };
}

async function main(): Promise<void> {
  const retentionMs = durationMs(RETENTION);
  const sweepMs = durationMs(SWEEP_INTERVAL);
  if (!(RATE > 0 && SECONDS > 0 && SAMPLE_SECONDS > 0))
    throw new Error('BENCH_RATE, BENCH_SECONDS and BENCH_SAMPLE_SECONDS must be positive');
  Object.assign(process.env, stackEnv());
  const retention = {
    RELAY_KEEP_PUBLISHED: RETENTION,
    IDEMPOTENCY_TTL: RETENTION,
    COMMAND_AUDIT_RETENTION: RETENTION,
    RETENTION_SWEEP_INTERVAL: SWEEP_INTERVAL,
  };
  const suite = await startSuite({
    envForAll: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    env: { 'command-service': retention, 'outbox-relay': retention },
  });
  try {
    const customer = await suite.command<{ customerId: string }>('/customers', {
      name: 'Growth Bench',
      email: `${uniqueName('growth')}@example.com`,
    });
    const products = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        suite.command<{ productId: string }>('/products', {
          sku: `GROWTH-${i}`,
          name: `Product ${i}`,
          priceCents: 500 + i,
          currency: 'EUR',
          stock: 1_000_000_000,
        }),
      ),
    );
    const productIds = products.map((answer) => answer.body.productId);
    console.log(
      `orders at ${RATE}/s for ${SECONDS} s, retention ${RETENTION}, sweep every ${SWEEP_INTERVAL}; counting every ${SAMPLE_SECONDS} s`,
    );

    const samples: Sample[] = [];
    let answered = 0;
    const failedByStatus: Record<string, number> = {};
    let skipped = 0;
    const inFlight = new Set<Promise<void>>();
    const started = performance.now();
    let nextSample = 0;
    const scheduled = Math.round(RATE * SECONDS);
    const sampling = (async () => {
      for (;;) {
        const wait = started + nextSample * 1_000 - performance.now();
        if (wait > 0) await sleep(wait);
        const second = Math.round((performance.now() - started) / 1_000);
        const sample = { second, ordersAnswered: answered, ...(await countRows(suite)) };
        samples.push(sample);
        console.log(
          `  ${String(second).padStart(4)} s  orders ${sample.ordersAnswered}  outbox ${sample.outboxRows} (published ${sample.outboxPublished})  ` +
            `idempotency keys ${sample.idempotencyKeys} (expired ${sample.idempotencyExpired})  audit ${sample.auditRows}`,
        );
        nextSample += SAMPLE_SECONDS;
        if (nextSample > SECONDS) return;
      }
    })();
    for (let i = 0; i < scheduled; i++) {
      const wait = started + (i * 1_000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight.size >= MAX_OUTSTANDING) {
        skipped++;
        continue;
      }
      const request: Promise<void> = suite
        .command(
          '/orders',
          {
            customerId: customer.body.customerId,
            items: [{ productId: productIds[i % productIds.length], quantity: 1 }],
          },
          { 'Idempotency-Key': `growth-${i}` },
        )
        .then(
          (answer) => {
            if (answer.status === 201) answered++;
            else failedByStatus[answer.status] = (failedByStatus[answer.status] ?? 0) + 1;
          },
          () => {
            failedByStatus[0] = (failedByStatus[0] ?? 0) + 1;
          },
        )
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await Promise.all(inFlight);
    await sampling;

    // Steady state: what a retention period and a sweep interval of writes leave. Each table's
    // rows per order are counted before anything can be old enough to go (the last sample
    // within the first retention period).
    const perSecond = answered / SECONDS;
    const early = samples.filter((s) => s.ordersAnswered > 0 && s.second * 1_000 < retentionMs).at(-1);
    const settled = samples.filter((sample) => sample.second * 1_000 >= 2 * retentionMs + sweepMs);
    const counted: Record<string, (s: Sample) => number> = {
      outbox: (s) => s.outboxRows,
      idempotency_keys: (s) => s.idempotencyKeys,
      command_audit: (s) => s.auditRows,
    };
    const verdict = Object.fromEntries(
      Object.entries(counted).map(([name, count]) => {
        const rowsPerOrder = early ? count(early) / early.ordersAnswered : 1;
        const steady = Math.round(rowsPerOrder * perSecond * ((retentionMs + sweepMs) / 1_000));
        const bound = Math.round(steady * 1.25);
        const counts = settled.map(count);
        const maxAfterSettling = counts.length > 0 ? Math.max(...counts) : null;
        return [
          name,
          {
            rowsPerOrder: Math.round(rowsPerOrder * 100) / 100,
            steadyState: steady,
            bound,
            maxAfterSettling,
            bounded: maxAfterSettling !== null && maxAfterSettling <= bound,
          },
        ];
      }),
    );
    console.log(
      `\n${table(
        ['second', 'orders', 'outbox', 'published', 'idempotency keys', 'expired', 'audit rows'],
        samples.map((s) => [
          s.second,
          s.ordersAnswered,
          s.outboxRows,
          s.outboxPublished,
          s.idempotencyKeys,
          s.idempotencyExpired,
          s.auditRows,
        ]),
      )}`,
    );
    console.log(
      `\n${answered} orders answered 201 (${Math.round(perSecond)}/s; failed ${JSON.stringify(failedByStatus)}, skipped ${skipped})`,
    );
    for (const [name, v] of Object.entries(verdict))
      console.log(
        `  ${name}: ${v.rowsPerOrder} rows per order, steady state ${v.steadyState}, bound ${v.bound}; ` +
          `at most ${v.maxAfterSettling ?? '-'} after settling: ${v.bounded ? 'bounded' : 'NOT bounded'}`,
      );

    const results = {
      benchmark: 'growth',
      date: new Date().toISOString(),
      settings: {
        ratePerSecond: RATE,
        seconds: SECONDS,
        retention: RETENTION,
        sweepInterval: SWEEP_INTERVAL,
      },
      machine: describeMachine(),
      orders: { answered, perSecond: Math.round(perSecond), failedByStatus, skipped },
      verdict,
      samples,
    };
    const folder = join(repoRoot, 'bench/results');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `growth-${results.date.replaceAll(':', '-').replace('.', '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nresults: ${file}`);
  } finally {
    await suite.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
