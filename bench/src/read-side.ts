// Read-side benchmark: the query gateway's throughput and latency per route family under
// concurrent load, and how soon a command becomes visible in each read model while commands flow
// at a steady rate, against the local stack.
//   npm run bench:read-side    (BENCH_SECONDS=10, BENCH_RUNS=3, BENCH_CONCURRENCY=16, BENCH_RATE=50)
// Other knobs: BENCH_CUSTOMERS=200, BENCH_PRODUCTS=100, BENCH_ORDERS=3000 (the seeded data set),
// BENCH_PROBE_EVERY=10 (probe every 10th command), BENCH_PROBE_CONCURRENCY=4 (poll requests in
// flight per probe), BENCH_POLL_MS=5 (first pause between two polls of one change),
// BENCH_PROBE_TIMEOUT_MS=30000. BENCH_RUNS=1 for a quick run (about 4 minutes; seeding and the
// read models catching up with it take half of that).
// It starts the whole suite (command service, relay, three projectors, gateway) on stores of its
// own, seeds it once (orders in chunks of 500, the read models catching up after each), runs both
// parts BENCH_RUNS times (the machine is shared and noisy: medians are reported), prints tables
// and writes bench/results/read-side-<time>.json. With every figure it gives the machine's CPU
// use and the busiest processes (Linux /proc), since the services, the servers, this load
// generator and whatever else runs share the machine.
//
// Part 1, throughput: per route family, BENCH_CONCURRENCY clients in a closed loop (each sends
// its next request when the previous answer is in; kit/load.ts) for BENCH_SECONDS, after a 1 s warm-up.
// Latency is of the 200 answers; other statuses and network errors count as non-200.
//   orders           GET /orders/{id} of a random seeded order
//   customer-orders  GET /customers/{id}/orders?limit=20 of a random customer
//   search-orders    GET /search/orders, in turn ?q=<a customer surname>, ?status=<a status>,
//                    ?minTotalCents=&maxTotalCents= (a 100 EUR wide range)
//   search-products  GET /search/products?q=<a word of a product name>
//   stats            GET /stats/sales and GET /stats/products/top?limit=10, alternately
//
// Part 2, freshness: commands at BENCH_RATE per second for BENCH_SECONDS (open loop: sent on
// schedule whatever the answers), about half PlaceOrder and half PayOrder of the oldest order
// placed in that phase and not paid yet. First without any reads, as a control: how far behind
// the projections are when the last command is answered, and how long they take to catch up.
// Then again with probes: from the response of every BENCH_PROBE_EVERY-th command, each read
// model is polled through the gateway, without a consistency token, until the change shows; a
// sample is the time from the command's response to the answer that showed it (so it includes
// one read's round trip):
//   order-history      GET /orders/{id} answers 200 with at least the command's version.
//   search             GET /search/orders?q={orderId} (q matches an exact order id) lists the
//                      order with at least that version. Elasticsearch makes writes searchable
//                      only at its next refresh (every 1 s), so this includes that wait.
//   analytics          GET /stats/sales. Counters are aggregates: one order's change cannot be
//                      seen in them, only counted. A PlaceOrder counts as visible once ordersPlaced
//                      reaches its baseline plus the PlaceOrders *sent* before this command's
//                      response, less those refused (4xx) by then; a PayOrder likewise with
//                      ordersByStatus.PAID. Every order committed before this one was sent before
//                      its response, so if the projector applied events in commit order, reaching
//                      that count would prove this change applied, and later commands could not
//                      bring it forward. It applies partitions concurrently, though, so the order
//                      is only roughly the commit order; hence the cross-check:
//   analytics (exact)  GET /stats/sales with the command's consistency token and `Prefer: wait=0`:
//                      the gateway checks once, without waiting, whether the analytics model has
//                      applied that order version, and answers 200 or 503. The projector writes an
//                      order's snapshot (which the check reads) and its counter increments in one
//                      Redis script, so the counters include the change exactly from then on.
//   order-history with token  for comparison, right after the response of as many other commands
//                      (half-way between the probed ones), GET /orders/{id} read once *with* the
//                      command's consistency token (the gateway waits up to 2 s): the time until
//                      its 200; 503 answers are counted as timeouts. The gateway polls the store
//                      while it waits, so these reads load order history more than the probe.
//                      There are no token reads of search: each forces an index refresh, which
//                      would let the search probe see changes early.
// The polls of each probe share BENCH_PROBE_CONCURRENCY requests in flight, the most overdue
// first (the counters probe: one request at a time for all pending changes), so the probes' own
// load is bounded. A change is polled again BENCH_POLL_MS after the previous answer, later a
// tenth of the time waited so far: long waits are measured to about 10 % without polling all the
// time. The table gives the mean number of polls per sample and the 95th percentile of the time
// from the response to the first poll: when the probe's requests queue, that is in the figures.
// A projection that cannot keep up with BENCH_RATE shows as a lag at the end, growing freshness
// figures and timeouts, not as a steady state; a lower BENCH_RATE then gives the steady state.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot, stackEnv, startSuite, type RunningSuite } from '@cqrs-shop/testing';
import { PROJECTORS } from '@cqrs-shop/service-registry';
import { closedLoop, keepAliveAgent } from './kit/load.js';
import { serverVersions } from './kit/servers.js';
import { cpuBusySince, type CpuByProcess, cpuTimes, measureCpu } from './machine.js';
import { type Latency, median, medianLatency, round, summarize, table } from './stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// The machine is shared and noisy: both parts run this many times and medians are reported.
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 200);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 3000);
const PROBE_CONCURRENCY = Number(process.env.BENCH_PROBE_CONCURRENCY ?? 4);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 5);
const PROBE_TIMEOUT_MS = Number(process.env.BENCH_PROBE_TIMEOUT_MS ?? 30_000);
const PROBE_EVERY = Number(process.env.BENCH_PROBE_EVERY ?? 10);
const SEED_CONCURRENCY = 16;
/** Orders seeded between two waits for the read models. */
const SEED_CHUNK = 500;
/** How long to wait for the read models to catch up after seeding and after each run. */
const CATCH_UP_TIMEOUT_MS = 15 * 60_000;
/** A projection behind by the same number of events this long is taken to be stuck. */
const STALL_MS = 90_000;
const WARM_UP_MS = 1_000;

