// Rebuild benchmark: how fast each projection is rebuilt from the Kafka topics into a new read
// model version (`cqrs projections rebuild`), alone and all three at once, how long its switch to
// live takes, and, as a yardstick, how fast the live projectors took in the same history, against
// the local stack.
//   npm run bench:rebuild    (BENCH_RUNS=3; BENCH_RUNS=1 for a quick run)
// The data set: BENCH_CUSTOMERS=2000, BENCH_PRODUCTS=500, BENCH_ORDERS=24000 over the last
// BENCH_DAYS=14 days, drawn from BENCH_SEED=1 (the same seed gives the same history); about
// 109,000 events. BENCH_MIN_EVENTS=100000: fewer events are refused (fixed costs would dominate
// the figures), so a smaller data set for trying the benchmark out needs it lowered too.
// BENCH_REBUILD_TIMEOUT_MS=1800000 per rebuild command, BENCH_CATCH_UP_TIMEOUT_MS=1800000 for the
// live projectors to take in the seeded history.
//
// Method. It starts the whole suite (command service, relay, three projectors, gateway) on stores
// and topics of its own, and writes a shop's history straight into the suite's event topics with
// one idempotent Kafka producer (batches of 1,000 events, acks from all replicas; kit/topics.ts), as the
// relay would have published it: customers registered, products added (some repriced later),
// orders placed with 1–3 lines of existing products at their price at the time (one
// StockReserved per line, a ProductRestocked first when the stock would not cover it), and then,
// by a fate drawn per order, left placed (10 %), paid (30 %), paid and shipped (40 %), cancelled
// (10 %) or paid and cancelled with a refund (10 %; StockReleased per line). Aggregate versions
// are consecutive, times spread over the window in order, channels varied. The count of events on
// each topic is read back from Kafka and must equal what was written.
// Meanwhile the live projectors project it; the time from the first event written until each has
// committed every event on its topics is the live catch-up figure (events on its topics / that
// time): a projector taking in a backlog while the others do the same.
// Then, BENCH_RUNS times: `cqrs projections rebuild <name> --json --drop-previous` for each
// projection alone, then `rebuild all` (all three in one command, at once). From each result line
// (see packages/projector/src/rebuild.ts):
//   events         events the rebuild applied (its consumer group's positions, start to end)
//   replaySeconds  from the start of the replay until it was at most --max-lag (100) events
//                  behind the head: the figure events/s is taken from (events / replaySeconds)
//   switchMs       from then: pointer moved, the live projector joined the new version's group,
//                  the rebuild let go (it applies on meanwhile, so nothing stands still)
// For `all` also the command's wall time, and the combined rate: the three projections' events
// / wall seconds (which includes the command's start, the switches and dropping the previous
// versions). Every command must end with each projection `switched`, `handedOver`, with events
// no more than 100 short of the events on its topics (it lets go once the live projector has
// joined; what it had not applied by then, the live projector applies: recorded as
// leftToLiveProjector); then the live projectors must have applied everything on the new
// versions, and the gateway must answer from them what was seeded (order counts by
// status, revenue and refunds, search totals, a sample of orders) and no projector may report a
// parked aggregate (an event it could not apply); otherwise it fails loudly,
// printing the command's output and `cqrs projections list`.
// With every command: the machine's CPU use while it ran and the busiest processes (Linux /proc;
// the rebuild command's own use counted when it has ended), since the suite's services, the
// servers and whatever else runs share the machine (other processes go by their command name;
// Node's is MainThread). Medians over the runs are reported with the lowest and highest run;
// bench/results/rebuild-<time>.json has every run's figures.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AggregateType, type EventType, eventTopics } from '@cqrs-shop/events';
import type { RebuildResult } from '@cqrs-shop/projector';
import { repoRoot, type RunningSuite, stackEnv, startSuite, SUITE_SERVICES } from '@cqrs-shop/testing';
import { PROJECTION_NAMES, type ProjectionName, projectorOf } from '@cqrs-shop/service-registry';
import { Kafka, logLevel } from 'kafkajs';
import {
  DAY,
  Dice,
  type Expected,
  HOUR,
  type SeededEvent,
  ShopHistory,
  type Status,
  STATUSES,
} from './kit/history.js';
import { produceEvents } from './kit/topics.js';
import {
  cpuBusySince,
  type CpuByProcess,
  cpuTimes,
  describeMachine,
  endedChildrenCpuTicks,
  measureCpu,
} from './machine.js';
import { median, round } from './stats.js';

