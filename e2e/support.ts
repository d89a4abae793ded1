import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { repoRoot, type RunningSuite, startSuite } from '@cqrs-shop/testing';
import { Partitioners } from 'kafkajs';

/** Partitions of each event topic the relay creates in the tests' suites (its default). */
export const TOPIC_PARTITIONS = 6;
const partitioner = Partitioners.DefaultPartitioner();

/** The orders topic's partition of an order, as the relay's partitioner picks it. */
export function partitionOfOrder(orderId: string): number {
  return partitioner({
    topic: 'orders',
    partitionMetadata: Array.from({ length: TOPIC_PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    })),
    message: { key: orderId, value: null },
  });
}

interface Difference {
  readonly kind: string;
  readonly readModel: string;
  readonly aggregate: string;
  readonly field: string;
}

export interface ConvergenceOutcome {
  /** The checker's exit status: 0 converged, 1 differences. */
  readonly code: number;
  readonly report: {
    readonly converged: boolean;
    readonly differenceCount: number;
    readonly readModels: readonly { readModel: string; compared: number; differences: Difference[] }[];
  };
}

/** Runs the built convergence check (`cqrs check convergence`) against the suite's stores. */
export function checkConvergence(
  suite: RunningSuite,
  readModels: readonly string[] = [],
): Promise<ConvergenceOutcome> {
  const args = [
    join(repoRoot, 'tools/cqrs/dist/cli.js'),
    'check',
    'convergence',
    '--json',
    ...readModels.flatMap((name) => ['--read-model', name]),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env: { PATH: process.env.PATH, ...suite.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (code !== 0 && code !== 1) {
          reject(new Error(`the checker failed with ${code}: ${stderr}`));
          return;
        }
        resolve({ code, report: JSON.parse(stdout) as ConvergenceOutcome['report'] });
      },
    );
  });
}

/** Waits for every projector to apply everything, then expects no difference in any read model. */
export async function expectConverged(suite: RunningSuite): Promise<ConvergenceOutcome> {
  await suite.caughtUp();
  const outcome = await checkConvergence(suite);
  expect(outcome.report.readModels.map((r) => [r.readModel, r.differences])).toEqual([
    ['order-history', []],
    ['search', []],
    ['analytics', []],
  ]);
  return outcome;
}

