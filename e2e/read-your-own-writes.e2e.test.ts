import { randomUUID } from 'node:crypto';
import { waitFor } from '@cqrs-shop/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { suiteForTests } from './support';

type Answer = Record<string, unknown>;

describe('the query gateway over the whole suite (real processes and stores)', () => {
  const running = suiteForTests();

  /** Sends a command and returns its answer, failing on anything but success. */
  async function command(path: string, body: unknown = {}): Promise<Answer & { consistencyToken: string }> {
    const answer = await running().command(path, body);
    if (answer.status >= 300)
      throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body as Answer & { consistencyToken: string };
  }

  it('reads every change at once through each read model when the command tokens are sent', async () => {
    const suffix = randomUUID().slice(0, 8);
    const customer = await command('/customers', {
      name: `Grace Hopper ${suffix}`,
      email: `grace.${suffix}@example.com`,
    });
    const product = await command('/products', {
      sku: `COBOL-${suffix}`,
      name: `Compiler manual ${suffix}`,
      description: 'Everything about the first compiler',
      priceCents: 2_500,
      currency: 'EUR',
      stock: 10,
    });
    const placed = await command('/orders', {
      customerId: customer.customerId,
      items: [{ productId: product.productId, quantity: 3 }],
    });
    const paid = await command(`/orders/${String(placed.orderId)}/pay`);
    // The order's token, and the customer's for the join of the name: what a client would send.
    const tokens = { 'X-Consistency-Token': `${paid.consistencyToken}, ${customer.consistencyToken}` };

    const order = await running().query(`/orders/${String(placed.orderId)}`, tokens);
    expect({ status: order.status, problem: order.status === 200 ? null : order.body }).toEqual({
      status: 200,
      problem: null,
    });
    expect(order.headers.get('x-read-model')).toBe('order-history');
    expect(order.body).toMatchObject({
      orderId: placed.orderId,
      status: 'PAID',
      totalCents: 7_500,
      customer: { name: `Grace Hopper ${suffix}`, email: `grace.${suffix}@example.com` },
      lines: [{ productId: product.productId, sku: `COBOL-${suffix}`, quantity: 3, unitPriceCents: 2_500 }],
      version: 2,
    });

    const history = await running().query(`/customers/${String(customer.customerId)}/orders`, tokens);
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({
      items: [{ orderId: placed.orderId, status: 'PAID' }],
      nextCursor: null,
    });

    const found = await running().query(
      `/search/orders?q=${encodeURIComponent(`Hopper ${suffix}`)}&status=PAID`,
      tokens,
    );
    expect(found.status).toBe(200);
    expect(found.headers.get('x-read-model')).toBe('search');
    expect(found.body).toMatchObject({
      total: 1,
      items: [{ orderId: placed.orderId, status: 'PAID', customerName: `Grace Hopper ${suffix}` }],
    });

    const products = await running().query(`/search/products?q=${encodeURIComponent(`manual ${suffix}`)}`, {
      'X-Consistency-Token': product.consistencyToken,
    });
    expect(products.body).toMatchObject({
      total: 1,
      items: [{ productId: product.productId, sku: `COBOL-${suffix}`, priceCents: 2_500 }],
    });

    const sales = await running().query('/stats/sales', tokens);
    expect(sales.status).toBe(200);
    expect(sales.headers.get('x-read-model')).toBe('analytics');
    expect(sales.body).toEqual({
      ordersPlaced: 1,
      ordersByStatus: { PLACED: 0, PAID: 1, SHIPPED: 0, CANCELLED: 0 },
      grossRevenueCents: 7_500,
      refundedCents: 0,
      currency: 'EUR',
    });

    const top = await running().query('/stats/products/top?limit=5', {
      'X-Consistency-Token': `${paid.consistencyToken},${product.consistencyToken}`,
    });
    expect(top.body).toEqual([
      {
        productId: product.productId,
        sku: `COBOL-${suffix}`,
        name: `Compiler manual ${suffix}`,
        unitsSold: 3,
        revenueCents: 7_500,
      },
    ]);
  });

  it('answers 503 with Retry-After and the lag, never a stale answer, when a change is not applied in time', async () => {
    const customer = await command('/customers', { name: 'Ada', email: `ada.${randomUUID()}@example.com` });
    const future = running().identity.consistencyTokens.encode({
      aggregateType: 'customer',
      aggregateId: String(customer.customerId),
      version: 99,
    });

    const started = Date.now();
    const answer = await running().query(`/customers/${String(customer.customerId)}/orders`, {
      'X-Consistency-Token': future,
      Prefer: 'wait=0.3',
    });
    const waited = Date.now() - started;

    expect(answer.status).toBe(503);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answer.body).toMatchObject({
      type: 'urn:cqrs-shop:problem:not-yet-consistent',
      readModel: 'order-history',
      unmet: [
        {
          aggregate: `customer:${String(customer.customerId)}`,
          version: 99,
          appliedVersion: 1,
          stage: 'not-committed',
        },
      ],
      lag: { events: expect.any(Number) as number },
    });
    expect(answer.body.detail).toContain('was never committed');
    expect(waited).toBeGreaterThanOrEqual(300);
  });

  it('says, when a wait times out, whether the change is still in the outbox or in Kafka not yet applied', async () => {
    const suite = running();
    const tokenRead = (customerId: string, token: string) =>
      suite.query<{ unmet: { stage: string }[]; detail: string }>(`/customers/${customerId}/orders`, {
        'X-Consistency-Token': token,
        Prefer: 'wait=0.3',
      });

    // The relay's lock held elsewhere: it answers, but stands by, and the change stays in the outbox.
    const holder = await suite.database.connection.getConnection();
    try {
      await suite.stop('outbox-relay');
      const [[locked]] = await holder.query<RowDataPacket[]>('SELECT GET_LOCK(?, 5) AS locked', [
        `cqrs-shop.outbox-relay.${suite.database.name}`.slice(0, 64),
      ]);
      expect(locked?.locked).toBe(1);
      await suite.start('outbox-relay', { RELAY_STANDBY_POLL: '100ms' });
      const waiting = await command('/customers', { name: 'Ida', email: `ida.${randomUUID()}@example.com` });
      const unpublished = await tokenRead(String(waiting.customerId), waiting.consistencyToken);
      expect(unpublished.status).toBe(503);
      expect(unpublished.body.unmet.map((u) => u.stage)).toEqual(['unpublished']);
      expect(unpublished.body.detail).toContain('is still in the outbox, not yet published to Kafka');
    } finally {
      await holder.query('SELECT RELEASE_ALL_LOCKS()');
      holder.release();
    }
    // Published, but the order-history projector away: in Kafka, not applied.
    await suite.stop('projector-order-history');
    try {
      const late = await command('/customers', { name: 'Joan', email: `joan.${randomUUID()}@example.com` });
      const published = await waitFor(
        'the change to be published',
        async () => {
          const answer = await tokenRead(String(late.customerId), late.consistencyToken);
          return answer.body.unmet[0]?.stage === 'published' ? answer : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      expect(published.status).toBe(503);
      expect(published.body.detail).toContain('is in Kafka; the projection has not applied it yet');
    } finally {
      await suite.start('projector-order-history');
    }
  });

  it('answers 304 to a client that holds the current order (If-None-Match), and the new order once it changed', async () => {
    const suffix = randomUUID().slice(0, 8);
    const customer = await command('/customers', {
      name: `Ada ${suffix}`,
      email: `ada.${suffix}@example.com`,
    });
    const product = await command('/products', {
      sku: `ETAG-${suffix}`,
      name: 'Difference engine',
      priceCents: 9_900,
      currency: 'EUR',
      stock: 5,
    });
    const placed = await command('/orders', {
      customerId: customer.customerId,
      items: [{ productId: product.productId, quantity: 1 }],
    });
    const path = `/orders/${String(placed.orderId)}`;
    // Both tokens: the ETag also moves when the customer is joined into the order, which may
    // happen after the order is projected (customers and orders are separate partitions).
    const first = await running().query(path, {
      'X-Consistency-Token': `${placed.consistencyToken}, ${customer.consistencyToken}`,
    });
    expect(first.body).toMatchObject({ customer: { name: `Ada ${suffix}` } });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"\d+\.\d+"$/);

    const unchanged = await running().query(path, { 'If-None-Match': etag ?? '' });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toEqual({});
    expect(unchanged.headers.get('etag')).toBe(etag);

    const paid = await command(`${path}/pay`);
    const changed = await running().query(path, {
      'If-None-Match': etag ?? '',
      'X-Consistency-Token': paid.consistencyToken,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ status: 'PAID', version: 2 });
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('says how fresh an answer without a token is', async () => {
    const answer = await running().query('/stats/sales');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-projection-lag-events')).toMatch(/^\d+$/);
    expect(answer.headers.get('x-projection-lag-seconds')).toMatch(/^\d+\.\d{3}$/);
  });

  it('refuses bad input with problem details and answers 404 for an unknown order', async () => {
    const badToken = await running().query('/stats/sales', { 'X-Consistency-Token': 'not-a-token' });
    expect(badToken.status).toBe(400);
    expect(badToken.body).toMatchObject({ errors: [{ field: 'X-Consistency-Token' }] });

    const badLimit = await running().query(`/customers/${randomUUID()}/orders?limit=1000`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body).toMatchObject({ errors: [{ field: 'limit' }] });

    const unknownParameter = await running().query('/search/orders?stauts=PAID');
    expect(unknownParameter.status).toBe(400);
    expect(unknownParameter.body).toMatchObject({
      errors: [{ field: 'stauts', message: 'is not a known field' }],
    });

    // A range whose ends cross is empty, not an error.
    const emptyRange = await running().query<{ total: number; items: unknown[] }>(
      '/search/orders?minTotalCents=500&maxTotalCents=100',
    );
    expect(emptyRange.status).toBe(200);
    expect(emptyRange.body).toMatchObject({ total: 0, items: [] });
    const emptyNumber = await running().query('/search/orders?minTotalCents=');
    expect(emptyNumber.status).toBe(400);
    expect(emptyNumber.body).toMatchObject({ errors: [{ field: 'minTotalCents' }] });

    const badCursor = await running().query('/search/products?cursor=abc');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body).toMatchObject({ errors: [{ field: 'cursor' }] });

    const unknown = await running().query(`/orders/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: 'urn:cqrs-shop:problem:not-found' });
  });

  it('pages through a customer\u2019s orders and search results with opaque cursors, no order twice or missed', async () => {
    const suffix = randomUUID().slice(0, 8);
    const customer = await command('/customers', {
      name: `Pager ${suffix}`,
      email: `pager.${suffix}@example.com`,
    });
    const product = await command('/products', {
      sku: `PG-${suffix}`,
      name: 'Notebook',
      priceCents: 100,
      currency: 'EUR',
      stock: 100,
    });
    const orderIds: string[] = [];
    const orderTokens: string[] = [];
    for (let i = 0; i < 7; i++) {
      const placed = await command('/orders', {
        customerId: customer.customerId,
        items: [{ productId: product.productId, quantity: 1 }],
      });
      orderIds.push(String(placed.orderId));
      orderTokens.push(placed.consistencyToken);
    }
    // A token stands for one aggregate: orders on other partitions may be applied in any order.
    const tokens = { 'X-Consistency-Token': [...orderTokens, customer.consistencyToken].join(',') };

    const seenHistory: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { orderId: string }[]; nextCursor: string | null } } =
        await running().query(
          `/customers/${String(customer.customerId)}/orders?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          tokens,
        );
      seenHistory.push(...page.body.items.map((item) => item.orderId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seenHistory).toHaveLength(7);
    expect(new Set(seenHistory)).toEqual(new Set(orderIds));

    const seenSearch: string[] = [];
    cursor = null;
    do {
      const page: { body: { total: number; items: { orderId: string }[]; nextCursor: string | null } } =
        await running().query(
          `/search/orders?q=Pager%20${suffix}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          tokens,
        );
      expect(page.body.total).toBe(7);
      seenSearch.push(...page.body.items.map((item) => item.orderId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seenSearch)).toEqual(new Set(orderIds));
    expect(seenSearch).toHaveLength(7);

    // A cursor is bound to its query.
    const first = await running().query<{ nextCursor: string }>(`/search/orders?q=Pager%20${suffix}&limit=2`);
    const elsewhere = await running().query(`/search/orders?q=other&limit=2&cursor=${first.body.nextCursor}`);
    expect(elsewhere.status).toBe(400);
  });

  it('publishes an OpenAPI 3.1 document with every query route', async () => {
    const answer = await running().query<{ openapi: string; paths: Record<string, unknown> }>(
      '/openapi.json',
    );
    expect(answer.body.openapi).toBe('3.1.0');
    expect(Object.keys(answer.body.paths).sort()).toEqual([
      '/customers/{customerId}/orders',
      '/orders/{orderId}',
      '/search/orders',
      '/search/products',
      '/stats/products/top',
      '/stats/sales',
    ]);
  });

  it('shows every projection with its lag, dead letters and health, and the outbox backlog', async () => {
    const answer = await running().ops<{
      projections: Record<string, unknown>[];
      outbox: Record<string, unknown>;
    }>('/projections');
    expect(answer.status).toBe(200);
    expect(answer.body.projections.map((p) => p.name)).toEqual(['order-history', 'search', 'analytics']);
    for (const projection of answer.body.projections) {
      expect(projection).toMatchObject({
        healthy: true,
        reachable: true,
        lagEvents: expect.any(Number) as number,
        applied: expect.any(Number) as number,
        deadLettered: 0,
        parkedAggregates: 0,
      });
    }
    expect(answer.body.outbox).toMatchObject({ known: true, backlog: expect.any(Number) as number });
  });
});