const FIRST_NAMES = 'Ada Boris Chloe Dmitri Elena Farid Greta Hugo Ines Jonas'.split(' ');
const SURNAMES = [
  'Abbott Baranov Castillo Dubois Eriksen Fontaine Gallagher Horvath Ivanova Jansen Kowalski',
  'Lindqvist Moreau Nakamura Okafor Petrov Quintero Rossi Schneider Tanaka Urquhart Varga',
  'Whitfield Xenakis Yilmaz Zhang Alvarez Brennan Costa Delgado Esposito Fischer Gonzaga Hartmann',
  'Iversen Jovanovic Kearney Lombardi Mendes Novak',
]
  .join(' ')
  .split(' ');
const ADJECTIVES = 'Rustic Compact Deluxe Folding Vintage Modern Classic Portable Heavy Slim'.split(' ');
const MATERIALS = 'Oak Walnut Steel Bamboo Copper Marble Linen Leather Ceramic Glass'.split(' ');
const NOUNS = 'Lamp Desk Chair Kettle Shelf Clock Vase Stool Mirror Tray Bench'.split(' ');
const STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
type Status = (typeof STATUSES)[number];
/** What becomes of the seeded orders: 35 % stay placed, 30 % paid, 20 % shipped, 15 % cancelled. */
const FATES: { upTo: number; steps: string[]; status: Status }[] = [
  { upTo: 0.35, steps: [], status: 'PLACED' },
  { upTo: 0.65, steps: ['pay'], status: 'PAID' },
  { upTo: 0.85, steps: ['pay', 'ship'], status: 'SHIPPED' },
  { upTo: 0.925, steps: ['cancel'], status: 'CANCELLED' },
  { upTo: 1, steps: ['pay', 'cancel'], status: 'CANCELLED' },
];

interface RouteFigures {
  family: string;
  requests: number;
  non200: number;
  /** Answers by status other than 200; 0 stands for a network error. */
  non200ByStatus: Record<string, number>;
  okPerSecond: number;
  latencyMs: Latency;
  /** Machine-wide CPU use during the measurement (all processes, not only the suite's). */
  machineCpuBusyPercent: number;
}

type ProbeName = 'order-history' | 'search' | 'analytics' | 'analytics (exact)' | 'order-history with token';

interface FreshnessFigures {
  probe: ProbeName;
  /** Changes seen (for the token read: 200 answers). */
  samples: number;
  /** Changes not seen within BENCH_PROBE_TIMEOUT_MS (for the token read: non-200 answers). */
  timeouts: number;
  pollsPerSample: number | null;
  /** 95th percentile of the time from the command's response to the probe's first poll. */
  firstPollMsP95: number | null;
  ms: Latency;
}

interface CommandFigures {
  /** Machine-wide CPU use while the commands were sent (all processes, not only the suite's). */
  machineCpuBusyPercent: number;
  /** Events each projection had not applied when the last command had been answered. */
  lagEventsAtEnd: Record<string, number | null>;
  /** From then until every read model had applied every event. */
  catchUpSeconds: number;
  sent: number;
  placeOrders: number;
  payOrders: number;
  failed: number;
  sentPerSecond: number;
  latencyMs: Latency;
}

interface Run {
  /** While the route families ran, and while the commands of part 2 were sent; the busiest. */
  cpuByProcess: { throughput: CpuByProcess; freshness: CpuByProcess };
  routes: RouteFigures[];
  /** The same command flow without any reads: whether the projections keep up on their own. */
  control: CommandFigures;
  freshness: FreshnessFigures[];
  commands: CommandFigures;
}

interface DataSet {
  customerIds: string[];
  productIds: string[];
  orderIds: string[];
  productWords: string[];
  byStatus: Record<Status, number>;
}

interface CommandAnswer {
  orderId: string;
  status: Status;
  version: number;
  consistencyToken: string;
}

interface Sales {
  ordersPlaced: number;
  ordersByStatus: Record<Status, number>;
}

type Suite = RunningSuite;

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const rounded = (samples: readonly number[]): Latency => {
  const s = summarize(samples);
  return { p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), max: round(s.max) };
};

async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

