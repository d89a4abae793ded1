// Pipeline benchmark: what one order costs in CPU in every process of the suite, the read side's
// share of it, and whether every read model stays fresh, at several fixed order rates.
//   npm run bench:pipeline    (BENCH_RATES=25,50,100,200 orders/s, BENCH_SECONDS=30 each, BENCH_RUNS=1)
// Other knobs: BENCH_LIFECYCLE=0 (the fraction of orders also paid, right after their placement
// is answered), BENCH_CUSTOMERS=50, BENCH_PRODUCTS=50, BENCH_MAX_OUTSTANDING=256,
// BENCH_WARM_UP_SECONDS=20, BENCH_IDLE_SECONDS=5, BENCH_SAMPLE_MS=250, BENCH_POLL_MS=20,
// BENCH_SEARCH_POLL_MS=100,
// BENCH_FRESHNESS_TIMEOUT_MS=10000, BENCH_NODE_OPTIONS (given to every service: --cpu-prof
// --cpu-prof-dir=<folder> profiles them under the load); PROJECTOR_* and RELAY_* settings are
// given to the services (e.g. PROJECTOR_FETCH_INTERVAL=0 or RELAY_BATCH_INTERVAL=0 to measure
// them without pacing).
//
// Method. It starts the whole suite (command service, relay, three projectors, gateway) as
// `npm start` runs it — the same settings, tracing exported to the local OpenTelemetry collector,
// LOG_LEVEL info, the gateway's default lag refresh, on the Node of the toolchain (it refuses an
// older one) — but on stores and topics of its own, removed afterwards. It registers customers (and one more, the probe customer) and adds products with
// ample stock through the command API, and waits for the read models. Then a warm-up at the first
// rate, unmeasured, and per run: the machine idle for BENCH_IDLE_SECONDS (each process's CPU use
// at rest), then each rate for BENCH_SECONDS:
//   load        POST /orders (1–3 products, 1–3 of each, a random customer) in an open loop: order
//               i is sent at start + i/rate whatever the answers; an order due while
//               BENCH_MAX_OUTSTANDING requests are in flight is skipped (counted), one sent more
//               than 10 ms after its time is late (counted). Latency is from sending to the answer,
//               of the 201s; other answers and network errors are failures, by status (0: network).
//   cpu         utime+stime (/proc/<pid>/stat) of every process of the suite and of the local
//               stack's servers, each server with every process under it (PostgreSQL's backends,
//               Elasticsearch's launcher and server) and the children they reaped, read from the
//               first order sent until every read model has applied everything (so the work of
//               catching up is in); divided by the orders answered 201: CPU ms per order. Sums:
//               read side (the three projectors, Kafka, Elasticsearch, FerretDB, PostgreSQL,
//               Redis), write side (command service, relay, MariaDB) and all listed; and the
//               machine's busy time (/proc/stat, all processes, short-lived ones and the kernel
//               too) less this load generator's own (process.cpuUsage): "machine less bench", of
//               which "rest of machine" is not in any process listed (other work, the kernel).
//               Everything shares the machine. Beside each figure: its use at rest (the idle
//               measurement), and the figure less that use over as long ("above idle"): at low
//               rates the cost of being up weighs much per order.
//   freshness   every BENCH_SAMPLE_MS one of the orders is placed for the probe customer instead;
//               from its 201 answer, each read model is read through the gateway until it shows the
//               order, BENCH_POLL_MS after each answer (search: BENCH_SEARCH_POLL_MS), for at most BENCH_FRESHNESS_TIMEOUT_MS (then a
//               timeout). A sample is the time from the command's answer to the answer of the read
//               that showed it (so it includes one read's round trip):
//                 order-history  GET /orders/{id}, no token: 200.
//                 search         GET /search/orders?q={probe customer id}&from=…: the order is
//                                listed. One read for all samples pending (they are the probe
//                                customer's newest orders), so the probe does not load the gateway
//                                with a read per sample. Includes Elasticsearch's refresh interval.
//                 analytics      GET /stats/sales with the order's consistency token and
//                                `Prefer: wait=0`: the gateway checks once, without waiting, whether
//                                the analytics model has applied the order, and answers 200 (its
//                                counters include it: the projector writes the order's snapshot
//                                and counters in one Redis script) or 503. Counting ordersPlaced up
//                                to the orders acknowledged before the sample would not be sound:
//                                the projector applies partitions concurrently, so other orders can
//                                make up the count before this one is in.
//               A read model is fresh at a rate when no sample timed out and the 99th percentile is
//               at most 1 s (order history, analytics) or 2 s (search). The probe's reads are in
//               the CPU figures (gateway and stores); their rate is printed with each table.
//   between     the next rate starts once the outbox is published, every projector has committed
//               every event on its topics and the gateway reports lag 0 for each projection.
// It prints a table per rate, then one across the rates (medians of the runs when BENCH_RUNS > 1),
// the highest rate at which every read model was fresh, and writes
// bench/results/pipeline-<time>.json with every run's figures and the machine.
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningSuite, uniqueName, waitFor } from '@cqrs-shop/testing';
import { PROJECTORS } from '@cqrs-shop/service-registry';
import {
  type CpuUse,
  describeMachine,
  measureCpuUse,
  pipelineProcessGroups,
  type ProcessGroups,
} from './machine.js';
import { serverVersions } from './kit/servers.js';
import { prepareBenchmark, startSuiteAsNpmStartDoes, writeResults } from './kit/suite.js';
import { type Latency, median, medianOf, round, summarize, table } from './stats.js';