// The machine is shared and noisy: every rebuild runs this many times and medians are reported.
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2_000);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 500);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 24_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 14);
const SEED = process.env.BENCH_SEED ?? '1';
const MIN_EVENTS = Number(process.env.BENCH_MIN_EVENTS ?? 100_000);
const REBUILD_TIMEOUT_MS = Number(process.env.BENCH_REBUILD_TIMEOUT_MS ?? 30 * 60_000);
const CATCH_UP_TIMEOUT_MS = Number(process.env.BENCH_CATCH_UP_TIMEOUT_MS ?? 30 * 60_000);
/** Orders whose read-model documents are compared with the seed after every rebuild. */
const SAMPLED_ORDERS = 25;
/** How long the gateway may take to answer from a new version (its pointer cache, search refresh). */
const CHECK_TIMEOUT_MS = 30_000;
/**
 * The rebuild switches once at most this many events behind (the CLI's default --max-lag) and lets
 * go once the live projector has joined; events it has not applied by then are the live projector's.
 */
const SWITCH_LAG = 100;

const PROJECTIONS = PROJECTION_NAMES;
/** The service that keeps a read model. */
const projectorNamed = (name: ProjectionName) => projectorOf(name).name;
const CLI = join(repoRoot, 'tools/cqrs/dist/cli.js');

// ---------------------------------------------------------------------------------------------
// The seeded history

interface DataSet {
  readonly customers: number;
  readonly products: number;
  readonly orders: number;
  readonly days: number;
  readonly seed: string;
  readonly from: string;
  readonly to: string;
  readonly eventsByTopic: Record<AggregateType, number>;
  readonly eventsByType: Partial<Record<EventType, number>>;
  readonly totalEvents: number;
  /** The events on each projection's topics. */
  readonly eventsByProjection: Record<ProjectionName, number>;
  readonly expected: Expected;
}