async function expectCommand<T>(suite: Suite, path: string, body: unknown, status: number): Promise<T> {
  const answer = await suite.command<T>(path, body);
  if (answer.status !== status)
    throw new Error(`POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Customers, products, and orders in every status, placed and moved on by concurrent clients. */
async function seed(suite: Suite): Promise<DataSet> {
  const customerIds: string[] = [];
  await forEachConcurrently(
    Array.from({ length: CUSTOMERS }, (_, i) => i),
    SEED_CONCURRENCY,
    async (i) => {
      const first = FIRST_NAMES[Math.floor(i / SURNAMES.length) % FIRST_NAMES.length] ?? 'Ada';
      const surname = SURNAMES[i % SURNAMES.length] ?? 'Abbott';
      const answer = await expectCommand<{ customerId: string }>(
        suite,
        '/customers',
        { name: `${first} ${surname}`, email: `${first}.${surname}.${i}@example.com`.toLowerCase() },
        201,
      );
      customerIds.push(answer.customerId);
    },
  );
  const productIds: string[] = [];
  const words = new Set<string>();
  await forEachConcurrently(
    Array.from({ length: PRODUCTS }, (_, i) => i),
    SEED_CONCURRENCY,
    async (i) => {
      const adjective = ADJECTIVES[i % ADJECTIVES.length] ?? 'Rustic';
      const material = MATERIALS[Math.floor(i / ADJECTIVES.length) % MATERIALS.length] ?? 'Oak';
      const noun = NOUNS[i % NOUNS.length] ?? 'Lamp';
      for (const word of [adjective, material, noun]) words.add(word.toLowerCase());
      const answer = await expectCommand<{ productId: string }>(
        suite,
        '/products',
        {
          sku: `BENCH-${String(i).padStart(4, '0')}`,
          name: `${adjective} ${material} ${noun}`,
          description: `A ${adjective.toLowerCase()} ${noun.toLowerCase()} made of ${material.toLowerCase()}.`,
          priceCents: 199 + ((i * 7_919) % 19_800),
          currency: 'EUR',
          stock: 1_000_000_000,
        },
        201,
      );
      productIds.push(answer.productId);
    },
  );
  const orderIds: string[] = [];
  const byStatus: Record<Status, number> = { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 0 };
  // In chunks, each applied by the read models before the next: the projectors do not heartbeat
  // while they work through a batch, so one long backlog gets their consumers evicted (see catchUp).
  await catchUp(suite);
  for (let chunk = 0; chunk < ORDERS; chunk += SEED_CHUNK) {
    await forEachConcurrently(
      Array.from({ length: Math.min(SEED_CHUNK, ORDERS - chunk) }, (_, i) => i),
      SEED_CONCURRENCY,
      seedOrder,
    );
    await catchUp(suite);
  }
  return { customerIds, productIds, orderIds, productWords: [...words].sort(), byStatus };

  async function seedOrder(): Promise<void> {
    const items = new Set<string>();
    const lines = 1 + Math.floor(Math.random() * 4);
    while (items.size < lines) items.add(pick(productIds));
    const placed = await expectCommand<CommandAnswer>(
      suite,
      '/orders',
      {
        customerId: pick(customerIds),
        items: [...items].map((productId) => ({ productId, quantity: 1 + Math.floor(Math.random() * 3) })),
      },
      201,
    );
    orderIds.push(placed.orderId);
    const fate = Math.random();
    const { steps, status } = FATES.find((f) => fate < f.upTo) ?? { steps: [], status: 'PLACED' };
    for (const step of steps) await expectCommand(suite, `/orders/${placed.orderId}/${step}`, {}, 200);
    byStatus[status]++;
  }
}

/** Compares what the read models answer with what was seeded; says so loudly when they differ. */
async function checkDataSet(suite: Suite, data: DataSet): Promise<string[]> {
  const problems: string[] = [];
  const sales = await suite.query<Sales>('/stats/sales');
  if (sales.status !== 200) problems.push(`GET /stats/sales answered ${sales.status}`);
  else {
    if (sales.body.ordersPlaced !== data.orderIds.length)
      problems.push(`analytics: ordersPlaced ${sales.body.ordersPlaced}, seeded ${data.orderIds.length}`);
    for (const status of STATUSES)
      if (sales.body.ordersByStatus[status] !== data.byStatus[status])
        problems.push(
          `analytics: ${status} ${sales.body.ordersByStatus[status]}, seeded ${data.byStatus[status]}`,
        );
  }
  const orders = await suite.query<{ total: number }>('/search/orders?limit=1');
  if (orders.status !== 200 || orders.body.total !== data.orderIds.length)
    problems.push(`search: GET /search/orders answered ${orders.status}, total ${orders.body.total}`);
  for (const status of STATUSES) {
    const page = await suite.query<{ total: number }>(`/search/orders?status=${status}&limit=1`);
    if (page.body.total !== data.byStatus[status])
      problems.push(`search: ${status} total ${page.body.total}, seeded ${data.byStatus[status]}`);
  }
  const products = await suite.query<{ total: number }>('/search/products?limit=1');
  if (products.status !== 200 || products.body.total !== data.productIds.length)
    problems.push(`search: GET /search/products answered ${products.status}, total ${products.body.total}`);
  const surname = await suite.query<{ total: number }>(`/search/orders?q=${SURNAMES[0] ?? ''}`);
  if (surname.status !== 200 || surname.body.total === 0)
    problems.push(`search: q=${SURNAMES[0] ?? ''} answered ${surname.status}, total ${surname.body.total}`);
  let listed = 0;
  await forEachConcurrently(data.customerIds, 8, async (customerId) => {
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: unknown[]; nextCursor: string | null } } =
        await suite.query(`/customers/${customerId}/orders?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      if (page.status !== 200) {
        problems.push(`order-history: customer orders answered ${page.status}`);
        return;
      }
      listed += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
  });
  if (listed !== data.orderIds.length)
    problems.push(`order-history: customers' orders list ${listed} orders, seeded ${data.orderIds.length}`);
  return problems;
}