/** Sends a command and returns its answer's body, failing on anything but success. */
export async function succeed<T = Record<string, unknown>>(
  suite: RunningSuite,
  path: string,
  body: unknown = {},
): Promise<T & { consistencyToken: string }> {
  const answer = await suite.command<T & { consistencyToken: string }>(path, body);
  if (answer.status >= 300)
    throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * The whole suite for one test file: started before its tests, closed after them. Returns the
 * running suite (for use inside tests), failing clearly if it did not start.
 */
export function suiteForTests(options?: Parameters<typeof startSuite>[0]): () => RunningSuite {
  let suite: RunningSuite | undefined;
  beforeAll(async () => {
    suite = await startSuite(options);
  }, 180_000);
  afterAll(async () => {
    await suite?.close();
  }, 120_000);
  return () => {
    if (!suite) throw new Error('the suite did not start');
    return suite;
  };
}

/** A run of the built `cqrs` command against the suite's stores and topics. */
export interface CqrsRun {
  readonly child: ChildProcess;
  /** Every JSON line it printed so far (with `--json`: progress objects, then results). */
  lines(): Record<string, unknown>[];
  stderr(): string;
  readonly exited: Promise<number | null>;
}

/** Every `cqrs` started and not yet ended: a test that fails or times out leaves none behind. */
const unfinishedCqrs = new Set<ChildProcess>();
afterAll(() => {
  for (const child of unfinishedCqrs) child.kill('SIGKILL');
});

export function startCqrs(
  suite: RunningSuite,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): CqrsRun {
  const child = spawn(process.execPath, [join(repoRoot, 'tools/cqrs/dist/cli.js'), ...args], {
    env: {
      PATH: process.env.PATH,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      RELAY_URL: suite.url('outbox-relay'),
      ...suite.env,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  unfinishedCqrs.add(child);
  const exited = once(child, 'exit').then(([code]) => {
    unfinishedCqrs.delete(child);
    return code as number | null;
  });
  return {
    child,
    // Only whole objects on one line: `--json` of a rebuild; other output is passed over.
    lines: () =>
      stdout.split('\n').flatMap((line) => {
        if (!line.startsWith('{') || !line.endsWith('}')) return [];
        return [JSON.parse(line) as Record<string, unknown>];
      }),
    stderr: () => stderr,
    exited,
  };
}

/** Runs `cqrs` to the end; returns its exit status, JSON lines, and all it printed. */
export async function cqrs(
  suite: RunningSuite,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; lines: Record<string, unknown>[]; stdout: string; stderr: string }> {
  let stdout = '';
  const run = startCqrs(suite, args, extraEnv);
  run.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await run.exited;
  return { code, lines: run.lines(), stdout, stderr: run.stderr() };
}

/** Loads a failed test did not stop: stopped after it, so that they do not run into the next. */
const unstoppedLoads = new Set<() => Promise<void>>();
afterEach(async () => {
  const stops = [...unstoppedLoads];
  unstoppedLoads.clear();
  await Promise.allSettled(stops.map((stop) => stop()));
});

/**
 * Order lifecycles sent by `clients` concurrent clients until stopped: place, then pay or
 * cancel, then ship or cancel; each client pauses `pauseMs` after every command (0: as fast as
 * the answers come). Returns how many commands were answered, and over what time.
 */
export function startOrderLoad(
  suite: RunningSuite,
  customers: readonly string[],
  products: readonly string[],
  clients = 12,
  pauseMs = 0,
): { stop(): Promise<{ commands: number; seconds: number; perSecond: number }>; commands(): number } {
  // An object, so that the clients see the stop made from outside their loop.
  const state = { running: true };
  const stopped = () => !state.running;
  let commands = 0;
  const answered = async () => {
    commands++;
    if (pauseMs > 0) await delay(pauseMs);
  };
  const started = Date.now();
  const client = async (n: number) => {
    for (let i = 0; state.running; i++) {
      const { orderId } = await succeed<{ orderId: string }>(suite, '/orders', {
        customerId: customers[(n + i) % customers.length],
        items: [{ productId: products[(n * 7 + i) % products.length], quantity: 1 + (i % 3) }],
      });
      await answered();
      const fate = (n + i) % 4;
      if (fate === 0 || stopped()) continue;
      await succeed(suite, `/orders/${orderId}/${fate === 1 ? 'cancel' : 'pay'}`);
      await answered();
      if (fate !== 3 || stopped()) continue;
      await succeed(suite, `/orders/${orderId}/${i % 2 ? 'ship' : 'cancel'}`);
      await answered();
    }
  };
  const all = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  const stop = async () => {
    state.running = false;
    await all;
  };
  unstoppedLoads.add(stop);
  return {
    commands: () => commands,
    async stop() {
      unstoppedLoads.delete(stop);
      await stop();
      const seconds = (Date.now() - started) / 1_000;
      return { commands, seconds, perSecond: Math.round(commands / seconds) };
    },
  };
}

/** A few customers and products to order with; their ids. */
export async function seedCatalogue(
  suite: RunningSuite,
  suffix: string,
): Promise<{ customers: string[]; products: string[] }> {
  const customers = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const created = await succeed<{ customerId: string }>(suite, '/customers', {
        name: `Shopper ${i} ${suffix}`,
        email: `shopper.${i}.${suffix}@example.com`,
      });
      return created.customerId;
    }),
  );
  const products = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const created = await succeed<{ productId: string }>(suite, '/products', {
        sku: `RB-${i}-${suffix}`,
        name: `Replayed item ${i}`,
        priceCents: 150 * (i + 1),
        currency: 'EUR',
        stock: 1_000_000,
      });
      return created.productId;
    }),
  );
  return { customers, products };
}

/**
 * One customer and one product of ample stock at `priceCents` (names marked with `label` and a
 * fresh suffix), and a way to place an order of one unit of it for that customer.
 */
export async function oneCustomerOneProduct(
  suite: RunningSuite,
  label: string,
  priceCents = 500,
): Promise<{ place: () => Promise<{ orderId: string }> }> {
  const suffix = randomUUID().slice(0, 8);
  const customer = await succeed<{ customerId: string }>(suite, '/customers', {
    name: `${label} ${suffix}`,
    email: `${label.toLowerCase()}.${suffix}@example.com`,
  });
  const product = await succeed<{ productId: string }>(suite, '/products', {
    sku: `${label.slice(0, 3).toUpperCase()}-${suffix}`,
    name: `${label} item`,
    priceCents,
    currency: 'EUR',
    stock: 100_000,
  });
  return {
    place: () =>
      succeed<{ orderId: string }>(suite, '/orders', {
        customerId: customer.customerId,
        items: [{ productId: product.productId, quantity: 1 }],
      }),
  };
}
