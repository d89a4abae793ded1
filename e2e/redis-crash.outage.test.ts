import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { repoRoot, stackHome, waitFor } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { expectConverged, seedCatalogue, startOrderLoad, suiteForTests } from './support';

/** Starts one server of the shared local stack. */
function stackUp(server: string): void {
  execFileSync('bash', [join(repoRoot, 'infra/local/stack'), 'up', server], {
    stdio: 'pipe',
    timeout: 180_000,
  });
}

/** Kills the shared stack's Redis as a crash would: no chance to write anything more. */
function killRedis(): void {
  const [pid] = readFileSync(join(stackHome(), 'run', 'redis.pid'), 'utf8')
    .trim()
    .split(/\s+/);
  process.kill(Number(pid), 'SIGKILL');
}

describe('Redis killed while orders flow', () => {
  afterAll(() => {
    // Whatever happened, the shared stack is left with Redis running.
    stackUp('redis');
  }, 240_000);
  const running = suiteForTests();

  it('counts every order exactly once after Redis is killed and started again under load', async () => {
    const suite = running();
    const { customers, products } = await seedCatalogue(suite, randomUUID().slice(0, 8));
    const load = startOrderLoad(suite, customers, products, 4, 20);
    await waitFor('some orders before the crash', () => load.commands() >= 150, { timeoutMs: 120_000 });

    killRedis();
    const redis = new Redis(suite.env.REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 0 });
    await expect(redis.connect()).rejects.toThrow();
    redis.disconnect();
    const atCrash = load.commands();
    await waitFor('orders placed while Redis is down', () => load.commands() >= atCrash + 50, {
      timeoutMs: 60_000,
    });
    stackUp('redis');
    await waitFor('more orders after Redis is back', () => load.commands() >= atCrash + 150, {
      timeoutMs: 120_000,
    });
    await load.stop();

    await expectConverged(suite);
    const [rows] = await suite.database.connection.query(
      "SELECT COUNT(*) AS n, SUM(status = 'PAID') AS paid FROM orders",
    );
    const written = (rows as { n: number; paid: string }[])[0];
    const sales = await suite.query<{ ordersPlaced: number; ordersByStatus: Record<string, number> }>(
      '/stats/sales',
    );
    expect([sales.body.ordersPlaced, sales.body.ordersByStatus.PAID]).toEqual([
      Number(written?.n),
      Number(written?.paid),
    ]);
  }, 300_000);
});