/** The route families of part 1: each gives the path of its i-th request. */
function routeFamilies(data: DataSet): { name: string; path: (i: number) => string }[] {
  return [
    { name: 'orders', path: () => `/orders/${pick(data.orderIds)}` },
    { name: 'customer-orders', path: () => `/customers/${pick(data.customerIds)}/orders?limit=20` },
    {
      name: 'search-orders',
      path: (i) => {
        if (i % 3 === 0) return `/search/orders?q=${pick(SURNAMES)}`;
        if (i % 3 === 1) return `/search/orders?status=${pick(STATUSES)}`;
        const min = 100 * Math.floor(Math.random() * 500);
        return `/search/orders?minTotalCents=${min}&maxTotalCents=${min + 10_000}`;
      },
    },
    { name: 'search-products', path: () => `/search/products?q=${pick(data.productWords)}` },
    {
      name: 'stats',
      path: (i) => (i % 2 === 0 ? '/stats/sales' : '/stats/products/top?limit=10'),
    },
  ];
}

/** Part 1 for one route family: CONCURRENCY clients in a closed loop for SECONDS (kit/load.ts). */
async function routeLoad(
  suite: Suite,
  family: { name: string; path: (i: number) => string },
): Promise<RouteFigures> {
  const agent = keepAliveAgent(CONCURRENCY);
  const staff = await suite.identity.bearer(['staff']);
  try {
    const load = (seconds: number) =>
      closedLoop({
        agent,
        baseUrl: suite.url('query-gateway'),
        headers: staff,
        path: family.path,
        clients: CONCURRENCY,
        seconds,
      });
    await load(WARM_UP_MS / 1_000);
    const cpu = cpuTimes();
    const figures = await load(SECONDS);
    const machineCpuBusyPercent = cpuBusySince(cpu);
    const non200 = Object.values(figures.notOkByStatus).reduce((sum, n) => sum + n, 0);
    return {
      family: family.name,
      requests: figures.requests,
      non200,
      non200ByStatus: figures.notOkByStatus,
      okPerSecond: figures.okPerSecond,
      latencyMs: figures.latencyMs,
      machineCpuBusyPercent,
    };
  } finally {
    agent.destroy();
  }
}

/** When a change was seen: ms from the command's response to the answer that showed it. */
interface Observation {
  /** Null when not seen within PROBE_TIMEOUT_MS. */
  readonly ms: number | null;
  readonly polls: number;
  /** From the command's response until the first poll was sent: the probe's own queueing. */
  readonly firstPollMs: number;
}

interface Pending<T> {
  readonly item: T;
  readonly since: number;
  due: number;
  polls: number;
  firstPollMs: number;
  readonly done: (observation: Observation) => void;
}

/**
 * The pause before a change is polled again: POLL_MS at first, later a tenth of the time waited
 * so far; so long waits are measured to about 10 % without polling all the time.
 */
const pollPause = (waitedMs: number): number => Math.max(POLL_MS, waitedMs / 10);

/**
 * Polls changes until `visible` says they show, with at most `concurrency` polls in flight, the
 * most overdue first: a new change is due at once, a polled one `pollPause` after its answer.
 */
class Prober<T> {
  /** Ordered by `due`. */
  private readonly queue: Pending<T>[] = [];
  private sleepers: (() => void)[] = [];
  private closing = false;
  private readonly workers: Promise<void>[];

  constructor(
    private readonly visible: (item: T) => Promise<boolean>,
    concurrency: number,
  ) {
    this.workers = Array.from({ length: concurrency }, () => this.work());
  }

  watch(item: T, since: number): Promise<Observation> {
    return new Promise((done) => {
      this.enqueue({ item, since, due: since, polls: 0, firstPollMs: 0, done });
      this.wake();
    });
  }

