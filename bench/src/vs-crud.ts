// Reads, CQRS against CRUD: every read route of the query gateway side by side with the same
// question answered the single-model way (bench/src/crud-baseline: SQL on the write model, same
// HTTP stack, same response shapes), at several sizes of shop.
//   npm run bench:vs-crud    (BENCH_SIZES=10000,100000 orders; BENCH_SIZES=1000000 takes long)
// Per size: BENCH_ORDERS_PER_CUSTOMER=10, BENCH_PRODUCTS=1000, over BENCH_DAYS=90 days, drawn
// from BENCH_SEED=1 (kit/history.ts). Clients: BENCH_CLIENTS=1,16,64; BENCH_ROUNDS=3 rounds of
// BENCH_ROUND_SECONDS=4 s per side, route and client count; BENCH_OVERLOAD_SECONDS=20 of 64
// clients on each gateway route at the end. BENCH_ROUTES=/orders/{id},/stats/sales measures
// only those routes. BENCH_REQUEST_TIMEOUT_MS=10000: a read taking longer counts as a timeout,
// not an answer, and the baseline's SQL statements are stopped after as long (at a million orders
// a CRUD aggregate takes minutes).
//
// Method. For each size it starts the whole suite as `npm start` runs it (kit/suite.ts), on stores
// and topics of its own, and the CRUD baseline as a process of its own on the suite's MySQL
// database. It writes one shop history into both sides: its events straight into the suite's
// topics (as the relay would have published them; the projectors build the read models from
// them) and its end state into the write model's tables in bulk (the rows the command service
// would hold). Before measuring it checks that both sides give the same answers: sampled orders
// (status, totals, lines, customer, version), a few customers' first pages, the sales figures,
// the best sellers, the order counts by status and a product search.
// Then, route by route and client count by client count, the two sides take turns (gateway
// first in odd rounds, baseline first in even ones), each after 1 s of warm-up: the clients send
// their next GET as soon as the last one is answered, over kept-alive connections (kit/load.ts),
// drawing ids and search words from the data by the request's number, so both sides get the
// same requests. Per round: answers 200 per second, their latency, other statuses, and the CPU
// time every process used (the suite's services, the stack's servers, the baseline, this load
// generator; kit/machine.ts) per answer. Figures are medians over the rounds; the ratio is the
// gateway's reads/s over the baseline's. Finally 64 clients read each gateway route for
// BENCH_OVERLOAD_SECONDS: every answer must be 200 (overload must not fail reads).
// It prints a table per size and writes bench/results/vs-crud-<time>.json.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { repoRoot, type RunningSuite } from '@cqrs-shop/testing';
import { DAY, Dice, HOUR, ShopHistory, STATUSES } from './kit/history.js';
import { closedLoop, keepAliveAgent, type LoadFigures } from './kit/load.js';
import { serverVersions, type ServerVersions } from './kit/servers.js';
import { prepareBenchmark, startSuiteAsNpmStartDoes, writeResults } from './kit/suite.js';
import { produceEvents } from './kit/topics.js';
import { insertWriteModel } from './kit/write-model.js';
import { describeMachine, measureCpuUse, pipelineProcessGroups } from './machine.js';
import { type Latency, median, medianLatency, round, table } from './stats.js';

const numbers = (name: string, fallback: string) =>
  (process.env[name] ?? fallback).split(',').map((n) => Number(n.trim()));
const SIZES = numbers('BENCH_SIZES', '10000,100000');
const ORDERS_PER_CUSTOMER = Number(process.env.BENCH_ORDERS_PER_CUSTOMER ?? 10);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 1_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 90);
const SEED = process.env.BENCH_SEED ?? '1';
const CLIENTS = numbers('BENCH_CLIENTS', '1,16,64');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 4);
const OVERLOAD_SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 20);
/** A read that takes longer counts as a timeout, not an answer (the CRUD figures at 1M orders). */
const REQUEST_TIMEOUT_MS = Number(process.env.BENCH_REQUEST_TIMEOUT_MS ?? 10_000);
const WARM_UP_SECONDS = 1;
const OVERLOAD_CLIENTS = 64;
/** Orders and customers whose answers are compared before measuring. */
const COMPARED = 25;
/** Generous: a large history takes the projectors a while. */
const CATCH_UP_TIMEOUT_MS = 4 * HOUR;

type Side = 'gateway' | 'crud';

interface Route {
  readonly name: string;
  /** The path of request number `n`. */
  readonly path: (n: number) => string;
}

