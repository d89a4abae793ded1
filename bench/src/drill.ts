// Failure drills: every server of the local stack and every service of the suite killed under a
// steady load, kept down, started again — and what that cost.
//   npm run drill    (DRILL_TARGETS=all, DRILL_ROUNDS=3, DRILL_DOWN_SECONDS=10, DRILL_CLIENTS=4,
//                     DRILL_PAUSE_MS=50, DRILL_RECOVERY_TIMEOUT_SECONDS=120)
// DRILL_TARGETS takes a comma-separated list of: kafka, mariadb, postgres, ferretdb, elasticsearch,
// redis, command-service, outbox-relay, projector-order-history, projector-search,
// projector-analytics, query-gateway.
//
// Method. It starts the whole suite as `npm start` runs it (as bench:pipeline does), on stores and
// topics of its own, removed afterwards, and keeps DRILL_CLIENTS clients sending order lifecycles
// (place, then pay or cancel, then ship or cancel), each pausing DRILL_PAUSE_MS after an answer;
// a refused command is counted by status and the client goes on. For each target, DRILL_ROUNDS
// times in a row:
//   kill       SIGKILL of the target and every process under it (a server's launcher and its
//              workers, PostgreSQL's backends).
//   down       DRILL_DOWN_SECONDS, while `GET /projections` is sampled every 500 ms.
//   restart    the server through `infra/local/stack up <server>` (which returns once it answers)
//              or the service as the suite starts it (once its /healthz answers).
//   recovery   from then until a sample shows the outbox counted with nothing older than 1 s
//              waiting, and every projection healthy with at most 1 s of lag: back to fresh,
//              under the load. Bounded by DRILL_RECOVERY_TIMEOUT_SECONDS.
//   check      the load paused: the outbox published and every projector caught up, then the
//              convergence checker (every read model against the write model: nothing lost,
//              nothing applied twice; a difference is this round's when no earlier round left it)
//              and the analytics counters against MySQL's counts exactly;
//              every service of the suite still the process it was (none exited by itself).
//   truth      whether any sample taken from 5 s after the kill until the restart claimed the
//              pipeline fresh (outbox empty and every projection healthy at lag 0) while commands
//              were being accepted and the target is on the events' way (the gateway itself aside).
// It prints a table and writes bench/results/drill-<time>.json.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  killStackServer,
  repoRoot,
  type RunningSuite,
  stackEnv,
  startStackServer,
  startSuite,
  SUITE_SERVICES,
  type SuiteService,
} from '@cqrs-shop/testing';
import { describeMachine } from './machine.js';
import { round, table } from './stats.js';

const SERVERS = ['kafka', 'mariadb', 'postgres', 'ferretdb', 'elasticsearch', 'redis'] as const;
type Server = (typeof SERVERS)[number];
type Target = Server | SuiteService;
const ALL_TARGETS: readonly Target[] = [...SERVERS, ...SUITE_SERVICES];
/** The stack's name for a server, where it differs. */
const STACK_NAME: Record<Server, string> = {
  kafka: 'kafka',
  mariadb: 'mariadb',
  postgres: 'postgres',
  ferretdb: 'mongodb',
  elasticsearch: 'elasticsearch',
  redis: 'redis',
};

const TARGETS =
  (process.env.DRILL_TARGETS ?? 'all') === 'all'
    ? ALL_TARGETS
    : parseTargets(process.env.DRILL_TARGETS ?? '');
const ROUNDS = Number(process.env.DRILL_ROUNDS ?? 3);
const DOWN_SECONDS = Number(process.env.DRILL_DOWN_SECONDS ?? 10);
const CLIENTS = Number(process.env.DRILL_CLIENTS ?? 4);
const PAUSE_MS = Number(process.env.DRILL_PAUSE_MS ?? 50);
const RECOVERY_TIMEOUT_SECONDS = Number(process.env.DRILL_RECOVERY_TIMEOUT_SECONDS ?? 120);

