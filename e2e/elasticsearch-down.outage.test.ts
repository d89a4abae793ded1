import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { repoRoot, waitFor } from '@cqrs-shop/testing';
import { suiteForTests } from './support';

const STORE_TIMEOUT_MS = 1_000;

/** Stops or starts one server of the shared local stack. */
function stack(action: 'up' | 'down', server: string): void {
  execFileSync('bash', [join(repoRoot, 'infra/local/stack'), action, server], {
    stdio: 'pipe',
    timeout: 180_000,
  });
}

describe('Elasticsearch stopped while the suite runs', () => {
  afterAll(() => {
    // Whatever happened, the shared stack is left with Elasticsearch running.
    stack('up', 'elasticsearch');
  }, 240_000);
  const running = suiteForTests({
    env: { 'query-gateway': { GATEWAY_STORE_TIMEOUT: `${STORE_TIMEOUT_MS}ms` } },
  });

  async function command(path: string, body: unknown = {}) {
    const answer = await running().command<{
      orderId: string;
      customerId: string;
      productId: string;
      consistencyToken: string;
    }>(path, body);
    if (answer.status >= 300)
      throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Places and pays orders; returns their ids and the token of the last payment. */
  async function placeOrders(customerId: string, productId: string, count: number) {
    const ids: string[] = [];
    let token = '';
    for (let i = 0; i < count; i++) {
      const { orderId } = await command('/orders', { customerId, items: [{ productId, quantity: 1 }] });
      const paid = await command(`/orders/${orderId}/pay`);
      token = paid.consistencyToken;
      ids.push(orderId);
    }
    return Object.assign(ids, { token });
  }

  it('fails only the search routes, fast, and loses nothing once Elasticsearch is back', async () => {
    const suite = running();
    const suffix = randomUUID().slice(0, 8);
    const { customerId } = await command('/customers', {
      name: `Outage ${suffix}`,
      email: `o.${suffix}@example.com`,
    });
    const { productId } = await command('/products', {
      sku: `OUT-${suffix}`,
      name: 'Storm lantern',
      priceCents: 1_500,
      currency: 'EUR',
      stock: 1_000,
    });
    const before = await placeOrders(customerId, productId, 5);
    await suite.caughtUp();

    stack('down', 'elasticsearch');

    const started = Date.now();
    const search = await suite.query('/search/orders?q=lantern');
    expect(search.status).toBe(503);
    expect(search.body).toMatchObject({
      type: 'urn:cqrs-shop:problem:store-unavailable',
      readModel: 'search',
    });
    expect(Number(search.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT_MS + 1_000);
    expect((await suite.query('/search/products')).status).toBe(503);

    // The other read models go on, also for changes made while Elasticsearch is away.
    const during = await placeOrders(customerId, productId, 5);
    const token = { 'X-Consistency-Token': during.token };
    expect(await suite.query(`/orders/${during.at(-1) ?? ''}`, token)).toMatchObject({
      status: 200,
      body: { status: 'PAID' },
    });
    expect((await suite.query(`/customers/${customerId}/orders`)).status).toBe(200);
    await suite.caughtUp(['projector-order-history', 'projector-analytics']);
    const sales = await suite.query('/stats/sales');
    expect(sales.status).toBe(200);
    expect(sales.body).toMatchObject({ ordersPlaced: 10, grossRevenueCents: 15_000 });

    // The search projector waits, and says so.
    await waitFor(
      'the search projection to report its store unavailable and lag',
      async () => {
        const status = await suite.ops<{
          projections: { name: string; healthy: boolean; lagEvents: number }[];
        }>('/projections');
        const searchStatus = status.body.projections.find((p) => p.name === 'search');
        return searchStatus && !searchStatus.healthy && searchStatus.lagEvents > 0;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    stack('up', 'elasticsearch');
    await suite.caughtUp(['projector-search'], 120_000);

    // Search shows what a refresh has made visible; the caught-up projector has written it all.
    const all = await waitFor(
      'every order to be searchable again',
      async () => {
        const answer = await suite.query<{ total: number; items: { orderId: string; status: string }[] }>(
          `/search/orders?q=Outage%20${suffix}&limit=100`,
        );
        // A refresh taken while the projector catches up can show all ten, some not yet paid.
        const settled =
          answer.status === 200 &&
          answer.body.total === 10 &&
          answer.body.items.every((item) => item.status === 'PAID');
        return settled ? answer.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(all.items.map((item) => item.orderId).sort()).toEqual([...before, ...during].sort());
    expect(all.items.every((item) => item.status === 'PAID')).toBe(true);
  }, 300_000);
});