/** Request `n`'s pick of `items`: spread over all of them, the same for both sides. */
const nth = <T>(items: readonly T[], n: number): T =>
  items[(Math.imul(n + 1, 2_654_435_761) >>> 0) % items.length] as T;

const FAMILY_NAMES = ['Moretti', 'Nyberg', 'Santos', 'Weber', 'Kaur', 'Laurent'];
const PRODUCT_WORDS = ['Brass', 'Lantern', 'Nordic', 'Teapot', 'Jute', 'Harbor'];

/** BENCH_ROUTES: names of the routes to measure, comma-separated (e.g. `/orders/{id}`); all when unset. */
const ROUTES = process.env.BENCH_ROUTES?.split(',').map((name) => name.trim());

function routesOf(history: ShopHistory): Route[] {
  return allRoutes(history).filter(
    (route) => !ROUTES || ROUTES.some((name) => route.name.endsWith(` ${name}`)),
  );
}

function allRoutes(history: ShopHistory): Route[] {
  const orderIds = history.orders.map((o) => o.id);
  const customerIds = [...new Set(history.orders.map((o) => history.customers[o.customer]?.id ?? ''))];
  return [
    { name: 'GET /orders/{id}', path: (n) => `/orders/${nth(orderIds, n)}` },
    { name: 'GET /customers/{id}/orders', path: (n) => `/customers/${nth(customerIds, n)}/orders?limit=20` },
    {
      name: 'GET /search/orders',
      path: (n) => {
        if (n % 3 === 0) return `/search/orders?q=${nth(FAMILY_NAMES, n)}`;
        if (n % 3 === 1) return `/search/orders?status=${nth(STATUSES, n)}`;
        const min = 1_000 * (n % 50);
        return `/search/orders?minTotalCents=${min}&maxTotalCents=${min + 5_000}`;
      },
    },
    { name: 'GET /search/products', path: (n) => `/search/products?q=${nth(PRODUCT_WORDS, n)}` },
    { name: 'GET /stats/sales', path: () => '/stats/sales' },
    { name: 'GET /stats/products/top', path: () => '/stats/products/top?limit=10' },
  ];
}

// ---------------------------------------------------------------------------------------------
// The CRUD baseline