function parseTargets(text: string): Target[] {
  const targets = text.split(',').map((t) => t.trim());
  const unknown = targets.filter((t) => !(ALL_TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0)
    throw new Error(`DRILL_TARGETS: unknown ${unknown.join(', ')}; known: ${ALL_TARGETS.join(', ')}`);
  return targets as Target[];
}

interface Projections {
  projections: { name: string; healthy: boolean; lagEvents: number | null; lagSeconds: number | null }[];
  outbox: { known: boolean; backlog: number | null; oldestAgeSeconds: number | null };
}

interface RoundFigures {
  target: Target;
  round: number;
  /** Commands answered 2xx, and the others by status (0: no answer), from the kill to the recovery. */
  accepted: number;
  refused: Record<string, number>;
  /** Seconds from the restart having returned to the pipeline fresh again; null: not within the bound. */
  recoverySeconds: number | null;
  /** The most events the outbox held, as `/projections` showed it, while the target was down. */
  backlogShown: number;
  samples: number;
  /** Samples that claimed the pipeline fresh while it could not be (see the header). */
  falselyFresh: number;
  converged: boolean;
  /** Differences between the write model and the read models after the round, in all. */
  differences: number;
  /** Of them, those no earlier round had left: what this round cost. */
  newDifferences: number;
  differencesByReadModel?: Convergence['byReadModel'];
  countersExact: boolean;
  /** Orders placed, paid, shipped, cancelled: as counted by analytics, and in MySQL. */
  counters: { analytics: number[]; written: number[] } | null;
  /** Whether the outbox was published and every projector had applied everything before the checks. */
  caughtUp: boolean;
  servicesExited: string[];
}

/** Order lifecycles from `clients` clients until stopped; refusals counted, never thrown. */
class Load {
  /** An object, so that the clients see a stop made while they wait. */
  private readonly state = { running: false };
  private clients: Promise<void>[] = [];
  accepted = 0;
  refused: Record<string, number> = {};

  constructor(
    private readonly suite: RunningSuite,
    private readonly customers: readonly string[],
    private readonly products: readonly string[],
  ) {}

  start(): void {
    this.state.running = true;
    this.clients = Array.from({ length: CLIENTS }, (_, n) => this.client(n));
  }

  async stop(): Promise<void> {
    this.state.running = false;
    await Promise.all(this.clients);
  }

  private isRunning(): boolean {
    return this.state.running;
  }

  resetCounts(): void {
    this.accepted = 0;
    this.refused = {};
  }

  private async send(path: string, body: unknown): Promise<Record<string, unknown> | undefined> {
    const answer = await this.suite.command(path, body).catch(() => ({ status: 0, body: {} }));
    if (answer.status >= 200 && answer.status < 300) {
      this.accepted++;
      return answer.body;
    }
    this.refused[answer.status] = (this.refused[answer.status] ?? 0) + 1;
    await sleep(200);
    return undefined;
  }

  private async client(n: number): Promise<void> {
    for (let i = 0; this.isRunning(); i++) {
      const placed = await this.send('/orders', {
        customerId: this.customers[(n + i) % this.customers.length],
        items: [{ productId: this.products[(n * 7 + i) % this.products.length], quantity: 1 + (i % 3) }],
      });
      await sleep(PAUSE_MS);
      const orderId = placed?.orderId as string | undefined;
      const fate = (n + i) % 4;
      if (!orderId || fate === 0 || !this.isRunning()) continue;
      const next = await this.send(`/orders/${orderId}/${fate === 1 ? 'cancel' : 'pay'}`, {});
      await sleep(PAUSE_MS);
      if (!next || fate !== 3 || !this.isRunning()) continue;
      await this.send(`/orders/${orderId}/${i % 2 ? 'ship' : 'cancel'}`, {});
      await sleep(PAUSE_MS);
    }
  }
}

function killServer(server: Server): void {
  killStackServer(STACK_NAME[server]);
}

function startServer(server: Server): void {
  startStackServer(STACK_NAME[server]);
}

async function projections(suite: RunningSuite): Promise<Projections | undefined> {
  const answer = await suite.ops<Projections>('/projections').catch(() => undefined);
  return answer?.status === 200 ? answer.body : undefined;
}

const fresh = (p: Projections, lagEvents: number, ageSeconds: number): boolean =>
  p.outbox.known &&
  (p.outbox.backlog === 0 || (p.outbox.oldestAgeSeconds ?? Infinity) <= ageSeconds) &&
  p.projections.every(
    (projection) =>
      projection.healthy &&
      projection.lagEvents !== null &&
      (projection.lagEvents <= lagEvents || (projection.lagSeconds ?? Infinity) <= ageSeconds),
  );

/** The analytics counters and MySQL's counts, side by side; exact when they are equal. */
async function countersExact(
  suite: RunningSuite,
): Promise<{ exact: boolean; analytics: number[]; written: number[] }> {
  const [rows] = await suite.database.connection.query(
    "SELECT COUNT(*) AS n, SUM(status = 'PAID') AS paid, SUM(status = 'SHIPPED') AS shipped, SUM(status = 'CANCELLED') AS cancelled FROM orders",
  );
  const written = (rows as Record<string, string | number | null>[])[0] ?? {};
  const sales = await suite.query<{ ordersPlaced: number; ordersByStatus: Record<string, number> }>(
    '/stats/sales',
  );
  const { ordersPlaced, ordersByStatus } = sales.body;
  const analytics = [
    ordersPlaced,
    ordersByStatus.PAID ?? 0,
    ordersByStatus.SHIPPED ?? 0,
    ordersByStatus.CANCELLED ?? 0,
  ];
  const counts = [written.n, written.paid, written.shipped, written.cancelled].map((n) => Number(n ?? 0));
  return { exact: analytics.every((n, i) => n === counts[i]), analytics, written: counts };
}

interface Convergence {
  converged: boolean;
  differences: number;
  /** Each difference as `<read model> <aggregate> <field>`. */
  keys: string[];
  /** Per read model with differences: how many, and the first few. */
  byReadModel?: Record<string, { count: number; first: unknown[] }>;
}

function checkConvergence(suite: RunningSuite): Convergence {
  try {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'tools/cqrs/dist/cli.js'), 'check', 'convergence', '--json'],
      {
        env: { PATH: process.env.PATH, ...suite.env },
        maxBuffer: 64 * 1024 * 1024,
        stdio: 'pipe',
      },
    );
    return { converged: true, differences: 0, keys: [] };
  } catch (error) {
    const stdout = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    const report = JSON.parse(stdout || '{"differenceCount":-1}') as {
      differenceCount: number;
      readModels?: { readModel: string; differences: { aggregate?: string; field?: string }[] }[];
    };
    const keys = (report.readModels ?? []).flatMap((r) =>
      r.differences.map((d) => `${r.readModel} ${d.aggregate ?? ''} ${d.field ?? ''}`),
    );
    const byReadModel = Object.fromEntries(
      (report.readModels ?? [])
        .filter((r) => r.differences.length > 0)
        .map((r) => [r.readModel, { count: r.differences.length, first: r.differences.slice(0, 3) }]),
    );
    return { converged: false, differences: report.differenceCount, keys, byReadModel };
  }
}

