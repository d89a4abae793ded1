import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  createScratchDatabase,
  deleteTopics,
  repoRoot,
  type ServiceProcess,
  startService,
  testIdentity,
  uniqueName,
  waitFor,
} from '@cqrs-shop/testing';
import type { RowDataPacket } from 'mysql2/promise';

/**
 * The write side as real processes on a database and topic prefix of the test's own: the
 * command service (migrating at start) and any number of relays.
 */
export async function writeSide(commandEnv: Record<string, string> = {}) {
  const database = await createScratchDatabase('shop_test_relay');
  const admin = database.connection;
  const topicPrefix = `${uniqueName('test')}.`;
  const env = {
    ...database.env,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
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
    ...commandEnv,
  });
  const commandUrl = `http://127.0.0.1:${await command.port()}`;
  const relays: ServiceProcess[] = [];

  async function post(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${commandUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await identity.headersFor('POST', path, body)),
        ...headers,
      },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (response.ok) identity.noteAnswer('POST', path, body, answer);
    return { status: response.status, body: answer };
  }

  return {
    database: database.name,
    topics: ['customers', 'products', 'orders'].map((name) => `${topicPrefix}shop.${name}.v1`),
    post,
    /** Starts one more relay process. */
    async startRelay(extra: Record<string, string> = {}): Promise<{ process: ServiceProcess; url: string }> {
      const relay = startService('outbox-relay', { ...env, RELAY_PORT: '0', ...extra });
      relays.push(relay);
      return { process: relay, url: `http://127.0.0.1:${await relay.port()}` };
    },
    /** Runs the `cqrs` operator command on this database; resolves with its exit status and output. */
    cqrs(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          [join(repoRoot, 'tools/cqrs/dist/cli.js'), ...args],
          { env: { PATH: process.env.PATH, ...database.env } },
          (error, stdout, stderr) => {
            resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
          },
        );
      });
    },
    async query<T extends RowDataPacket>(sql: string, values: unknown[] = []): Promise<T[]> {
      const [rows] = await admin.query<T[]>(sql, values);
      return rows;
    },
    /** Waits until the outbox has no unpublished row. */
    async drained(timeoutMs = 60_000, intervalMs = 100): Promise<void> {
      await waitFor(
        'the outbox to be published',
        async () => {
          const [[row]] = await admin.query<RowDataPacket[]>(
            'SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL',
          );
          return Number(row?.n) === 0;
        },
        { timeoutMs, intervalMs },
      );
    },
    async close(): Promise<void> {
      await Promise.all([command, ...relays].map((service) => service.stop('SIGTERM')));
      await database.drop();
      await deleteTopics(process.env.KAFKA_BROKERS ?? '', topicPrefix);
    },
  };
}

export type WriteSide = Awaited<ReturnType<typeof writeSide>>;

/** Seeds a customer and `count` products with plenty of stock; returns their ids. */
export async function seedCatalogue(side: WriteSide, count: number, stock = 100_000) {
  const customer = await side.post('/customers', {
    name: 'Ada Lovelace',
    email: `${uniqueName('ada')}@example.com`,
  });
  const products: string[] = [];
  for (let i = 0; i < count; i++) {
    const product = await side.post('/products', {
      sku: uniqueName(`SKU-${i}`),
      name: `Product ${i}`,
      priceCents: 100 + i,
      currency: 'EUR',
      stock,
    });
    products.push(String(product.body.productId));
  }
  return { customerId: String(customer.body.customerId), products };
}

/**
 * Sends `total` commands with `concurrency` in flight: orders of one to three products, and pay,
 * ship or cancel of orders placed earlier. Calls `onProgress(done)` after each command.
 */
export async function commandBurst(
  side: WriteSide,
  catalogue: { customerId: string; products: string[] },
  total: number,
  concurrency: number,
  onProgress: (done: number) => void = () => undefined,
): Promise<{ accepted: number }> {
  const open: string[] = [];
  let started = 0;
  let done = 0;
  let accepted = 0;
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  async function worker(): Promise<void> {
    while (started < total) {
      started++;
      let result;
      if (open.length > 0 && random() < 0.5) {
        const orderId = pick(open);
        result = await side.post(`/orders/${orderId}/${pick(['pay', 'ship', 'cancel'])}`, {});
      } else {
        const items = [
          ...new Set([pick(catalogue.products), pick(catalogue.products), pick(catalogue.products)]),
        ]
          .slice(0, 1 + Math.floor(random() * 3))
          .map((productId) => ({ productId, quantity: 1 }));
        result = await side.post('/orders', { customerId: catalogue.customerId, items });
        if (result.status === 201) open.push(String(result.body.orderId));
      }
      if (result.status < 300) accepted++;
      done++;
      onProgress(done);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return { accepted };
}
