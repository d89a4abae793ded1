import { uniqueName } from '@cqrs-shop/testing';
import {
  type CommandApiClient,
  commandApiClient,
  type PlacedOrder,
  type Problem,
  problemType,
} from './support/api.js';
import {
  type CommandApiUnderTest,
  exceptAudit,
  payloadsOf,
  readOutbox,
  snapshotWriteModel,
  startCommandApi,
} from './support/write-model.js';

describe('command API: Idempotency-Key (real MariaDB)', () => {
  let shop: CommandApiUnderTest;
  let api: CommandApiClient;

  beforeAll(async () => {
    shop = await startCommandApi();
    api = commandApiClient(shop.baseUrl);
  });

  afterAll(() => shop.close());

  async function stockOf(productId: string): Promise<number> {
    const [row] = await shop.query('SELECT stock FROM products WHERE id = ?', [productId]);
    return row?.stock as number;
  }

  async function idempotencyRecord(key: string) {
    const [row] = await shop.query(
      'SELECT status_code, response_body FROM idempotency_keys WHERE idempotency_key = ?',
      [key],
    );
    return (
      row && { status: row.status_code as number, body: JSON.parse(row.response_body as string) as unknown }
    );
  }

  it('creates one order and one set of events when the same Idempotency-Key arrives 5 times at once', async () => {
    const customer = await api.registerCustomer();
    const keyboard = await api.addProduct({ stock: 10, priceCents: 4_000 });
    const mouse = await api.addProduct({ stock: 10, priceCents: 1_500 });
    const key = uniqueName('key');
    const body = {
      customerId: customer.customerId,
      items: [
        { productId: keyboard.productId, quantity: 1 },
        { productId: mouse.productId, quantity: 2 },
      ],
    };

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api.post<PlacedOrder>('/orders', body, { 'Idempotency-Key': key })),
    );

    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const [first] = responses;
    for (const response of responses) {
      expect(response.body).toEqual(first?.body);
      expect(response.headers.get('etag')).toBe('"1"');
    }
    expect(first?.body).toMatchObject({ status: 'PLACED', totalCents: 7_000, version: 1 });
    const replayed = responses.filter((r) => r.headers.get('idempotent-replayed') === 'true');
    expect(replayed.length).toBeGreaterThanOrEqual(4);

    const orderId = first?.body.orderId;
    const orders = await shop.query('SELECT id FROM orders WHERE customer_id = ?', [customer.customerId]);
    expect(orders.map((row) => row.id as string)).toEqual([orderId]);
    const outbox = await readOutbox(shop);
    expect(
      payloadsOf(outbox, 'OrderPlaced').filter((p) => p.customerId === customer.customerId),
    ).toHaveLength(1);
    for (const product of [keyboard, mouse]) {
      const reserved = outbox.filter(
        (e) => e.eventType === 'StockReserved' && e.aggregateId === product.productId,
      );
      expect(reserved.map((e) => e.aggregateVersion)).toEqual([2]);
    }
    expect(await stockOf(keyboard.productId)).toBe(9);
    expect(await stockOf(mouse.productId)).toBe(8);
    expect(await idempotencyRecord(key)).toEqual({ status: 201, body: first?.body });
  });

  it('refuses the same key with a different request with 422 idempotency-key-reused, writing nothing, and still replays the first', async () => {
    const customer = await api.registerCustomer();
    const product = await api.addProduct({ stock: 10 });
    const key = uniqueName('key');
    const original = {
      customerId: customer.customerId,
      items: [{ productId: product.productId, quantity: 1 }],
    };
    const placed = await api.post<PlacedOrder>('/orders', original, { 'Idempotency-Key': key });
    expect(placed.status).toBe(201);
    const before = await snapshotWriteModel(shop);

    const otherBody = await api.post<Problem>(
      '/orders',
      { ...original, items: [{ productId: product.productId, quantity: 2 }] },
      { 'Idempotency-Key': key },
    );
    const otherPath = await api.post<Problem>(`/orders/${placed.body.orderId}/pay`, undefined, {
      'Idempotency-Key': key,
    });

    for (const response of [otherBody, otherPath]) {
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ type: problemType('idempotency-key-reused'), status: 422 });
    }
    const after = await snapshotWriteModel(shop);
    expect(exceptAudit(after)).toEqual(exceptAudit(before));
    expect(after.rowCounts.command_audit).toBe(before.rowCounts.command_audit + 2);
    const audited = await shop.query(
      `SELECT outcome, status_code, problem_code FROM command_audit
       WHERE idempotency_key = ? AND outcome = 'rejected'`,
      [key],
    );
    expect(audited.map((row) => [row.outcome, row.status_code, row.problem_code])).toEqual([
      ['rejected', 422, 'idempotency-key-reused'],
      ['rejected', 422, 'idempotency-key-reused'],
    ]);

    const retried = await api.post<PlacedOrder>('/orders', original, { 'Idempotency-Key': key });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body).toEqual(placed.body);
  });

  it('treats requests that differ only in key order or in blanks the API trims as the same request', async () => {
    const customer = await api.registerCustomer();
    const product = await api.addProduct({ stock: 10 });
    const key = uniqueName('key');
    const items = [{ productId: product.productId, quantity: 1 }];

    const first = await api.post<PlacedOrder>(
      '/orders',
      { customerId: customer.customerId, items },
      {
        'Idempotency-Key': key,
      },
    );
    const reordered = await api.post<PlacedOrder>(
      '/orders',
      { items, customerId: customer.customerId },
      {
        'Idempotency-Key': key,
      },
    );

    expect(first.status).toBe(201);
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get('idempotent-replayed')).toBe('true');
    expect(reordered.body).toEqual(first.body);
    expect(await stockOf(product.productId)).toBe(9);

    const customerKey = uniqueName('key');
    const email = `${uniqueName('trim')}@example.com`;
    const registered = await api.post(
      '/customers',
      { name: 'Ann', email },
      { 'Idempotency-Key': customerKey },
    );
    const padded = await api.post(
      '/customers',
      { name: '  Ann ', email },
      { 'Idempotency-Key': customerKey },
    );
    expect(registered.status).toBe(201);
    expect(padded.status).toBe(201);
    expect(padded.headers.get('idempotent-replayed')).toBe('true');
    expect(padded.body).toEqual(registered.body);
  });

  it('replays a refused command’s 409 to a retry with the same key, even once the refusal no longer holds', async () => {
    const customer = await api.registerCustomer();
    const product = await api.addProduct({ stock: 1 });
    const key = uniqueName('key');
    const body = { customerId: customer.customerId, items: [{ productId: product.productId, quantity: 2 }] };

    const refused = await api.post<Problem>('/orders', body, { 'Idempotency-Key': key });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      type: problemType('insufficient-stock'),
      productId: product.productId,
      requested: 2,
      available: 1,
    });
    expect(refused.headers.get('idempotent-replayed')).toBeNull();
    const before = await snapshotWriteModel(shop);

    const retried = await api.post<Problem>('/orders', body, { 'Idempotency-Key': key });

    expect(retried.status).toBe(409);
    expect(retried.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body).toEqual(refused.body);
    // Only the audit trail grows: the retry is recorded as a replay of the stored answer.
    expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    const replays = await shop.query(
      "SELECT status_code FROM command_audit WHERE idempotency_key = ? AND outcome = 'replayed'",
      [key],
    );
    expect(replays.map((row) => row.status_code)).toEqual([409]);

    const restocked = await api.post(`/products/${product.productId}/restock`, { quantity: 5 });
    expect(restocked.status).toBe(200);
    const afterRestock = await api.post<Problem>('/orders', body, { 'Idempotency-Key': key });
    expect(afterRestock.status).toBe(409);
    expect(afterRestock.body).toEqual(refused.body);
    expect(await stockOf(product.productId)).toBe(6);
    expect(await idempotencyRecord(key)).toEqual({ status: 409, body: refused.body });
  });

  it('treats Idempotency-Keys that differ only in letter case as different keys', async () => {
    const customer = await api.registerCustomer();
    const product = await api.addProduct({ stock: 10 });
    const body = { customerId: customer.customerId, items: [{ productId: product.productId, quantity: 1 }] };
    const key = uniqueName('Key');

    const lower = await api.post<PlacedOrder>('/orders', body, { 'Idempotency-Key': key.toLowerCase() });
    const upper = await api.post<PlacedOrder>('/orders', body, { 'Idempotency-Key': key.toUpperCase() });

    expect([lower.status, upper.status]).toEqual([201, 201]);
    // Keys are opaque tokens: another client's `ABC` must not get the answer to `abc`.
    expect(upper.headers.get('idempotent-replayed')).toBeNull();
    expect(upper.body.orderId).not.toBe(lower.body.orderId);
    expect(await stockOf(product.productId)).toBe(8);
  });

  it('answers 5 concurrent requests with one key for a refused command with the same 409 and no effect', async () => {
    const customer = await api.registerCustomer();
    const product = await api.addProduct({ stock: 1 });
    const key = uniqueName('key');
    const body = { customerId: customer.customerId, items: [{ productId: product.productId, quantity: 3 }] };
    const before = await snapshotWriteModel(shop);

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api.post<Problem>('/orders', body, { 'Idempotency-Key': key })),
    );

    expect(responses.map((r) => r.status)).toEqual([409, 409, 409, 409, 409]);
    for (const response of responses) {
      expect(response.body).toMatchObject({
        type: problemType('insufficient-stock'),
        available: 1,
        requested: 3,
      });
    }
    const after = await snapshotWriteModel(shop);
    expect(after.outbox).toEqual(before.outbox);
    expect(after.products).toEqual(before.products);
    expect(after.rowCounts.orders).toBe(before.rowCounts.orders);
    expect(after.rowCounts.idempotency_keys).toBe(before.rowCounts.idempotency_keys + 1);
    expect(await idempotencyRecord(key)).toMatchObject({ status: 409 });
  });
});