interface Baseline {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

async function startBaseline(suite: RunningSuite): Promise<Baseline> {
  const child = spawn(process.execPath, [join(repoRoot, 'bench/dist/crud-baseline/main.js')], {
    env: {
      PATH: process.env.PATH,
      ...suite.database.env,
      CRUD_STATEMENT_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the CRUD baseline exited with ${String(code)} before it listened`);
    }),
  ])) as [string];
  const { listening } = JSON.parse(first) as { listening: number };
  return {
    url: `http://127.0.0.1:${listening}`,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Seeding both sides, and checking they agree

async function seed(suite: RunningSuite, orders: number): Promise<{ history: ShopHistory; seconds: number }> {
  const started = performance.now();
  const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const history = new ShopHistory(new Dice(SEED), {
    customers: Math.max(1, Math.round(orders / ORDERS_PER_CUSTOMER)),
    products: PRODUCTS,
    orders,
    start: end - DAYS * DAY,
    end,
  }).plan();
  const written = await produceEvents(suite, history.events());
  console.log(
    `  ${orders} orders: events written to the topics (${Object.entries(written)
      .map(([topic, n]) => `${topic} ${n}`)
      .join(', ')}) in ${round((performance.now() - started) / 1_000)} s`,
  );
  await insertWriteModel(suite, history);
  console.log(`  rows written to the write model after ${round((performance.now() - started) / 1_000)} s`);
  await suite.caughtUp(undefined, CATCH_UP_TIMEOUT_MS);
  const seconds = round((performance.now() - started) / 1_000);
  console.log(`  every projector caught up after ${seconds} s`);
  return { history, seconds };
}

/** Where one side answers, and what every request to it carries (the gateway: a staff token). */
interface Endpoint {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

async function getJson(endpoint: Endpoint, path: string): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(endpoint.url + path, { headers: endpoint.headers });
  return { status: answer.status, body: await answer.json() };
}

type Json = Record<string, unknown>;

/** The parts of an answer both sides must agree on. */
const comparable = {
  order: (o: Json) => [
    o.status,
    o.totalCents,
    o.refundCents,
    o.version,
    o.customer,
    o.lines,
    o.placedAt,
    o.channel,
  ],
  customerOrders: (page: { items: Json[] }) => page.items.map((o) => [o.orderId, o.status, o.version]),
  sales: (figures: Json) => figures,
  // Products selling as many units may come in either order, or either one last.
  top: (top: Json[]) => top.map((p) => p.unitsSold),
  total: (page: Json) => page.total,
} as const;

/** Where the two sides' answers differ; empty when they agree. */
/**
 * Where the two sides give different answers to the same questions; a question the CRUD side
 * cannot answer within its time limit (503) is no disagreement: it is listed in `unanswered`,
 * and its route is still measured (its figures show how little the baseline answers).
 */
async function disagreements(
  endpoints: Record<Side, Endpoint>,
  history: ShopHistory,
): Promise<{ problems: string[]; unanswered: string[] }> {
  const every = (n: number) => Math.max(1, Math.floor(n / COMPARED));
  const checks: [string, keyof typeof comparable][] = [
    ...history.orders
      .filter((_, i) => i % every(history.orders.length) === 0)
      .slice(0, COMPARED)
      .map((o): [string, 'order'] => [`/orders/${o.id}`, 'order']),
    ...history.customers
      .filter((_, i) => i % every(history.customers.length) === 0)
      .slice(0, 5)
      .map((c): [string, 'customerOrders'] => [`/customers/${c.id}/orders?limit=20`, 'customerOrders']),
    ['/stats/sales', 'sales'],
    ['/stats/products/top?limit=10', 'top'],
    ...STATUSES.map((s): [string, 'total'] => [`/search/orders?status=${s}&limit=1`, 'total']),
    ['/search/products?q=RB-00007', 'total'],
  ];
  const problems: string[] = [];
  const unanswered: string[] = [];
  for (const [path, part] of checks) {
    const [gateway, crud] = await Promise.all([
      getJson(endpoints.gateway, path),
      getJson(endpoints.crud, path),
    ]);
    if (crud.status === 503 && gateway.status === 200) {
      unanswered.push(path);
      continue;
    }
    const [g, c] = [gateway, crud].map((a) =>
      a.status === 200
        ? JSON.stringify((comparable[part] as (body: unknown) => unknown)(a.body))
        : `status ${a.status}`,
    );
    if (g !== c) problems.push(`${path}: gateway ${g?.slice(0, 300)}, CRUD ${c?.slice(0, 300)}`);
  }
  return { problems, unanswered };
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Round extends LoadFigures {
  /** CPU time of every process per answer 200, in ms. */
  readonly cpuMsPerRead: number;
  /** The processes that used the most CPU time in the round, in ms per answer 200. */
  readonly cpuMsPerReadBy: Record<string, number>;
}

interface SideFigures {
  readonly okPerSecond: number;
  readonly latencyMs: Latency;
  readonly cpuMsPerRead: number;
  readonly cpuMsPerReadBy: Record<string, number>;
  readonly notOk: number;
  readonly rounds: readonly Round[];
}

interface RouteFigures {
  readonly route: string;
  readonly clients: number;
  readonly gateway: SideFigures;
  readonly crud: SideFigures;
  /** Gateway reads/s over the baseline's. */
  /** Null when the baseline answered nothing in time. */
  readonly ratio: number | null;
}

async function measureRound(
  groups: Record<string, readonly number[]>,
  load: () => Promise<LoadFigures>,
): Promise<Round> {
  const cpu = measureCpuUse(groups);
  const figures = await load();
  const used = cpu();
  // No answer in time: no figure per answer (NaN, written as null).
  const reads = figures.okPerSecond * figures.seconds || NaN;
  const byGroup = { ...used.byGroup, bench: used.bench };
  const total = Object.values(byGroup).reduce((sum, ms) => sum + ms, 0);
  return {
    ...figures,
    cpuMsPerRead: round(total / reads, 3),
    cpuMsPerReadBy: Object.fromEntries(
      Object.entries(byGroup)
        .filter(([, ms]) => ms > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([name, ms]) => [name, round(ms / reads, 3)]),
    ),
  };
}

function summarizeSide(rounds: readonly Round[]): SideFigures {
  const busiest = rounds[0]?.cpuMsPerReadBy ?? {};
  return {
    okPerSecond: round(median(rounds.map((r) => r.okPerSecond))),
    latencyMs: medianLatency(rounds.map((r) => r.latencyMs)),
    cpuMsPerRead: round(median(rounds.map((r) => r.cpuMsPerRead)), 3),
    cpuMsPerReadBy: Object.fromEntries(
      Object.keys(busiest).map((name) => [
        name,
        round(median(rounds.map((r) => r.cpuMsPerReadBy[name] ?? 0)), 3),
      ]),
    ),
    notOk: rounds.reduce((sum, r) => sum + Object.values(r.notOkByStatus).reduce((a, b) => a + b, 0), 0),
    rounds,
  };
}

async function compareRoute(
  endpoints: Record<Side, Endpoint>,
  groups: Record<string, readonly number[]>,
  route: Route,
  clients: number,
): Promise<RouteFigures> {
  const agent = keepAliveAgent(clients);
  const rounds: Record<Side, Round[]> = { gateway: [], crud: [] };
  try {
    const run = (side: Side, seconds: number) =>
      closedLoop({
        agent,
        baseUrl: endpoints[side].url,
        headers: endpoints[side].headers,
        path: route.path,
        clients,
        seconds,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
    for (let i = 0; i < ROUNDS; i++) {
      const order: Side[] = i % 2 === 0 ? ['gateway', 'crud'] : ['crud', 'gateway'];
      for (const side of order) {
        if (i === 0) await run(side, WARM_UP_SECONDS);
        rounds[side].push(await measureRound(groups, () => run(side, ROUND_SECONDS)));
      }
    }
  } finally {
    agent.destroy();
  }
  const gateway = summarizeSide(rounds.gateway);
  const crud = summarizeSide(rounds.crud);
  return {
    route: route.name,
    clients,
    gateway,
    crud,
    ratio: crud.okPerSecond > 0 ? round(gateway.okPerSecond / crud.okPerSecond, 2) : null,
  };
}

interface Overload {
  readonly route: string;
  readonly requests: number;
  readonly okPerSecond: number;
  readonly latencyMs: Latency;
  readonly notOkByStatus: Record<string, number>;
}

async function overload(endpoint: Endpoint, route: Route): Promise<Overload> {
  const agent = keepAliveAgent(OVERLOAD_CLIENTS);
  try {
    const figures = await closedLoop({
      agent,
      baseUrl: endpoint.url,
      headers: endpoint.headers,
      path: route.path,
      clients: OVERLOAD_CLIENTS,
      seconds: OVERLOAD_SECONDS,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    return { route: route.name, ...figures };
  } finally {
    agent.destroy();
  }
}

interface SizeResult {
  readonly orders: number;
  readonly customers: number;
  readonly products: number;
  readonly seedSeconds: number;
  readonly servers: ServerVersions;
  readonly routes: RouteFigures[];
  readonly overload: Overload[];
  /** Questions of the agreement check the CRUD baseline could not answer within its time limit. */
  readonly crudUnanswered: string[];
}

async function measureSize(orders: number): Promise<SizeResult> {
  console.log(`\n${orders} orders: starting the suite and the CRUD baseline`);
  const { suite } = await startSuiteAsNpmStartDoes();
  let baseline: Baseline | undefined;
  try {
    baseline = await startBaseline(suite);
    const { history, seconds } = await seed(suite, orders);
    // The gateway checks a staff token on every read (verified once, then remembered); the
    // baseline, like many CRUD services behind a gateway that authenticates, checks none.
    const endpoints: Record<Side, Endpoint> = {
      gateway: { url: suite.url('query-gateway'), headers: await suite.identity.bearer(['staff']) },
      crud: { url: baseline.url, headers: {} },
    };
    const { problems, unanswered } = await disagreements(endpoints, history);
    for (const path of unanswered)
      console.log(`  the CRUD baseline could not answer ${path} within ${REQUEST_TIMEOUT_MS} ms`);
    if (problems.length > 0)
      throw new Error(`the gateway and the CRUD baseline disagree:\n  ${problems.join('\n  ')}`);
    const groups = { ...pipelineProcessGroups(suite), 'crud-baseline': [baseline.child.pid ?? 0] };
    const figuresByRoute: RouteFigures[] = [];
    // Built once: at a million orders, listing the ids to draw from takes a while.
    const routes = routesOf(history);
    for (const route of routes)
      for (const clients of CLIENTS) {
        const figures = await compareRoute(endpoints, groups, route, clients);
        figuresByRoute.push(figures);
        console.log(
          `  ${route.name} × ${clients}: gateway ${figures.gateway.okPerSecond}/s (p50 ${figures.gateway.latencyMs.p50} ms), ` +
            `CRUD ${figures.crud.okPerSecond}/s (p50 ${figures.crud.latencyMs.p50} ms): ${ratioText(figures.ratio)}`,
        );
      }
    const overloads: Overload[] = [];
    for (const route of routes) {
      const figures = await overload(endpoints.gateway, route);
      overloads.push(figures);
      console.log(
        `  ${route.name} × ${OVERLOAD_CLIENTS} for ${OVERLOAD_SECONDS} s: ${figures.requests} requests, not 200: ${JSON.stringify(figures.notOkByStatus)}`,
      );
    }
    return {
      orders,
      customers: history.customers.length,
      products: history.products.length,
      seedSeconds: seconds,
      servers: await serverVersions(suite),
      routes: figuresByRoute,
      overload: overloads,
      crudUnanswered: unanswered,
    };
  } finally {
    await baseline?.stop();
    await suite.close();
  }
}

const ratioText = (ratio: number | null) =>
  ratio === null ? `CRUD none in ${REQUEST_TIMEOUT_MS / 1_000} s` : `${ratio}×`;

function printSize(result: SizeResult): void {
  console.log(
    `\n${result.orders.toLocaleString('en-US')} orders, ${result.customers.toLocaleString('en-US')} customers, ` +
      `${result.products} products; medians of ${ROUNDS} rounds of ${ROUND_SECONDS} s`,
  );
  console.log(
    table(
      ['route', 'clients', 'gateway/s', 'p50', 'p99', 'CPU ms', 'CRUD/s', 'p50', 'p99', 'CPU ms', 'ratio'],
      result.routes.map((r) => [
        r.route,
        r.clients,
        r.gateway.okPerSecond,
        r.gateway.latencyMs.p50,
        r.gateway.latencyMs.p99,
        r.gateway.cpuMsPerRead,
        r.crud.okPerSecond,
        r.crud.latencyMs.p50,
        r.crud.latencyMs.p99,
        r.crud.cpuMsPerRead,
        ratioText(r.ratio),
      ]),
    ),
  );
  console.log(`  (CPU ms: of every process, per answer 200)`);
  console.log(
    table(
      [
        `gateway, ${OVERLOAD_CLIENTS} clients × ${OVERLOAD_SECONDS} s`,
        'requests',
        'reads/s',
        'p99',
        'not 200',
      ],
      result.overload.map((o) => [
        o.route,
        o.requests,
        o.okPerSecond,
        o.latencyMs.p99,
        JSON.stringify(o.notOkByStatus),
      ]),
    ),
  );
}

async function main(): Promise<void> {
  if (
    [
      ...SIZES,
      ...CLIENTS,
      ROUNDS,
      ROUND_SECONDS,
      OVERLOAD_SECONDS,
      REQUEST_TIMEOUT_MS,
      PRODUCTS,
      ORDERS_PER_CUSTOMER,
    ].some((n) => !(n > 0))
  )
    throw new Error(
      'BENCH_SIZES, BENCH_CLIENTS, BENCH_ROUNDS, BENCH_ROUND_SECONDS, BENCH_OVERLOAD_SECONDS, BENCH_REQUEST_TIMEOUT_MS, BENCH_PRODUCTS and BENCH_ORDERS_PER_CUSTOMER must be positive',
    );
  if (!(DAYS >= 7)) throw new Error(`BENCH_DAYS must be at least 7, got ${DAYS}`);
  prepareBenchmark();
  const date = new Date().toISOString();
  const machine = describeMachine();
  const sizes: SizeResult[] = [];
  // Written again after each size: a size that fails later (a million orders) keeps the others.
  const record = () =>
    writeResults('vs-crud', date, {
      date,
      settings: {
        ordersPerCustomer: ORDERS_PER_CUSTOMER,
        products: PRODUCTS,
        days: DAYS,
        seed: SEED,
        clients: CLIENTS,
        rounds: ROUNDS,
        roundSeconds: ROUND_SECONDS,
        overloadSeconds: OVERLOAD_SECONDS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        tracing: {
          sampler: process.env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
          ratio: process.env.OTEL_TRACES_SAMPLER_ARG ?? '1',
        },
      },
      machine: { ...machine, loadAverageAtEnd: describeMachine().loadAverage },
      note:
        'reads/s: answers 200 per second, median of the rounds; ratio: gateway over CRUD. CPU ms: utime+stime of ' +
        'every process (suite services, stack servers, CRUD baseline, load generator) per answer 200. ' +
        'Both sides share the machine with everything else; see bench/src/vs-crud.ts.',
      sizes,
    });
  for (const orders of SIZES) {
    const result = await measureSize(orders);
    printSize(result);
    sizes.push(result);
    record();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