  /** Stops the workers once nothing is pending. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake();
    await Promise.all(this.workers);
  }

  private enqueue(pending: Pending<T>): void {
    const at = this.queue.findIndex((other) => other.due > pending.due);
    this.queue.splice(at < 0 ? this.queue.length : at, 0, pending);
  }

  private wake(): void {
    const sleepers = this.sleepers;
    this.sleepers = [];
    for (const wake of sleepers) wake();
  }

  private async work(): Promise<void> {
    for (;;) {
      const first = this.queue[0];
      if (!first || first.due > performance.now()) {
        if (this.closing && !first) return;
        const woken = new Promise<void>((resolve) => this.sleepers.push(resolve));
        await (first ? Promise.race([woken, sleep(Math.max(1, first.due - performance.now()))]) : woken);
        continue;
      }
      this.queue.shift();
      if (first.polls++ === 0) first.firstPollMs = performance.now() - first.since;
      const seen = await this.visible(first.item).catch(() => false);
      const now = performance.now();
      const { since, polls, firstPollMs } = first;
      if (seen) first.done({ ms: now - since, polls, firstPollMs });
      else if (now - since >= PROBE_TIMEOUT_MS) first.done({ ms: null, polls, firstPollMs });
      else {
        first.due = now + pollPause(now - since);
        this.enqueue(first);
      }
    }
  }
}

type CommandKind = 'place' | 'pay';

/**
 * The analytics counters probe: one GET /stats/sales at a time for all pending changes, each
 * waiting for its counter (ordersPlaced or ordersByStatus.PAID) to reach its threshold.
 */
class CounterProbe {
  private pending: {
    kind: CommandKind;
    threshold: number;
    since: number;
    polls: number;
    firstPollMs: number;
    done: (o: Observation) => void;
  }[] = [];
  private woken: (() => void) | undefined;
  private closing = false;
  private readonly loop: Promise<void>;

  constructor(private readonly suite: Suite) {
    this.loop = this.run();
  }