const countBy = <K extends string>(items: readonly SeededEvent[], key: (event: SeededEvent) => K) => {
  const counts: Partial<Record<K, number>> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

/** Events on each of the suite's topics, as Kafka counts them. */
async function eventsOnTopics(suite: RunningSuite): Promise<Record<AggregateType, number>> {
  const topics = eventTopics(suite.names.topicPrefix);
  const kafka = new Kafka({
    brokers: (suite.env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const count = async (topic: string) =>
      (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    return {
      customer: await count(topics.customer),
      product: await count(topics.product),
      order: await count(topics.order),
    };
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The live projectors taking in the seeded history

interface LiveFigures {
  /** Events on the projection's topics. */
  events: number;
  /** From the first event written until its live group had committed every one. */
  seconds: number;
  eventsPerSecond: number;
}

interface Seeding {
  /** Writing every event into the topics. */
  produceSeconds: number;
  producedPerSecond: number;
  live: Record<ProjectionName, LiveFigures>;
  /** While the live projectors took in the history. */
  machineCpuBusyPercent: number;
  cpuByProcess: CpuByProcess;
}

/** Every 30 s, how far behind each projection is, as the gateway reports it; until stopped. */
function reportLagEvery30s(suite: RunningSuite): { stop(): Promise<void> } {
  const started = performance.now();
  const stopping = new AbortController();
  const loop = (async () => {
    for (;;) {
      try {
        await sleep(30_000, undefined, { signal: stopping.signal });
      } catch {
        return; // stopped
      }
      const answer = await suite
        .ops<{ projections: { name: string; lagEvents: number | null }[] }>('/projections')
        .catch(() => undefined);
      const lag =
        answer?.status === 200
          ? answer.body.projections.map((p) => `${p.name} ${String(p.lagEvents)}`)
          : [`unknown (${String(answer?.status)})`];
      console.log(`  ${round((performance.now() - started) / 1_000, 0)} s; events behind: ${lag.join(', ')}`);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}

/** The figures of a history: its events by topic and type, and what the read models should show. */
function describeDataSet(
  history: ShopHistory,
  events: readonly SeededEvent[],
  from: number,
  to: number,
): DataSet {
  const eventsByTopic: Record<AggregateType, number> = {
    customer: 0,
    product: 0,
    order: 0,
    ...countBy(events, (e) => e.aggregate),
  };
  const onProjectionTopics = (name: ProjectionName) =>
    projectorOf(name).projection.reads.reduce((sum, aggregate) => sum + eventsByTopic[aggregate], 0);
  return {
    customers: CUSTOMERS,
    products: PRODUCTS,
    orders: ORDERS,
    days: DAYS,
    seed: SEED,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    eventsByTopic,
    eventsByType: countBy(events, (e) => e.type),
    totalEvents: events.length,
    eventsByProjection: {
      'order-history': onProjectionTopics('order-history'),
      search: onProjectionTopics('search'),
      analytics: onProjectionTopics('analytics'),
    },
    expected: history.expected(SAMPLED_ORDERS),
  };
}

/** Waits for each live projector to have committed every event on its topics; its figures. */
async function awaitLiveProjectors(
  suite: RunningSuite,
  dataSet: DataSet,
  writingStarted: number,
): Promise<Record<ProjectionName, LiveFigures>> {
  const lag = reportLagEvery30s(suite);
  try {
    const figures = await Promise.all(
      PROJECTIONS.map(async (name): Promise<[ProjectionName, LiveFigures]> => {
        await suite.caughtUp([projectorNamed(name)], CATCH_UP_TIMEOUT_MS);
        const seconds = (performance.now() - writingStarted) / 1_000;
        const events = dataSet.eventsByProjection[name];
        return [name, { events, seconds: round(seconds), eventsPerSecond: Math.round(events / seconds) }];
      }),
    );
    return Object.fromEntries(figures) as Record<ProjectionName, LiveFigures>;
  } finally {
    await lag.stop();
  }
}

/**
 * Writes the shop's history into the suite's topics, checks Kafka holds exactly that, and waits
 * for the live projectors to take it all in.
 */
async function seed(suite: RunningSuite): Promise<{ dataSet: DataSet; seeding: Seeding }> {
  // Orders are placed until 4 days before the end, after the first 3 % of the window.
  if (!(DAYS >= 7)) throw new Error(`BENCH_DAYS must be at least 7, got ${DAYS}`);
  const to = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const from = to - DAYS * DAY;
  const history = new ShopHistory(new Dice(SEED), {
    customers: CUSTOMERS,
    products: PRODUCTS,
    orders: ORDERS,
    start: from,
    end: to,
  }).plan();
  const events = [...history.events()];
  const dataSet = describeDataSet(history, events, from, to);
  if (dataSet.totalEvents < MIN_EVENTS)
    throw new Error(
      `the data set has ${dataSet.totalEvents} events, fewer than BENCH_MIN_EVENTS=${MIN_EVENTS}: raise BENCH_ORDERS`,
    );

  const cpu = cpuTimes();
  const cpuByProcess = measureCpu(suite);
  const started = performance.now();
  await produceEvents(suite, events);
  const produceSeconds = (performance.now() - started) / 1_000;
  console.log(
    `wrote ${dataSet.totalEvents} events in ${round(produceSeconds)} s; the live projectors are taking them in`,
  );
  const onTopics = await eventsOnTopics(suite);
  for (const aggregate of ['customer', 'product', 'order'] as const)
    if (onTopics[aggregate] !== dataSet.eventsByTopic[aggregate])
      throw new Error(
        `the ${aggregate} topic holds ${onTopics[aggregate]} events, ${dataSet.eventsByTopic[aggregate]} were written`,
      );
  const live = await awaitLiveProjectors(suite, dataSet, started);
  return {
    dataSet,
    seeding: {
      produceSeconds: round(produceSeconds),
      producedPerSecond: Math.round(dataSet.totalEvents / produceSeconds),
      live,
      machineCpuBusyPercent: cpuBusySince(cpu),
      cpuByProcess: cpuByProcess(),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rebuilds

/** A `{"type":"result"}` line of `cqrs projections rebuild --json`. */
type ResultLine = RebuildResult & { readonly type: 'result'; readonly name: ProjectionName };

/** One projection in one rebuild command. */
interface ProjectionRebuild {
  name: ProjectionName;
  version: number;
  previousVersion: number | null;
  events: number;
  replaySeconds: number;
  eventsPerSecond: number;
  switchMs: number;
  handedOver: boolean;
  /** Events on its topics the rebuild had not applied when it let go (at most SWITCH_LAG). */
  leftToLiveProjector: number;
  droppedPrevious: boolean;
  warnings: readonly string[];
}

/** One rebuild command: one projection, or all three at once. */
interface CommandRun {
  command: string;
  /** From starting the command until it ended. */
  wallSeconds: number;
  /** The projections' events together / wallSeconds. */
  eventsPerSecond: number;
  machineCpuBusyPercent: number;
  /** The busiest processes; the command itself as `cqrs (rebuild command)`. */
  cpuByProcess: CpuByProcess;
  loadAverage1m: number;
  projections: ProjectionRebuild[];
}

interface Run {
  alone: CommandRun[];
  all: CommandRun;
}

/** What a run of the CLI printed and how it ended. */
interface CliOutcome {
  /** Stopped by this benchmark after its time limit. */
  readonly timedOut: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: readonly Record<string, unknown>[];
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `cqrs` command against the suite's stores and topics; ends it after `timeoutMs`. */
async function cli(suite: RunningSuite, args: readonly string[], timeoutMs: number): Promise<CliOutcome> {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...suite.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The first SIGTERM stops a rebuild cleanly (resumable), which is enough to end a stuck one.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      resolve([exitCode, exitSignal]);
    });
  }).finally(() => {
    clearTimeout(timer);
  });
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { timedOut, code, signal, lines, stdout, stderr };
}

/** A rebuild command that did not do what it should; says what it printed. */
class RebuildFailed extends Error {
  override readonly name = 'RebuildFailed';
}

function describeFailure(command: string, outcome: CliOutcome, problem: string): string {
  const printed = outcome.stdout
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('{"type":"progress"'));
  const progress = outcome.stdout.split('\n').filter((line) => line.startsWith('{"type":"progress"'));
  return [
    `${command}: ${problem}`,
    `exit status ${String(outcome.code)}${outcome.signal ? ` (${outcome.signal})` : ''}`,
    `last progress line: ${progress[progress.length - 1] ?? '(none)'}`,
    `other stdout:\n${printed.slice(-20).join('\n')}`,
    `stderr (tail):\n${outcome.stderr.slice(-4_000)}`,
  ].join('\n');
}

/**
 * Runs one rebuild command (one projection, or `all`), measuring the machine meanwhile, and
 * checks that every projection switched, was handed over and applied at least its topics' events.
 */
async function rebuild(
  suite: RunningSuite,
  target: ProjectionName | 'all',
  dataSet: DataSet,
): Promise<CommandRun> {
  const args = ['projections', 'rebuild', target, '--json', '--drop-previous'];
  const command = args.join(' ');
  const names = target === 'all' ? [...PROJECTIONS] : [target];
  const cpu = cpuTimes();
  const cpuByProcess = measureCpu(suite);
  const childTicks = endedChildrenCpuTicks();
  const started = performance.now();
  const outcome = await cli(suite, args, REBUILD_TIMEOUT_MS);
  const wallSeconds = (performance.now() - started) / 1_000;
  const machineCpuBusyPercent = cpuBusySince(cpu);
  const busiest = {
    'cqrs (rebuild command)': round((endedChildrenCpuTicks() - childTicks) / wallSeconds, 0),
    ...cpuByProcess(),
  };

  const fail = (problem: string) => new RebuildFailed(describeFailure(command, outcome, problem));
  if (outcome.timedOut) throw fail(`did not end within ${REBUILD_TIMEOUT_MS} ms; stopped`);
  // 130: it stopped on SIGINT or SIGTERM, which this benchmark sends only on its time limit.
  if (outcome.code === 130) throw fail('was interrupted by a signal from outside this benchmark');
  if (outcome.code !== 0) throw fail('did not succeed');
  const results = outcome.lines.filter(
    (line): line is ResultLine & Record<string, unknown> => line.type === 'result',
  );
  const projections = names.map((name): ProjectionRebuild => {
    const result = results.find((r) => r.name === name);
    if (!result) throw fail(`no result for ${name}`);
    if (result.outcome !== 'switched') throw fail(`${name} ended ${result.outcome}, not switched`);
    if (result.handedOver !== true || result.switchMs === null)
      throw fail(
        `${name}: the live projector did not take over the new version (handedOver ${String(result.handedOver)})`,
      );
    const onTopics = dataSet.eventsByProjection[name];
    if (result.events < onTopics - SWITCH_LAG || result.events > onTopics)
      throw fail(`${name} applied ${result.events} events, its topics hold ${onTopics}`);
    const {
      version,
      previousVersion,
      events,
      replaySeconds,
      eventsPerSecond,
      switchMs,
      droppedPrevious,
      warnings,
    } = result;
    return {
      name,
      version,
      previousVersion,
      events,
      replaySeconds,
      eventsPerSecond,
      switchMs,
      handedOver: true,
      leftToLiveProjector: onTopics - events,
      droppedPrevious,
      warnings,
    };
  });
  return {
    command,
    wallSeconds: round(wallSeconds, 2),
    eventsPerSecond: Math.round(projections.reduce((sum, p) => sum + p.events, 0) / wallSeconds),
    machineCpuBusyPercent,
    cpuByProcess: busiest,
    loadAverage1m: describeMachine().loadAverage[0] ?? 0,
    projections,
  };
}

// ---------------------------------------------------------------------------------------------
// Checking what the gateway answers from the rebuilt versions

interface Sales {
  ordersPlaced: number;
  ordersByStatus: Record<Status, number>;
  grossRevenueCents: number;
  refundedCents: number;
}

/** Where the gateway's answers differ from the seeded history; empty when they agree. */
async function readModelProblems(
  suite: RunningSuite,
  expected: Expected,
  liveVersions: Partial<Record<ProjectionName, number>>,
): Promise<string[]> {
  const problems: string[] = [];
  const differs = (what: string, got: unknown, want: unknown) => {
    if (got !== want) problems.push(`${what}: ${String(got)}, seeded ${String(want)}`);
  };
  const status = await suite.ops<{ projections: { name: string; liveVersion: number | null }[] }>(
    '/projections',
  );
  for (const [name, version] of Object.entries(liveVersions))
    differs(
      `${name} live version (gateway)`,
      status.body.projections.find((p) => p.name === name)?.liveVersion,
      version,
    );

  const sales = await suite.query<Sales>('/stats/sales');
  differs('analytics ordersPlaced', sales.body.ordersPlaced, expected.orders);
  for (const s of STATUSES) differs(`analytics ${s}`, sales.body.ordersByStatus[s], expected.byStatus[s]);
  differs('analytics grossRevenueCents', sales.body.grossRevenueCents, expected.grossRevenueCents);
  differs('analytics refundedCents', sales.body.refundedCents, expected.refundedCents);

  const total = async (path: string) => (await suite.query<{ total: number }>(path)).body.total;
  differs('search orders', await total('/search/orders?limit=1'), expected.orders);
  for (const s of STATUSES)
    differs(`search ${s} orders`, await total(`/search/orders?status=${s}&limit=1`), expected.byStatus[s]);
  differs('search products', await total('/search/products?limit=1'), expected.products);

  for (const name of PROJECTIONS) problems.push(...(await parkedAggregates(suite, name)));

  for (const order of expected.sampledOrders) {
    const answer = await suite.query<{ status: Status; version: number }>(`/orders/${order.id}`);
    differs(
      `order-history order ${order.id}`,
      `${answer.status} ${answer.body.status} v${answer.body.version}`,
      `200 ${order.status} v${order.version}`,
    );
  }
  return problems;
}

/**
 * Aggregates parked in the projection's live version, as its projector reports them: events that
 * could not be applied (the sampled orders above would rarely show one).
 */
async function parkedAggregates(suite: RunningSuite, name: ProjectionName): Promise<string[]> {
  const answer = await suite.send<{
    version: number | null;
    parked: { aggregateKey: string; reason: string }[] | null;
    parkedError?: string;
  }>(projectorNamed(name), 'GET', '/projection');
  const { version, parked, parkedError } = answer.body;
  if (parked === null) return [`${name}: parked aggregates not readable: ${String(parkedError)}`];
  return parked.map((p) => `${name} v${String(version)}: ${p.aggregateKey} parked: ${p.reason}`);
}

/** Asks until the gateway agrees with the seed, for up to CHECK_TIMEOUT_MS; the last problems. */
async function awaitReadModels(
  suite: RunningSuite,
  expected: Expected,
  liveVersions: Partial<Record<ProjectionName, number>> = {},
): Promise<string[]> {
  const deadline = performance.now() + CHECK_TIMEOUT_MS;
  for (;;) {
    const problems = await readModelProblems(suite, expected, liveVersions);
    if (problems.length === 0 || performance.now() >= deadline) return problems;
    await sleep(500);
  }
}

/**
 * After a rebuild command: the live projectors have applied every event on the new versions,
 * and the gateway answers from them what was seeded (problems the live-built versions had too
 * are not the rebuild's).
 */
async function checkRebuilt(
  suite: RunningSuite,
  run: CommandRun,
  dataSet: DataSet,
  known: readonly string[],
): Promise<void> {
  await suite.caughtUp(
    run.projections.map((p) => projectorNamed(p.name)),
    CATCH_UP_TIMEOUT_MS,
  );
  const versions = Object.fromEntries(run.projections.map((p) => [p.name, p.version]));
  const problems = (await awaitReadModels(suite, dataSet.expected, versions)).filter(
    (p) => !known.includes(p),
  );
  if (problems.length > 0)
    throw new RebuildFailed(
      `${run.command}: the rebuilt read models differ from the seed:\n  ${problems.join('\n  ')}`,
    );
}

// ---------------------------------------------------------------------------------------------
// Figures

/** A figure over the runs: its median, and the lowest and highest run. */
interface Spread {
  median: number;
  min: number;
  max: number;
}

const spread = (values: readonly number[]): Spread => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
});

interface ProjectionSummary {
  events: number;
  eventsPerSecond: Spread;
  replaySeconds: Spread;
  switchMs: Spread;
}

interface Summary {
  /** Each projection rebuilt alone; with the command's wall time and the machine's CPU use. */
  alone: Record<ProjectionName, ProjectionSummary & { wallSeconds: Spread; machineCpuBusyPercent: Spread }>;
  /** Each projection within `rebuild all`. */
  inAll: Record<ProjectionName, ProjectionSummary>;
  all: { events: number; wallSeconds: Spread; eventsPerSecond: Spread; machineCpuBusyPercent: Spread };
}

function summarizeProjection(rebuilds: readonly ProjectionRebuild[]): ProjectionSummary {
  return {
    events: median(rebuilds.map((r) => r.events)),
    eventsPerSecond: spread(rebuilds.map((r) => r.eventsPerSecond)),
    replaySeconds: spread(rebuilds.map((r) => r.replaySeconds)),
    switchMs: spread(rebuilds.map((r) => r.switchMs)),
  };
}

function summarize(runs: readonly Run[]): Summary {
  const aloneRun = (run: Run, name: ProjectionName) =>
    run.alone.find((c) => c.projections[0]?.name === name) as CommandRun;
  const projection = (command: CommandRun, name: ProjectionName) =>
    command.projections.find((p) => p.name === name) as ProjectionRebuild;
  const byName = <T>(make: (name: ProjectionName) => T) =>
    Object.fromEntries(PROJECTIONS.map((name) => [name, make(name)])) as Record<ProjectionName, T>;
  return {
    alone: byName((name) => {
      const commands = runs.map((run) => aloneRun(run, name));
      return {
        ...summarizeProjection(commands.map((c) => projection(c, name))),
        wallSeconds: spread(commands.map((c) => c.wallSeconds)),
        machineCpuBusyPercent: spread(commands.map((c) => c.machineCpuBusyPercent)),
      };
    }),
    inAll: byName((name) => summarizeProjection(runs.map((run) => projection(run.all, name)))),
    all: {
      events: median(runs.map((run) => run.all.projections.reduce((sum, p) => sum + p.events, 0))),
      wallSeconds: spread(runs.map((run) => run.all.wallSeconds)),
      eventsPerSecond: spread(runs.map((run) => run.all.eventsPerSecond)),
      machineCpuBusyPercent: spread(runs.map((run) => run.all.machineCpuBusyPercent)),
    },
  };
}

const thousands = (n: number) => n.toLocaleString('en-US');
/** `2,345 (2,100–2,500)`, or the median alone when every run gave the same. */
const spreadCell = ({ median: m, min, max }: Spread, format: (n: number) => string = thousands): string =>
  min === max ? format(m) : `${format(m)} (${format(min)}–${format(max)})`;

function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, column) =>
    Math.max(h.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')}`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function printSummary(summary: Summary, seeding: Seeding, runCount: number): void {
  console.log(
    `\nRebuild figures, median (lowest–highest) of ${runCount} run${runCount === 1 ? '' : 's'}; ` +
      'live: the live projector taking in the seeded history',
  );
  const rows: string[][] = [];
  for (const name of PROJECTIONS) {
    const alone = summary.alone[name];
    const inAll = summary.inAll[name];
    const live = seeding.live[name];
    const tenths = (n: number) => n.toFixed(1);
    rows.push([
      name,
      'alone',
      thousands(alone.events),
      spreadCell(alone.eventsPerSecond),
      spreadCell(alone.replaySeconds, tenths),
      spreadCell(alone.switchMs),
      spreadCell(alone.machineCpuBusyPercent, tenths),
    ]);
    rows.push([
      '',
      'in all',
      thousands(inAll.events),
      spreadCell(inAll.eventsPerSecond),
      spreadCell(inAll.replaySeconds, tenths),
      spreadCell(inAll.switchMs),
      '',
    ]);
    rows.push([
      '',
      'live',
      thousands(live.events),
      thousands(live.eventsPerSecond),
      tenths(live.seconds),
      '-',
      '',
    ]);
  }
  console.log(
    formatTable(['projection', 'mode', 'events', 'events/s', 'replay s', 'switch ms', 'cpu %'], rows),
  );
  const { all } = summary;
  console.log(
    `  all three at once: ${thousands(all.events)} events, command ${spreadCell(all.wallSeconds, (n) => n.toFixed(1))} s, ` +
      `${spreadCell(all.eventsPerSecond)} events/s combined, machine cpu ${spreadCell(all.machineCpuBusyPercent, (n) => n.toFixed(1))} %`,
  );
  console.log(
    '  replay s: until at most 100 events behind; switch ms: from then until the live projector had taken over; ' +
      'cpu %: the whole machine while the command ran (alone); live: from the first event written until caught up',
  );
}

function printCommand(title: string, run: CommandRun): void {
  const parts = run.projections.map((p) =>
    [
      `${p.name} v${p.previousVersion ?? '?'}→v${p.version}: ${thousands(p.events)} events in ${p.replaySeconds} s`,
      ` (${thousands(p.eventsPerSecond)}/s), switch ${thousands(p.switchMs)} ms`,
      p.leftToLiveProjector > 0 ? ` (${p.leftToLiveProjector} events left to the live projector)` : '',
      p.droppedPrevious ? '' : `, v${p.previousVersion ?? '?'} NOT dropped`,
      p.warnings.length > 0 ? `, warnings: ${p.warnings.join('; ')}` : '',
    ].join(''),
  );
  const busiest = Object.entries(run.cpuByProcess)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, percent]) => `${name} ${percent}`)
    .join(', ');
  console.log(`${title}: ${parts.join('; ')}`);
  console.log(
    `  command ${run.wallSeconds} s (${thousands(run.eventsPerSecond)} events/s), machine cpu ${run.machineCpuBusyPercent} %, ` +
      `load ${run.loadAverage1m}; busiest (% of one core): ${busiest}`,
  );
}

// ---------------------------------------------------------------------------------------------

/**
 * Rejects as soon as one of the suite's services ends (or was never started): every wait for the
 * projectors would otherwise run into its timeout. Says how each service stands.
 */
async function anyServiceExit(suite: RunningSuite): Promise<never> {
  const exits = SUITE_SERVICES.map(async (service) => ({
    service,
    ...(await (suite.process(service)?.exited ?? Promise.resolve({ code: null, signal: null }))),
  }));
  const first = await Promise.race(exits);
  const states = SUITE_SERVICES.map((service) => {
    const child = suite.process(service)?.child;
    if (!child) return `${service} not started`;
    if (child.exitCode === null && child.signalCode === null) return `${service} running`;
    return `${service} exited (status ${String(child.exitCode)}, signal ${String(child.signalCode)})`;
  });
  throw new Error(`${first.service} ended while the benchmark ran: ${states.join('; ')}`);
}

/** Seeds the suite, rebuilds BENCH_RUNS times, prints the figures and writes the results file. */
async function benchmark(
  suite: RunningSuite,
  machineAtStart: ReturnType<typeof describeMachine>,
): Promise<void> {
  const benchStarted = performance.now();
  const { dataSet, seeding } = await seed(suite);
  const byTopic = Object.entries(dataSet.eventsByTopic).map(([topic, n]) => `${topic} ${thousands(n)}`);
  console.log(
    `seeded ${thousands(dataSet.totalEvents)} events (${byTopic.join(', ')}): ${CUSTOMERS} customers, ` +
      `${PRODUCTS} products, ${ORDERS} orders over ${DAYS} days; by type: ${JSON.stringify(dataSet.eventsByType)}`,
  );
  for (const name of PROJECTIONS) {
    const live = seeding.live[name];
    console.log(
      `  live ${name}: ${thousands(live.events)} events in ${live.seconds} s (${thousands(live.eventsPerSecond)}/s)`,
    );
  }
  // The live-built versions show whether the seed is what the projections expect.
  const seedProblems = await awaitReadModels(suite, dataSet.expected);
  for (const problem of seedProblems)
    console.log(`WARNING: the live read models differ from the seed: ${problem}`);

  const runs: Run[] = [];
  for (let n = 1; n <= RUNS; n++) {
    const alone: CommandRun[] = [];
    for (const name of PROJECTIONS) {
      const run = await rebuild(suite, name, dataSet);
      printCommand(`run ${n}/${RUNS}, ${name} alone`, run);
      await checkRebuilt(suite, run, dataSet, seedProblems);
      alone.push(run);
    }
    const all = await rebuild(suite, 'all', dataSet);
    printCommand(`run ${n}/${RUNS}, all at once`, all);
    await checkRebuilt(suite, all, dataSet, seedProblems);
    runs.push({ alone, all });
  }
  const summary = summarize(runs);
  printSummary(summary, seeding, RUNS);

  const date = new Date().toISOString();
  const results = {
    benchmark: 'rebuild',
    date,
    settings: {
      runCount: RUNS,
      commands: [
        'projections rebuild <name> --json --drop-previous',
        'projections rebuild all --json --drop-previous',
      ],
      rebuildTimeoutMs: REBUILD_TIMEOUT_MS,
    },
    machine: { ...machineAtStart, loadAverageAtEnd: describeMachine().loadAverage },
    dataSet: {
      ...dataSet,
      expected: { ...dataSet.expected, sampledOrders: dataSet.expected.sampledOrders.length },
    },
    seeding: { ...seeding, readModelProblems: seedProblems },
    note:
      'events/s = events / replaySeconds (start of the replay until at most 100 events behind); switchMs: from ' +
      'then until the live projector had joined the new version and the rebuild let go; all.eventsPerSecond: the ' +
      'three projections’ events / the command’s wall time; live: events on the projection’s topics / time from ' +
      'the first event written until its live group had committed all. Machine shared with the suite’s services, ' +
      'the servers and other work (see cpuByProcess). See bench/src/rebuild.ts.',
    totalSeconds: round((performance.now() - benchStarted) / 1_000),
    summary,
    runs,
  };
  const file = `bench/results/rebuild-${date.replace(/[:.]/g, '-')}.json`;
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(join(repoRoot, file), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to ${file}`);
}

async function main(): Promise<void> {
  Object.assign(process.env, stackEnv());
  const machineAtStart = describeMachine();
  const suite = await startSuite();
  const serviceExit = anyServiceExit(suite);
  // Also rejects when close() stops the services.
  serviceExit.catch(() => undefined);
  try {
    await Promise.race([benchmark(suite, machineAtStart), serviceExit]);
  } catch (error) {
    // The versions as the CLI sees them, for the cause of a failed rebuild.
    const listed = await cli(suite, ['projections', 'list'], 60_000).catch(() => undefined);
    console.error(`--- cqrs projections list:\n${listed?.stdout ?? ''}${listed?.stderr ?? ''}`);
    for (const name of PROJECTIONS)
      console.error(
        `--- ${projectorNamed(name)}, last output:\n${suite.process(projectorNamed(name))?.output().slice(-3_000) ?? ''}`,
      );
    throw error;
  } finally {
    await suite.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof RebuildFailed ? error.message : error);
  // The suite is closed; waits still pending (for services that ended, say) must not keep it open.
  process.exit(1);
});