const RATES = (process.env.BENCH_RATES ?? '25,50,100,200').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const LIFECYCLE = Number(process.env.BENCH_LIFECYCLE ?? 0);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 50);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 50);
const MAX_OUTSTANDING = Number(process.env.BENCH_MAX_OUTSTANDING ?? 256);
// Some time for the JVMs' compilers (Elasticsearch, Kafka) to settle on the suite's code paths: a
// freshly restarted Elasticsearch cost 8–11 CPU ms per order at 50/s where a warm one cost about 4.
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 20);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 250);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 20);
/**
 * Search shows an order only after Elasticsearch's next refresh (every second), so its probe
 * reads less often: at the order-history probe's pace it kept the gateway and Elasticsearch
 * searching about 30 times a second, a load of its own that the figures would charge to search.
 */
const SEARCH_POLL_MS = Number(process.env.BENCH_SEARCH_POLL_MS ?? 100);
const FRESHNESS_TIMEOUT_MS = Number(process.env.BENCH_FRESHNESS_TIMEOUT_MS ?? 10_000);
/** An order sent later than this after its time is late. */
const LATE_MS = 10;
const CATCH_UP_TIMEOUT_MS = 10 * 60_000;

/** The 99th percentile of freshness (ms) up to which a read model counts as fresh. */
const FRESH_WITHIN_MS = { 'order-history': 1_000, search: 2_000, analytics: 1_000 } as const;
type ReadModel = keyof typeof FRESH_WITHIN_MS;
const READ_MODELS = Object.keys(FRESH_WITHIN_MS) as ReadModel[];

/** Process groups (see pipelineProcessGroups) in the order shown, by part of the pipeline. */
const WRITE_SIDE = ['command-service', 'outbox-relay', 'mariadb'];
const READ_SIDE = [
  'kafka',
  'projector-order-history',
  'ferretdb',
  'mongodb',
  'postgres',
  'projector-search',
  'elasticsearch',
  'projector-analytics',
  'redis',
];
const OTHERS = ['query-gateway', 'otelcol', 'zipkin'];

interface Shop {
  customerIds: string[];
  productIds: string[];
  /** Places the sampled orders, so that one search finds every sample pending. */
  probeCustomerId: string;
}

interface PlacedOrder {
  orderId: string;
  version: number;
  consistencyToken: string;
}

interface LoadFigures {
  scheduled: number;
  sent: number;
  ok: number;
  failed: number;
  /** Failures by status; 0 is a network error. */
  failedByStatus: Record<string, number>;
  /** Not sent: BENCH_MAX_OUTSTANDING requests were in flight when it was due. */
  skipped: number;
  late: number;
  sendDelayMsP99: number;
  okPerSecond: number;
  paid: number;
  payFailed: number;
  latencyMs: Latency;
}

interface FreshnessFigures {
  samples: number;
  timeouts: number;
  ms: Latency;
  fresh: boolean;
}

