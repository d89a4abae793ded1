import { randomUUID } from 'node:crypto';
import { killStackServer, startStackServer, waitFor } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { expectConverged, seedCatalogue, startOrderLoad, suiteForTests } from './support';

describe('Redis killed while orders flow', () => {
  afterAll(() => {
    // Whatever happened, the shared stack is left with Redis running.
    startStackServer('redis');
  }, 240_000);
  const running = suiteForTests();

  it('counts every order exactly once after Redis is killed and started again under load', async () => {
    const suite = running();
    const { customers, products } = await seedCatalogue(suite, randomUUID().slice(0, 8));
    const load = startOrderLoad(suite, customers, products, 4, 20);
    await waitFor('some orders before the crash', () => load.commands() >= 150, { timeoutMs: 120_000 });

    killStackServer('redis');
    const redis = new Redis(suite.env.REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 0 });
    await expect(redis.connect()).rejects.toThrow();
    redis.disconnect();
    const atCrash = load.commands();
    await waitFor('orders placed while Redis is down', () => load.commands() >= atCrash + 50, {
      timeoutMs: 60_000,
    });
    startStackServer('redis');
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