/** Every difference the checks have found so far (see drillOnce). */
const knownDifferences = new Set<string>();

async function drillOnce(
  suite: RunningSuite,
  load: Load,
  target: Target,
  round_: number,
): Promise<RoundFigures> {
  const pids = new Map(SUITE_SERVICES.map((s) => [s, suite.process(s)?.child.pid]));
  load.resetCounts();
  const onPath = target !== 'query-gateway';
  let samples = 0;
  let falselyFresh = 0;
  let backlogShown = 0;
  const sampling = { on: true };
  const killedAt = Date.now();
  // Samples answered once the restart has begun do not count: the target may be back already.
  let restartingAt = Number.POSITIVE_INFINITY;
  const sampler = (async () => {
    while (sampling.on) {
      const seen = await projections(suite);
      const now = Date.now();
      if (seen && now < restartingAt) {
        samples++;
        backlogShown = Math.max(backlogShown, seen.outbox.backlog ?? 0);
        const acceptedMeanwhile = load.accepted > 0;
        if (onPath && acceptedMeanwhile && now - killedAt >= 5_000 && fresh(seen, 0, 0)) falselyFresh++;
      }
      await sleep(500);
    }
  })();

  if ((SERVERS as readonly string[]).includes(target)) killServer(target as Server);
  else await suite.stop(target as SuiteService, 'SIGKILL');
  await sleep(DOWN_SECONDS * 1_000);
  restartingAt = Date.now();
  if ((SERVERS as readonly string[]).includes(target)) startServer(target as Server);
  else await suite.start(target as SuiteService);
  const restartedAt = Date.now();

  let recoverySeconds: number | null = null;
  while (Date.now() - restartedAt < RECOVERY_TIMEOUT_SECONDS * 1_000) {
    const seen = await projections(suite);
    if (seen && fresh(seen, 0, 1)) {
      recoverySeconds = round((Date.now() - restartedAt) / 1_000);
      break;
    }
    await sleep(250);
  }
  sampling.on = false;
  await sampler;
  const accepted = load.accepted;
  const refused = { ...load.refused };

  await load.stop();
  const caughtUp = await suite.caughtUp(undefined, RECOVERY_TIMEOUT_SECONDS * 1_000).then(
    () => true,
    () => false,
  );
  const convergence = checkConvergence(suite);
  // The check covers the whole history: a difference an earlier round left is not this round's.
  const newDifferences = convergence.keys.filter((key) => !knownDifferences.has(key)).length;
  for (const key of convergence.keys) knownDifferences.add(key);
  // What the services said, to find out why: in the temporary folder, not the results.
  if (!convergence.converged) {
    const dir = join(tmpdir(), 'cqrs-shop-drill-logs');
    mkdirSync(dir, { recursive: true });
    for (const service of SUITE_SERVICES)
      writeFileSync(join(dir, `${target}-${round_}-${service}.log`), suite.process(service)?.output() ?? '');
    console.log(`differences: the services' output is in ${dir}`);
  }
  const counters = await countersExact(suite).catch(() => null);
  const servicesExited = SUITE_SERVICES.filter(
    (s) =>
      s !== target &&
      (suite.process(s)?.child.exitCode !== null || suite.process(s)?.child.pid !== pids.get(s)),
  );
  load.start();
  return {
    target,
    round: round_,
    accepted,
    refused,
    recoverySeconds,
    backlogShown,
    samples,
    falselyFresh,
    converged: convergence.converged,
    differences: convergence.differences,
    newDifferences,
    ...(convergence.byReadModel ? { differencesByReadModel: convergence.byReadModel } : {}),
    countersExact: counters?.exact ?? false,
    counters: counters && { analytics: counters.analytics, written: counters.written },
    caughtUp,
    servicesExited,
  };
}