interface RateFigures {
  rate: number;
  load: LoadFigures;
  /** Events each projection had not applied when the last order had been answered. */
  lagEventsAtEnd: Record<string, number | null>;
  /** From then until every read model had applied everything. */
  catchUpSeconds: number;
  cpuSeconds: number;
  /** CPU ms per order answered 201: by process group, the sums, the machine less the bench. */
  cpuMsPerOrder: Record<string, number>;
  /** The same less what the process used at rest over as long (the run's idle figures). */
  cpuMsPerOrderAboveIdle: Record<string, number>;
  /** The same CPU time as % of one core over the measurement. */
  cpuPercentOfCore: Record<string, number>;
  freshness: Record<ReadModel, FreshnessFigures>;
  /** The freshness probe's gateway reads per second, by read model. */
  probeReadsPerSecond: Record<ReadModel, number>;
  allFresh: boolean;
}

interface Run {
  /** CPU use at rest, % of one core, by the same rows as the rates' figures. */
  idlePercentOfCore: Record<string, number>;
  rates: RateFigures[];
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const rounded = (samples: readonly number[]): Latency => {
  const s = summarize(samples);
  return { p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), max: round(s.max) };
};

/** Runs `work` for 0 … count-1, at most `concurrency` at a time. */
async function inParallel<T>(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

async function expectCommand<T>(
  suite: RunningSuite,
  path: string,
  body: unknown,
  status: number,
): Promise<T> {
  const answer = await suite.command<T>(path, body);
  if (answer.status !== status)
    throw new Error(`POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function seed(suite: RunningSuite): Promise<Shop> {
  const customer = async (name: string) =>
    (
      await expectCommand<{ customerId: string }>(
        suite,
        '/customers',
        { name, email: `${uniqueName('pipeline')}@example.com` },
        201,
      )
    ).customerId;
  const customerIds = await inParallel(CUSTOMERS, 8, (i) => customer(`Customer ${i}`));
  const probeCustomerId = await customer('Freshness Probe');
  const productIds = await inParallel(PRODUCTS, 8, async (i) => {
    const answer = await expectCommand<{ productId: string }>(
      suite,
      '/products',
      {
        sku: `PIPELINE-${String(i).padStart(4, '0')}`,
        name: `Product ${i}`,
        priceCents: 199 + ((i * 7_919) % 19_800),
        currency: 'EUR',
        stock: 1_000_000_000,
      },
      201,
    );
    return answer.productId;
  });
  return { customerIds, productIds, probeCustomerId };
}

/** Events each projection has not applied yet, as the gateway reports them. */
async function projectionLag(suite: RunningSuite): Promise<Record<string, number | null>> {
  const answer = await suite.ops<{ projections: { name: string; lagEvents: number | null }[] }>(
    '/projections',
  );
  if (answer.status !== 200) throw new Error(`GET /projections answered ${answer.status}`);
  return Object.fromEntries(answer.body.projections.map((p) => [p.name, p.lagEvents]));
}

/** Waits until every read model has applied every event the write side has committed. */
async function caughtUp(suite: RunningSuite): Promise<void> {
  await suite.caughtUp(undefined, CATCH_UP_TIMEOUT_MS);
  await waitFor(
    'every projection at lag 0 on the gateway',
    async () => Object.values(await projectionLag(suite)).every((lag) => lag === 0),
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/**
 * Follows sampled orders until each read model shows them (see the header): one reader per
 * sample for order history and analytics, one for all samples pending for search.
 */
class FreshnessProbe {
  private readonly samples: Record<ReadModel, (number | null)[]> = {
    'order-history': [],
    search: [],
    analytics: [],
  };
  private readonly watching: Promise<void>[] = [];
  private readonly searchPending = new Map<
    string,
    { sentAt: number; answeredAt: number; done: () => void }
  >();
  private searching: Promise<void> | undefined;
  /** Gateway reads sent, by read model. */
  readonly reads: Record<ReadModel, number> = { 'order-history': 0, search: 0, analytics: 0 };

  constructor(
    private readonly suite: RunningSuite,
    private readonly probeCustomerId: string,
  ) {}

  /** Follows an order placed for the probe customer, sent at `sentAt` and answered at `answeredAt`. */
  watch(order: PlacedOrder, sentAt: number, answeredAt: number): void {
    this.watching.push(
      this.poll('order-history', answeredAt, async () => {
        return (await this.suite.query(`/orders/${order.orderId}`)).status === 200;
      }),
      this.poll('analytics', answeredAt, async () => {
        const headers = { 'X-Consistency-Token': order.consistencyToken, Prefer: 'wait=0' };
        return (await this.suite.query('/stats/sales', headers)).status === 200;
      }),
      new Promise<void>((done) => {
        this.searchPending.set(order.orderId, { sentAt, answeredAt, done });
        this.searching ??= this.searchLoop();
      }),
    );
  }

  /** Waits for every sample to be seen or to time out; the figures by read model. */
  async figures(): Promise<Record<ReadModel, FreshnessFigures>> {
    await Promise.all(this.watching);
    return Object.fromEntries(
      READ_MODELS.map((model) => {
        const seen = this.samples[model].filter((ms): ms is number => ms !== null);
        return [model, freshnessFigures(model, seen, this.samples[model].length - seen.length)];
      }),
    ) as Record<ReadModel, FreshnessFigures>;
  }

  private record(model: ReadModel, answeredAt: number, seenAt: number | null): void {
    this.samples[model].push(seenAt === null ? null : seenAt - answeredAt);
  }

  private async poll(model: ReadModel, answeredAt: number, shows: () => Promise<boolean>): Promise<void> {
    for (;;) {
      this.reads[model]++;
      const shown = await shows().catch(() => false);
      const now = performance.now();
      if (shown || now - answeredAt >= FRESHNESS_TIMEOUT_MS) {
        this.record(model, answeredAt, shown ? now : null);
        return;
      }
      await sleep(POLL_MS);
    }
  }

  private async searchLoop(): Promise<void> {
    while (this.searchPending.size > 0) {
      // Only the probe customer's orders placed since the oldest sample pending was sent (less a
      // margin for the clocks): a few, newest first.
      const oldest = Math.min(...[...this.searchPending.values()].map((p) => p.sentAt));
      const from = new Date(Date.now() - (performance.now() - oldest) - 2_000).toISOString();
      this.reads.search++;
      const answer = await this.suite
        .query<{ items: { orderId: string }[] }>(
          `/search/orders?q=${this.probeCustomerId}&from=${encodeURIComponent(from)}&limit=100`,
        )
        .catch(() => undefined);
      const now = performance.now();
      const listed = new Set(answer?.status === 200 ? answer.body.items.map((o) => o.orderId) : []);
      for (const [orderId, { answeredAt, done }] of this.searchPending) {
        if (listed.has(orderId)) this.record('search', answeredAt, now);
        else if (now - answeredAt >= FRESHNESS_TIMEOUT_MS) this.record('search', answeredAt, null);
        else continue;
        this.searchPending.delete(orderId);
        done();
      }
      await sleep(SEARCH_POLL_MS);
    }
    this.searching = undefined;
  }
}

function freshnessFigures(model: ReadModel, seen: readonly number[], timeouts: number): FreshnessFigures {
  const ms = rounded(seen);
  return { samples: seen.length, timeouts, ms, fresh: isFresh(model, timeouts, ms) };
}

/** No sample timed out, and the 99th percentile is within the limit (NaN, no sample seen, is not). */
const isFresh = (model: ReadModel, timeouts: number, ms: Latency): boolean =>
  timeouts === 0 && ms.p99 <= FRESH_WITHIN_MS[model];

/** Orders at `rate` per second for `seconds` in an open loop (see the header); resolves when all are answered. */
async function openLoop(
  suite: RunningSuite,
  shop: Shop,
  rate: number,
  seconds: number,
  probe: FreshnessProbe,
): Promise<LoadFigures> {
  const scheduled = Math.round(rate * seconds);
  const latencies: number[] = [];
  const sendDelays: number[] = [];
  const failedByStatus: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let skipped = 0;
  let paid = 0;
  let payFailed = 0;
  let lastSample = -Infinity;

  const placeOrder = async (sample: boolean): Promise<void> => {
    const products = new Set<string>();
    const lines = 1 + Math.floor(Math.random() * 3);
    while (products.size < lines) products.add(pick(shop.productIds));
    const body = {
      customerId: sample ? shop.probeCustomerId : pick(shop.customerIds),
      items: [...products].map((productId) => ({ productId, quantity: 1 + Math.floor(Math.random() * 3) })),
    };
    const sentAt = performance.now();
    const answer = await suite.command<PlacedOrder>('/orders', body).catch(() => undefined);
    const answeredAt = performance.now();
    if (answer?.status !== 201) {
      const status = String(answer?.status ?? 0);
      failedByStatus[status] = (failedByStatus[status] ?? 0) + 1;
      return;
    }
    latencies.push(answeredAt - sentAt);
    if (sample) probe.watch(answer.body, sentAt, answeredAt);
    if (Math.random() < LIFECYCLE) {
      const payment = await suite.command(`/orders/${answer.body.orderId}/pay`).catch(() => undefined);
      if (payment?.status === 200) paid++;
      else payFailed++;
    }
  };

  const started = performance.now();
  for (let i = 0; i < scheduled; i++) {
    const due = started + (i * 1_000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sendDelays.push(performance.now() - due);
    if (inFlight.size >= MAX_OUTSTANDING) {
      skipped++;
      continue;
    }
    const sample = due - lastSample >= SAMPLE_MS;
    if (sample) lastSample = due;
    const request: Promise<void> = placeOrder(sample).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  const failed = Object.values(failedByStatus).reduce((sum, n) => sum + n, 0);
  return {
    scheduled,
    sent: scheduled - skipped,
    ok: latencies.length,
    failed,
    failedByStatus,
    skipped,
    late: sendDelays.filter((delay) => delay > LATE_MS).length,
    sendDelayMsP99: round(summarize(sendDelays).p99),
    okPerSecond: round(latencies.length / seconds),
    paid,
    payFailed,
    latencyMs: rounded(latencies),
  };
}

/** The CPU rows shown: every process group, the sums, the machine less this load generator. */
function cpuRows(use: CpuUse): Record<string, number> {
  const order = [...WRITE_SIDE, ...READ_SIDE, ...OTHERS];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  const groups = Object.keys(use.byGroup).sort((a, b) => rank(a) - rank(b));
  const sum = (names: readonly string[]) =>
    names.reduce((total, name) => total + (use.byGroup[name] ?? 0), 0);
  return {
    ...Object.fromEntries(groups.map((name) => [name, use.byGroup[name] ?? 0])),
    'read side': sum(READ_SIDE),
    'write side': sum(WRITE_SIDE),
    'all listed': sum(groups),
    'machine less bench': use.machine - use.bench,
    'rest of machine': use.machine - use.bench - sum(groups),
  };
}

const percentOfCore = (use: CpuUse): Record<string, number> =>
  Object.fromEntries(Object.entries(cpuRows(use)).map(([row, ms]) => [row, round(ms / use.seconds / 10)]));

/** One rate: load, freshness and CPU, until the read models have caught up. */
async function measureRate(
  suite: RunningSuite,
  shop: Shop,
  groups: ProcessGroups,
  rate: number,
  seconds: number,
  idle: Record<string, number>,
): Promise<RateFigures> {
  const probe = new FreshnessProbe(suite, shop.probeCustomerId);
  const cpu = measureCpuUse(groups);
  const load = await openLoop(suite, shop, rate, seconds, probe);
  const answered = performance.now();
  const lagEventsAtEnd = await projectionLag(suite);
  const [freshness, catchUpSeconds] = await Promise.all([
    probe.figures(),
    caughtUp(suite).then(() => round((performance.now() - answered) / 1_000)),
  ]);
  const use = cpu();
  const perOrder = (ms: number) => round(ms / Math.max(1, load.ok), 2);
  const rows = cpuRows(use);
  return {
    rate,
    load,
    lagEventsAtEnd,
    catchUpSeconds,
    cpuSeconds: round(use.seconds),
    cpuMsPerOrder: Object.fromEntries(Object.entries(rows).map(([row, ms]) => [row, perOrder(ms)])),
    cpuMsPerOrderAboveIdle: Object.fromEntries(
      Object.entries(rows).map(([row, ms]) => [row, perOrder(ms - (idle[row] ?? 0) * use.seconds * 10)]),
    ),
    cpuPercentOfCore: percentOfCore(use),
    freshness,
    probeReadsPerSecond: Object.fromEntries(
      READ_MODELS.map((model) => [model, round(probe.reads[model] / use.seconds)]),
    ) as Record<ReadModel, number>,
    allFresh: READ_MODELS.every((model) => freshness[model].fresh),
  };
}

function printRate(title: string, figures: RateFigures, idle: Record<string, number>): void {
  const { load } = figures;
  const failures = Object.entries(load.failedByStatus).map(([status, n]) => `${n}×${status}`);
  console.log(
    `\n${title}: ${load.sent} orders sent in ${SECONDS} s, ${load.ok} answered 201 (${load.okPerSecond}/s), ` +
      `${load.failed} failed${failures.length > 0 ? ` (${failures.join(', ')})` : ''}, ${load.skipped} skipped, ` +
      `${load.late} late (send delay p99 ${load.sendDelayMsP99} ms)` +
      (LIFECYCLE > 0 ? `, ${load.paid} paid (${load.payFailed} pay failed)` : '') +
      `; latency p50 ${load.latencyMs.p50} ms, p95 ${load.latencyMs.p95} ms, p99 ${load.latencyMs.p99} ms`,
  );
  const lag = Object.entries(figures.lagEventsAtEnd).map(([name, events]) => `${name} ${String(events)}`);
  console.log(
    `  events behind after the last answer: ${lag.join(', ')}; all applied ${figures.catchUpSeconds} s later`,
  );
  console.log(
    table(
      ['CPU', 'ms/order', '% of a core', 'idle % of a core', 'ms/order above idle'],
      Object.keys(figures.cpuMsPerOrder).map((row) => [
        row,
        figures.cpuMsPerOrder[row] ?? null,
        figures.cpuPercentOfCore[row] ?? null,
        idle[row] ?? null,
        figures.cpuMsPerOrderAboveIdle[row] ?? null,
      ]),
    ),
  );
  console.log(
    table(
      ['freshness, ms', 'samples', 'timeouts', 'p50', 'p95', 'p99', 'max', 'fresh', 'probe reads/s'],
      READ_MODELS.map((model) => {
        const f = figures.freshness[model];
        const verdict = `${f.fresh ? 'yes' : 'NO'} (p99 ≤ ${FRESH_WITHIN_MS[model]})`;
        const reads = figures.probeReadsPerSecond[model];
        return [model, f.samples, f.timeouts, f.ms.p50, f.ms.p95, f.ms.p99, f.ms.max, verdict, reads];
      }),
    ),
  );
}

/** One table across the rates, and the verdict. */
function printSummary(title: string, rates: readonly RateFigures[]): void {
  const columns = rates.map((r) => `${r.rate}/s`);
  const rows: (string | number | null)[][] = [
    ['orders/s answered 201', ...rates.map((r) => r.load.okPerSecond)],
    ['failed + skipped', ...rates.map((r) => r.load.failed + r.load.skipped)],
    ['latency p99, ms', ...rates.map((r) => r.load.latencyMs.p99)],
    ...Object.keys(rates[0]?.cpuMsPerOrder ?? {}).map((row) => [
      `CPU ms/order: ${row}`,
      ...rates.map((r) => r.cpuMsPerOrder[row] ?? null),
    ]),
    ...['read side', 'all listed'].map((row) => [
      `CPU ms/order above idle: ${row}`,
      ...rates.map((r) => r.cpuMsPerOrderAboveIdle[row] ?? null),
    ]),
    ...READ_MODELS.map((model) => [
      `freshness p99, ms: ${model}`,
      ...rates.map((r) => `${r.freshness[model].ms.p99}${r.freshness[model].fresh ? '' : ' (stale)'}`),
    ]),
  ];
  console.log(`\n${title}`);
  console.log(table(['', ...columns], rows));
  const highest = highestFreshRate(rates);
  console.log(
    `highest rate with every read model fresh: ${highest === null ? 'none of the rates measured' : `${highest} orders/s`}`,
  );
}

function highestFreshRate(rates: readonly RateFigures[]): number | null {
  const fresh = rates.filter((r) => r.allFresh).map((r) => r.rate);
  return fresh.length > 0 ? Math.max(...fresh) : null;
}

async function main(): Promise<void> {
  if ([...RATES, SECONDS, RUNS].some((n) => !(n > 0)) || !(LIFECYCLE >= 0 && LIFECYCLE <= 1))
    throw new Error(
      'BENCH_RATES, BENCH_SECONDS and BENCH_RUNS must be positive, BENCH_LIFECYCLE from 0 to 1',
    );
  prepareBenchmark();
  const machine = describeMachine();
  const started = performance.now();
  const { suite, settings } = await startSuiteAsNpmStartDoes();
  try {
    const shop = await seed(suite);
    await caughtUp(suite);
    const groups = pipelineProcessGroups(suite);
    console.log(
      `suite started, ${CUSTOMERS} customers and ${PRODUCTS} products added; measuring the CPU of ` +
        Object.entries(groups)
          .map(([name, pids]) => `${name} (${pids.join(', ')})`)
          .join(', '),
    );
    if (WARM_UP_SECONDS > 0) await measureRate(suite, shop, groups, RATES[0] ?? 1, WARM_UP_SECONDS, {});

    const runs: Run[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const idleUse = measureCpuUse(groups);
      await sleep(IDLE_SECONDS * 1_000);
      const idle = percentOfCore(idleUse());
      const rates: RateFigures[] = [];
      for (const rate of RATES) {
        const figures = await measureRate(suite, shop, groups, rate, SECONDS, idle);
        printRate(`run ${run}/${RUNS}, ${rate} orders/s`, figures, idle);
        rates.push(figures);
      }
      runs.push({ idlePercentOfCore: idle, rates });
      if (RUNS > 1) printSummary(`run ${run}/${RUNS}, all rates`, rates);
    }
    // Medians per rate over the runs; a read model is fresh by its median figures.
    const medians: RateFigures[] = RATES.map((_, index) => {
      const all = runs.map((run) => run.rates[index] as RateFigures);
      const figures = medianOf(all);
      // A status missing from a run's failures means none there, not unknown.
      const statuses = [...new Set(all.flatMap((r) => Object.keys(r.load.failedByStatus)))];
      const failedByStatus = Object.fromEntries(
        statuses.map((status) => [status, median(all.map((r) => r.load.failedByStatus[status] ?? 0))]),
      );
      const freshness = Object.fromEntries(
        READ_MODELS.map((model) => {
          const f = figures.freshness[model];
          return [model, { ...f, fresh: isFresh(model, f.timeouts, f.ms) }];
        }),
      ) as Record<ReadModel, FreshnessFigures>;
      return {
        ...figures,
        load: { ...figures.load, failedByStatus },
        freshness,
        allFresh: READ_MODELS.every((model) => freshness[model].fresh),
      };
    });
    printSummary(RUNS > 1 ? `median of ${RUNS} runs, all rates` : 'all rates', medians);

    const results = {
      benchmark: 'pipeline',
      date: new Date().toISOString(),
      settings: {
        ratesPerSecond: RATES,
        secondsPerRate: SECONDS,
        runCount: RUNS,
        lifecycle: LIFECYCLE,
        customers: CUSTOMERS,
        products: PRODUCTS,
        maxOutstanding: MAX_OUTSTANDING,
        warmUpSeconds: WARM_UP_SECONDS,
        idleSeconds: IDLE_SECONDS,
        sampleEveryMs: SAMPLE_MS,
        pollMs: POLL_MS,
        searchPollMs: SEARCH_POLL_MS,
        freshnessTimeoutMs: FRESHNESS_TIMEOUT_MS,
        freshWithinMs: FRESH_WITHIN_MS,
        serviceEnv: settings,
      },
      machine: {
        ...machine,
        loadAverageAtEnd: describeMachine().loadAverage,
        servers: await serverVersions(suite),
      },
      processGroups: groups,
      note:
        'CPU: utime+stime of each process group (a server with every process under it and the children ' +
        'it reaped) from the first order sent until every read model had applied everything, per order ' +
        'answered 201; read side = projectors, Kafka, Elasticsearch, FerretDB/MongoDB, PostgreSQL, Redis; ' +
        'machine less bench = /proc/stat busy time less the load generator. Idle use is not subtracted. ' +
        'Freshness: ms from the command answer to the gateway answer showing the order (analytics: token ' +
        'check with Prefer: wait=0). Everything shares the machine. See bench/src/pipeline.ts.',
      highestRateWithEveryReadModelFresh: highestFreshRate(medians),
      totalSeconds: round((performance.now() - started) / 1_000),
      medians,
      runs,
    };
    writeResults('pipeline', results.date, results);
  } catch (error) {
    for (const service of ['command-service', ...PROJECTORS.map((p) => p.name)] as const)
      console.error(`--- ${service}, last output:\n${suite.process(service)?.output().slice(-2_000) ?? ''}`);
    throw error;
  } finally {
    await suite.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