  watch(kind: CommandKind, threshold: number, since: number): Promise<Observation> {
    return new Promise((done) => {
      this.pending.push({ kind, threshold, since, polls: 0, firstPollMs: 0, done });
      this.woken?.();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.woken?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.pending.length === 0) {
        if (this.closing) return;
        await new Promise<void>((resolve) => (this.woken = resolve));
        this.woken = undefined;
        continue;
      }
      const polled = [...this.pending];
      const sent = performance.now();
      for (const change of polled) if (change.polls === 0) change.firstPollMs = sent - change.since;
      let sales: Sales | undefined;
      try {
        const answer = await this.suite.query<Sales>('/stats/sales');
        if (answer.status === 200) sales = answer.body;
      } catch {
        sales = undefined;
      }
      const now = performance.now();
      const finished = new Set<(typeof polled)[number]>();
      for (const change of polled) {
        change.polls++;
        const value = change.kind === 'place' ? sales?.ordersPlaced : sales?.ordersByStatus.PAID;
        const { since, polls, firstPollMs } = change;
        if (value !== undefined && value >= change.threshold)
          change.done({ ms: now - since, polls, firstPollMs });
        else if (now - since >= PROBE_TIMEOUT_MS) change.done({ ms: null, polls, firstPollMs });
        else continue;
        finished.add(change);
      }
      // Changes watched during the poll stay pending.
      this.pending = this.pending.filter((change) => !finished.has(change));
      await sleep(POLL_MS);
    }
  }
}

/** Events each projection has not applied yet, as the gateway reports them. */
async function projectionLag(suite: Suite): Promise<Record<string, number | null>> {
  const answer = await suite.ops<{ projections: { name: string; lagEvents: number | null }[] }>(
    '/projections',
  );
  if (answer.status !== 200) return {};
  return Object.fromEntries(answer.body.projections.map((p) => [p.name, p.lagEvents]));
}

/**
 * Waits until every read model has applied every event, saying every 30 s how far behind they
 * are; fails when one stays behind by the same number of events for STALL_MS.
 */
async function catchUp(suite: Suite): Promise<void> {
  let done = false;
  const watch = async () => {
    const started = performance.now();
    const since = new Map<string, { lag: number | null; at: number }>();
    let said = started;
    while (!done) {
      await sleep(1_000);
      const lag = await projectionLag(suite).catch(() => ({}));
      const now = performance.now();
      for (const [name, events] of Object.entries(lag)) {
        const last = since.get(name);
        if (!last || last.lag !== events || !events) since.set(name, { lag: events, at: now });
        else if (now - last.at >= STALL_MS)
          throw new Error(`the ${name} projection stayed ${events} events behind for ${STALL_MS / 1_000} s`);
      }
      if (now - said >= 30_000) {
        said = now;
        const behind = Object.entries(lag).map(([name, events]) => `${name} ${String(events)}`);
        console.log(
          `  catching up for ${round((now - started) / 1_000, 0)} s; events behind: ${behind.join(', ')}`,
        );
      }
    }
  };
  const watching = watch();
  try {
    await Promise.race([suite.caughtUp(undefined, CATCH_UP_TIMEOUT_MS), watching]);
  } finally {
    done = true;
    await watching.catch(() => undefined);
  }
}

/** Part 2: commands at RATE per second for SECONDS, each change watched in every read model. */
async function freshness(
  suite: Suite,
  data: DataSet,
  probing: boolean,
): Promise<{ freshnessCpu: CpuByProcess; freshness: FreshnessFigures[]; commands: CommandFigures }> {
  const baseline = await suite.query<Sales>('/stats/sales');
  if (baseline.status !== 200) throw new Error(`GET /stats/sales answered ${baseline.status}`);
  const base: Record<CommandKind, number> = {
    place: baseline.body.ordersPlaced,
    pay: baseline.body.ordersByStatus.PAID,
  };
  const sent: Record<CommandKind, number> = { place: 0, pay: 0 };
  const refused: Record<CommandKind, number> = { place: 0, pay: 0 };
  let failed = 0;
  /** Orders placed in this phase and not paid yet, oldest first. */
  const payable: string[] = [];
  type Change = Pick<CommandAnswer, 'orderId' | 'version' | 'consistencyToken'>;
  const orderHistory = new Prober<Change>(async ({ orderId, version }) => {
    const answer = await suite.query<{ version: number }>(`/orders/${orderId}`);
    return answer.status === 200 && answer.body.version >= version;
  }, PROBE_CONCURRENCY);
  const search = new Prober<Change>(async ({ orderId, version }) => {
    const answer = await suite.query<{ items: { orderId: string; version: number }[] }>(
      `/search/orders?q=${orderId}`,
    );
    return (
      answer.status === 200 && answer.body.items.some((o) => o.orderId === orderId && o.version >= version)
    );
  }, PROBE_CONCURRENCY);
  const analyticsExact = new Prober<Change>(async ({ consistencyToken }) => {
    const answer = await suite.query('/stats/sales', {
      'X-Consistency-Token': consistencyToken,
      Prefer: 'wait=0',
    });
    return answer.status === 200;
  }, PROBE_CONCURRENCY);
  const counters = new CounterProbe(suite);
  const observations: Record<Exclude<ProbeName, 'order-history with token'>, Observation[]> = {
    'order-history': [],
    search: [],
    analytics: [],
    'analytics (exact)': [],
  };
  const tokenReads: number[] = [];
  let tokenFailures = 0;
  const commandLatencies: number[] = [];
  /** The watching of the changes probed. */
  const watching: Promise<void>[] = [];
  let answered = 0;

  const command = async (kind: CommandKind, path: string, body: unknown): Promise<void> => {
    sent[kind]++;
    const t0 = performance.now();
    let answer;
    try {
      answer = await suite.command<CommandAnswer>(path, body);
    } catch {
      failed++;
      return;
    }
    const respondedAt = performance.now();
    if (answer.status !== 200 && answer.status !== 201) {
      failed++;
      if (answer.status < 500) refused[kind]++;
      return;
    }
    commandLatencies.push(respondedAt - t0);
    const threshold = base[kind] + sent[kind] - refused[kind];
    const change: Change = answer.body;
    if (kind === 'place') payable.push(change.orderId);
    const tokenRead = async () => {
      try {
        const read = await suite.query(`/orders/${change.orderId}`, {
          'X-Consistency-Token': change.consistencyToken,
        });
        if (read.status === 200) tokenReads.push(performance.now() - respondedAt);
        else tokenFailures++;
      } catch {
        tokenFailures++;
      }
    };
    const watch = async () => {
      const [history, searched, counted, exact] = await Promise.all([
        orderHistory.watch(change, respondedAt),
        search.watch(change, respondedAt),
        counters.watch(kind, threshold, respondedAt),
        analyticsExact.watch(change, respondedAt),
      ]);
      observations['order-history'].push(history);
      observations.search.push(searched);
      observations.analytics.push(counted);
      observations['analytics (exact)'].push(exact);
    };
    // The token reads on other commands than the probes, half-way between them.
    const nth = answered++ % PROBE_EVERY;
    if (probing && nth === 0) watching.push(watch());
    if (probing && nth === Math.floor(PROBE_EVERY / 2)) watching.push(tokenRead());
  };

  const commands: Promise<void>[] = [];
  const cpu = cpuTimes();
  const cpuByProcess = measureCpu(suite);
  const started = performance.now();
  const total = Math.round(SECONDS * RATE);
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1_000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    const orderId = payable.length > 0 && Math.random() < 0.5 ? payable.shift() : undefined;
    commands.push(
      orderId
        ? command('pay', `/orders/${orderId}/pay`, {})
        : command('place', '/orders', {
            customerId: pick(data.customerIds),
            items: [{ productId: pick(data.productIds), quantity: 1 + Math.floor(Math.random() * 3) }],
          }),
    );
  }
  const sendingSeconds = (performance.now() - started) / 1_000;
  await Promise.all(commands);
  const machineCpuBusyPercent = cpuBusySince(cpu);
  const freshnessCpu = cpuByProcess();
  const ended = performance.now();
  const lagEventsAtEnd = await projectionLag(suite);
  await Promise.all(watching);
  await Promise.all([orderHistory.close(), search.close(), analyticsExact.close(), counters.close()]);
  // The next run's reads start with idle projectors.
  await catchUp(suite);
  const catchUpSeconds = round((performance.now() - ended) / 1_000);

  const figures = (probe: Exclude<ProbeName, 'order-history with token'>): FreshnessFigures => {
    const seen = observations[probe].flatMap((o) => (o.ms === null ? [] : [o.ms]));
    const polls = observations[probe].reduce((sum, o) => sum + o.polls, 0);
    return {
      probe,
      samples: seen.length,
      timeouts: observations[probe].length - seen.length,
      pollsPerSample: round(polls / Math.max(1, observations[probe].length)),
      firstPollMsP95: round(summarize(observations[probe].map((o) => o.firstPollMs)).p95),
      ms: rounded(seen),
    };
  };
  return {
    freshnessCpu,
    freshness: [
      figures('order-history'),
      figures('search'),
      figures('analytics'),
      figures('analytics (exact)'),
      {
        probe: 'order-history with token',
        samples: tokenReads.length,
        timeouts: tokenFailures,
        pollsPerSample: null,
        firstPollMsP95: null,
        ms: rounded(tokenReads),
      },
    ],
    commands: {
      machineCpuBusyPercent,
      lagEventsAtEnd,
      catchUpSeconds,
      sent: sent.place + sent.pay,
      placeOrders: sent.place,
      payOrders: sent.pay,
      failed,
      sentPerSecond: round((sent.place + sent.pay) / sendingSeconds),
      latencyMs: rounded(commandLatencies),
    },
  };
}