async function seed(suite: RunningSuite): Promise<{ customers: string[]; products: string[] }> {
  const suffix = randomUUID().slice(0, 8);
  const customers: string[] = [];
  for (let i = 0; i < 6; i++) {
    const answer = await suite.command<{ customerId: string }>('/customers', {
      email: `drill-${suffix}-${i}@example.com`,
      name: `Drill ${i}`,
    });
    customers.push(answer.body.customerId);
  }
  const products: string[] = [];
  for (let i = 0; i < 6; i++) {
    const answer = await suite.command<{ productId: string }>('/products', {
      sku: `DRILL-${suffix}-${i}`,
      name: `Drill product ${i}`,
      priceCents: 500 + i,
      currency: 'EUR',
      stock: 1_000_000,
    });
    products.push(answer.body.productId);
  }
  return { customers, products };
}

async function main(): Promise<void> {
  if (![ROUNDS, DOWN_SECONDS, CLIENTS, RECOVERY_TIMEOUT_SECONDS].every((n) => n > 0) || !(PAUSE_MS >= 0))
    throw new Error(
      'DRILL_ROUNDS, DRILL_DOWN_SECONDS, DRILL_CLIENTS and DRILL_RECOVERY_TIMEOUT_SECONDS must be positive',
    );
  Object.assign(process.env, stackEnv());
  const machine = describeMachine();
  const suite = await startSuite({
    envForAll: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    env: { 'query-gateway': { GATEWAY_LAG_REFRESH: '1s' } },
  });
  const results: RoundFigures[] = [];
  try {
    const { customers, products } = await seed(suite);
    const load = new Load(suite, customers, products);
    load.start();
    await sleep(5_000);
    for (const target of TARGETS)
      for (let r = 1; r <= ROUNDS; r++) {
        const figures = await drillOnce(suite, load, target, r);
        results.push(figures);
        console.log(
          `${target} #${r}: recovered in ${figures.recoverySeconds ?? 'NOT'} s, ${figures.accepted} accepted, refused ${JSON.stringify(figures.refused)}, ` +
            `backlog shown ${figures.backlogShown}, falsely fresh ${figures.falselyFresh}/${figures.samples}, ` +
            `caught up ${figures.caughtUp}, converged ${figures.converged} (${figures.newDifferences} new of ${figures.differences}${
              figures.differencesByReadModel ? ` ${JSON.stringify(figures.differencesByReadModel)}` : ''
            }), ` +
            `counters exact ${figures.countersExact} ${JSON.stringify(figures.counters)}, exited [${figures.servicesExited.join(', ')}]`,
        );
      }
    await load.stop();
  } finally {
    await suite.close();
  }
  console.log(
    table(
      [
        'target',
        'round',
        'recovery, s',
        'accepted',
        'refused',
        'backlog shown',
        'falsely fresh',
        'converged',
        'counters exact',
        'exited',
      ],
      results.map((r) => [
        r.target,
        r.round,
        r.recoverySeconds ?? 'not within bound',
        r.accepted,
        Object.entries(r.refused)
          .map(([status, n]) => `${n}×${status}`)
          .join(' ') || '-',
        r.backlogShown,
        `${r.falselyFresh}/${r.samples}`,
        r.converged ? 'yes' : `NO (${r.newDifferences} new of ${r.differences})`,
        r.countersExact ? 'yes' : 'NO',
        r.servicesExited.join(' ') || '-',
      ]),
    ),
  );
  const passed = results.every(
    (r) =>
      r.recoverySeconds !== null &&
      r.recoverySeconds <= 10 &&
      r.falselyFresh === 0 &&
      r.converged &&
      r.countersExact &&
      r.servicesExited.length === 0,
  );
  console.log(
    `every round within 10 s, truthful, converged, exact and nothing exited: ${passed ? 'yes' : 'NO'}`,
  );
  const dir = join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `drill-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ machine, settings: { TARGETS, ROUNDS, DOWN_SECONDS, CLIENTS, PAUSE_MS, RECOVERY_TIMEOUT_SECONDS }, results, passed }, null, 2)}\n`,
  );
  console.log(`results written to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