/** "every 10th", "every 2nd", "each". */
const nth = (n: number): string => {
  if (n === 1) return 'each';
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `every ${n}${suffix}`;
};

function printRun(title: string, run: Run): void {
  console.log(
    `\n${title}: gateway throughput, ${CONCURRENCY} clients in a closed loop, ${SECONDS} s per family`,
  );
  console.log(
    table(
      ['family', 'requests', 'non-200', 'ok/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'cpu %'],
      run.routes.map((r) => [
        r.family,
        r.requests,
        r.non200,
        r.okPerSecond,
        r.latencyMs.p50,
        r.latencyMs.p95,
        r.latencyMs.p99,
        r.latencyMs.max,
        r.machineCpuBusyPercent,
      ]),
    ),
  );
  const busiest = (cpu: CpuByProcess) =>
    Object.entries(cpu)
      .slice(0, 6)
      .map(([name, percent]) => `${name} ${percent}`)
      .join(', ');
  console.log(`  busiest processes (% of one core): ${busiest(run.cpuByProcess.throughput)}`);
  const flow = (c: CommandFigures) => {
    const lag = Object.entries(c.lagEventsAtEnd).map(([name, events]) => `${name} ${String(events)}`);
    return (
      `${c.sent} commands (${c.placeOrders} PlaceOrder, ${c.payOrders} PayOrder, ${c.failed} failed) at ` +
      `${c.sentPerSecond}/s, latency p50 ${c.latencyMs.p50} ms, p99 ${c.latencyMs.p99} ms, machine cpu ` +
      `${c.machineCpuBusyPercent} %; events behind after the last answer: ${lag.join(', ')}; ` +
      `caught up ${c.catchUpSeconds} s later`
    );
  };
  console.log(`${title}: commands at ${RATE}/s for ${SECONDS} s`);
  console.log(`  without reads: ${flow(run.control)}`);
  console.log(`  with probes:   ${flow(run.commands)}`);
  console.log(`  busiest processes with probes (% of one core): ${busiest(run.cpuByProcess.freshness)}`);
  console.log(
    `${title}: freshness of ${nth(PROBE_EVERY)} command (token reads: of others as many), ` +
      'ms from the response to the read that shows it',
  );
  console.log(
    table(
      'read model|samples|timeouts|polls/sample|1st poll p95|p50 ms|p95 ms|p99 ms|max ms'.split('|'),
      run.freshness.map((f) => [
        f.probe,
        f.samples,
        f.timeouts,
        f.pollsPerSample,
        f.firstPollMsP95,
        f.ms.p50,
        f.ms.p95,
        f.ms.p99,
        f.ms.max,
      ]),
    ),
  );
}

/** Each figure's median over the runs. */
function medianRun(runs: readonly Run[]): Run {
  const of = <T>(items: readonly T[], pick: (item: T) => number | null) =>
    round(median(items.map((item) => pick(item) ?? NaN)));
  // A median picks one of the runs' figures, already rounded: no rounding needed.
  const latency = <T>(items: readonly T[], pick: (item: T) => Latency): Latency =>
    medianLatency(items.map(pick));
  const first = runs[0] as Run;
  const cpu = (pick: (run: Run) => CpuByProcess): CpuByProcess =>
    Object.fromEntries(
      [...new Set(runs.flatMap((run) => Object.keys(pick(run))))]
        .map((name) => [name, of(runs, (run) => pick(run)[name] ?? 0)] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10),
    );
  return {
    cpuByProcess: {
      throughput: cpu((r) => r.cpuByProcess.throughput),
      freshness: cpu((r) => r.cpuByProcess.freshness),
    },
    routes: first.routes.map((route, index) => {
      const all = runs.map((run) => run.routes[index] as RouteFigures);
      const non200ByStatus: Record<string, number> = {};
      for (const status of new Set(all.flatMap((r) => Object.keys(r.non200ByStatus))))
        non200ByStatus[status] = of(all, (r) => r.non200ByStatus[status] ?? 0);
      return {
        family: route.family,
        requests: of(all, (r) => r.requests),
        non200: of(all, (r) => r.non200),
        non200ByStatus,
        okPerSecond: of(all, (r) => r.okPerSecond),
        latencyMs: latency(all, (r) => r.latencyMs),
        machineCpuBusyPercent: of(all, (r) => r.machineCpuBusyPercent),
      };
    }),
    freshness: first.freshness.map((probe, index) => {
      const all = runs.map((run) => run.freshness[index] as FreshnessFigures);
      return {
        probe: probe.probe,
        samples: of(all, (f) => f.samples),
        timeouts: of(all, (f) => f.timeouts),
        pollsPerSample: probe.pollsPerSample === null ? null : of(all, (f) => f.pollsPerSample),
        firstPollMsP95: probe.firstPollMsP95 === null ? null : of(all, (f) => f.firstPollMsP95),
        ms: latency(all, (f) => f.ms),
      };
    }),
    control: medianCommands(runs.map((r) => r.control)),
    commands: medianCommands(runs.map((r) => r.commands)),
  };
}

/** Each figure's median over the runs. */
function medianCommands(all: readonly CommandFigures[]): CommandFigures {
  const of = (pick: (c: CommandFigures) => number | null) => round(median(all.map((c) => pick(c) ?? NaN)));
  return {
    machineCpuBusyPercent: of((c) => c.machineCpuBusyPercent),
    lagEventsAtEnd: Object.fromEntries(
      Object.keys(all[0]?.lagEventsAtEnd ?? {}).map((name) => [
        name,
        of((c) => c.lagEventsAtEnd[name] ?? null),
      ]),
    ),
    catchUpSeconds: of((c) => c.catchUpSeconds),
    sent: of((c) => c.sent),
    placeOrders: of((c) => c.placeOrders),
    payOrders: of((c) => c.payOrders),
    failed: of((c) => c.failed),
    sentPerSecond: of((c) => c.sentPerSecond),
    latencyMs: medianLatency(all.map((c) => c.latencyMs)),
  };
}

async function main(): Promise<void> {
  Object.assign(process.env, stackEnv());
  const benchStarted = performance.now();
  const suite = await startSuite();
  try {
    const seedStarted = performance.now();
    const dataSet = await seed(suite);
    // Seeding waits for the read models after every chunk of orders.
    const seededSeconds = (performance.now() - seedStarted) / 1_000;
    const { byStatus } = dataSet;
    console.log(
      `seeded ${CUSTOMERS} customers, ${PRODUCTS} products, ${ORDERS} orders (${byStatus.PLACED} placed, ` +
        `${byStatus.PAID} paid, ${byStatus.SHIPPED} shipped, ${byStatus.CANCELLED} cancelled) in ` +
        `${round(seededSeconds)} s, read models caught up`,
    );
    const problems = await checkDataSet(suite, dataSet);
    for (const problem of problems)
      console.log(`WARNING: the read models disagree with the seed: ${problem}`);

    const families = routeFamilies(dataSet);
    const runs: Run[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const routes: RouteFigures[] = [];
      const throughputCpu = measureCpu(suite);
      for (const family of families) routes.push(await routeLoad(suite, family));
      const throughput = throughputCpu();
      const control = (await freshness(suite, dataSet, false)).commands;
      const { freshnessCpu, ...part2 } = await freshness(suite, dataSet, true);
      const figures = { cpuByProcess: { throughput, freshness: freshnessCpu }, routes, control, ...part2 };
      runs.push(figures);
      printRun(`run ${run}/${RUNS}`, figures);
    }
    const medians = medianRun(runs);
    printRun(`median of ${RUNS}`, medians);
    console.log(
      '  search includes Elasticsearch’s 1 s refresh interval; analytics is the counters probe, ' +
        'analytics (exact) the token check with Prefer: wait=0 (see the header of bench/src/read-side.ts)',
    );

    const results = {
      benchmark: 'read-side',
      date: new Date().toISOString(),
      settings: {
        seconds: SECONDS,
        runCount: RUNS,
        concurrency: CONCURRENCY,
        commandRatePerSecond: RATE,
        probeEvery: PROBE_EVERY,
        probeConcurrency: PROBE_CONCURRENCY,
        pollIntervalMs: POLL_MS,
        probeTimeoutMs: PROBE_TIMEOUT_MS,
        dataSet: { customers: CUSTOMERS, products: PRODUCTS, orders: ORDERS, byStatus },
      },
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: round(totalmem() / 2 ** 30),
        node: process.version,
        servers: await serverVersions(suite),
      },
      seeding: { secondsUntilCaughtUp: round(seededSeconds), problems },
      note:
        'Services, servers, load generator and other work share the machine (see cpuByProcess). Route ' +
        'latency is of 200 answers. control: the command flow without reads. Freshness, of every ' +
        'probeEvery-th command: ms from the command response to the gateway answer (without token) that ' +
        'shows the change; search includes Elasticsearch’s 1 s refresh interval; analytics: the counters ' +
        'reached the commands sent before the response (exact if events were applied in commit order); ' +
        'analytics (exact): token check with Prefer: wait=0; order-history with token: GET /orders/{id} ' +
        'with X-Consistency-Token until its 200, 503 answers counted as timeouts. See bench/src/read-side.ts.',
      totalSeconds: round((performance.now() - benchStarted) / 1_000),
      medians,
      runs,
    };
    const stamp = results.date.replace(/[:.]/g, '-');
    mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(
      join(repoRoot, `bench/results/read-side-${stamp}.json`),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    console.log(`results written to bench/results/read-side-${stamp}.json`);
  } catch (error) {
    // What the projectors last said, for the cause of a stall.
    for (const { name: service } of PROJECTORS)
      console.error(`--- ${service}, last output:\n${suite.process(service)?.output().slice(-3_000) ?? ''}`);
    throw error;
  } finally {
    await suite.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
