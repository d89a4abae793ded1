import { MAX_CENTS } from '../src/domain/index';
import { testIdentity } from '@cqrs-shop/testing';
import {
  type CommandApiClient,
  commandApiClient,
  type OrderAnswer,
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

describe('command API: orders (real MariaDB)', () => {
  let shop: CommandApiUnderTest;
  let api: CommandApiClient;

  beforeAll(async () => {
    shop = await startCommandApi();
    api = commandApiClient(shop.baseUrl);
  });

  afterAll(() => shop.close());

  async function productRow(productId: string) {
    const [row] = await shop.query('SELECT stock, version FROM products WHERE id = ?', [productId]);
    return { stock: row?.stock as number, version: row?.version as number };
  }

  async function orderRow(orderId: string) {
    const [row] = await shop.query(
      'SELECT status, version, total_cents, currency, refund_cents FROM orders WHERE id = ?',
      [orderId],
    );
    return {
      status: row?.status as string,
      version: row?.version as number,
      totalCents: Number(row?.total_cents),
      currency: row?.currency as string,
      refundCents: row?.refund_cents === null ? null : Number(row?.refund_cents),
    };
  }

  async function orderLines(orderId: string) {
    const rows = await shop.query(
      `SELECT line_no, product_id, quantity, unit_price_cents, line_total_cents
       FROM order_lines WHERE order_id = ? ORDER BY line_no`,
      [orderId],
    );
    return rows.map((row) => ({
      lineNo: row.line_no as number,
      productId: row.product_id as string,
      quantity: row.quantity as number,
      unitPriceCents: Number(row.unit_price_cents),
      lineTotalCents: Number(row.line_total_cents),
    }));
  }

  describe('stock', () => {
    it('sells a product with 10 units to exactly 10 of 50 concurrent orders and refuses the other 40 with insufficient-stock', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ stock: 10, priceCents: 1_250, currency: 'EUR' });

      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          api.post('/orders', {
            customerId: customer.customerId,
            items: [{ productId: product.productId, quantity: 1 }],
          }),
        ),
      );

      const accepted = responses.filter((r) => r.status === 201).map((r) => r.body as PlacedOrder);
      const refused = responses.filter((r) => r.status === 409).map((r) => r.body);
      expect(accepted).toHaveLength(10);
      expect(refused).toHaveLength(40);
      for (const order of accepted) {
        expect(order).toMatchObject({ status: 'PLACED', totalCents: 1_250, currency: 'EUR', version: 1 });
      }
      for (const problem of refused) {
        expect(problem).toMatchObject({
          type: problemType('insufficient-stock'),
          status: 409,
          productId: product.productId,
          requested: 1,
          available: 0,
        });
      }

      expect(await productRow(product.productId)).toEqual({ stock: 0, version: 11 });
      const acceptedIds = accepted.map((order) => order.orderId).sort();
      const placedRows = await shop.query('SELECT id FROM orders WHERE customer_id = ? ORDER BY id', [
        customer.customerId,
      ]);
      expect(placedRows.map((row) => row.id as string)).toEqual(acceptedIds);

      const outbox = await readOutbox(shop);
      const placed = payloadsOf(outbox, 'OrderPlaced').filter((p) => p.customerId === customer.customerId);
      expect(placed).toHaveLength(10);
      expect(placed.map((p) => p.orderId).sort()).toEqual(acceptedIds);
      for (const payload of placed) {
        expect(payload).toMatchObject({
          totalCents: 1_250,
          currency: 'EUR',
          lines: [
            { productId: product.productId, quantity: 1, unitPriceCents: 1_250, lineTotalCents: 1_250 },
          ],
        });
      }

      const reserved = outbox.filter(
        (e) => e.eventType === 'StockReserved' && e.aggregateId === product.productId,
      );
      expect(reserved.map((e) => e.aggregateVersion)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const reservations = payloadsOf(reserved, 'StockReserved');
      expect(reservations.map((p) => p.stock)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      expect(reservations.map((p) => p.orderId).sort()).toEqual(acceptedIds);
    });

    it('places concurrent orders naming the same two products in either order without losing or double-selling a unit', async () => {
      const customer = await api.registerCustomer();
      const keyboard = await api.addProduct({ stock: 10 });
      const mouse = await api.addProduct({ stock: 10 });
      const forwards = [keyboard, mouse].map((p) => ({ productId: p.productId, quantity: 1 }));
      const backwards = [...forwards].reverse();

      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api.post<Problem>('/orders', {
            customerId: customer.customerId,
            items: i % 2 ? forwards : backwards,
          }),
        ),
      );

      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(10);
      expect(statuses.filter((s) => s === 409)).toHaveLength(10);
      for (const refused of responses.filter((r) => r.status === 409)) {
        expect(refused.body).toMatchObject({ type: problemType('insufficient-stock'), available: 0 });
      }
      expect(await productRow(keyboard.productId)).toEqual({ stock: 0, version: 11 });
      expect(await productRow(mouse.productId)).toEqual({ stock: 0, version: 11 });
    });

    it('counts every one of 20 concurrent restocks: stock and version grow by 20, with contiguous event versions', async () => {
      const product = await api.addProduct({ stock: 0 });

      const responses = await Promise.all(
        Array.from({ length: 20 }, () => api.post(`/products/${product.productId}/restock`, { quantity: 3 })),
      );

      expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
      expect(responses.map((r) => r.body.version).sort((a, b) => Number(a) - Number(b))).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
      expect(await productRow(product.productId)).toEqual({ stock: 60, version: 21 });
      const restocked = (await readOutbox(shop, product.productId)).filter(
        (e) => e.eventType === 'ProductRestocked',
      );
      expect(restocked.map((e) => e.aggregateVersion)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      expect(payloadsOf(restocked, 'ProductRestocked').map((p) => p.stock)).toEqual(
        Array.from({ length: 20 }, (_, i) => 3 * (i + 1)),
      );
    });
  });

  describe('lifecycle', () => {
    it('takes an order from PLACED through PAID to SHIPPED at versions 1, 2 and 3, with matching ETags and consistency tokens', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ stock: 3 });

      const placed = await api.post<PlacedOrder>('/orders', {
        customerId: customer.customerId,
        items: [{ productId: product.productId, quantity: 2 }],
      });
      expect(placed.status).toBe(201);
      const { orderId } = placed.body;
      const paid = await api.post<OrderAnswer>(`/orders/${orderId}/pay`);
      const shipped = await api.post<OrderAnswer>(`/orders/${orderId}/ship`);

      const steps = [
        { response: placed, status: 'PLACED', version: 1 },
        { response: paid, status: 'PAID', version: 2 },
        { response: shipped, status: 'SHIPPED', version: 3 },
      ];
      for (const { response, status, version } of steps) {
        expect(response.body).toMatchObject({ orderId, status, version });
        expect(response.status).toBe(status === 'PLACED' ? 201 : 200);
        expect(response.headers.get('etag')).toBe(`"${version}"`);
        expect(testIdentity().consistencyTokens.decode(response.body.consistencyToken)).toEqual({
          aggregateType: 'order',
          aggregateId: orderId,
          version,
        });
      }
      expect(await orderRow(orderId)).toMatchObject({ status: 'SHIPPED', version: 3 });
      const events = await readOutbox(shop, orderId);
      expect(events.map((e) => [e.eventType, e.aggregateVersion])).toEqual([
        ['OrderPlaced', 1],
        ['OrderPaid', 2],
        ['OrderShipped', 3],
      ]);
    });

    it('refuses transitions the lifecycle does not allow with 409 invalid-transition naming both states, changing nothing', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ stock: 5 });
      const placed = await api.placeOrder(customer.customerId, [
        { productId: product.productId, quantity: 1 },
      ]);
      const shipped = await api.placeOrder(customer.customerId, [
        { productId: product.productId, quantity: 1 },
      ]);
      await api.moveOrder(shipped.orderId, 'pay');
      await api.moveOrder(shipped.orderId, 'ship');
      const before = await snapshotWriteModel(shop);

      const refusals = [
        { orderId: placed.orderId, action: 'ship', from: 'PLACED', to: 'SHIPPED' },
        { orderId: shipped.orderId, action: 'pay', from: 'SHIPPED', to: 'PAID' },
        { orderId: shipped.orderId, action: 'cancel', from: 'SHIPPED', to: 'CANCELLED' },
        { orderId: shipped.orderId, action: 'ship', from: 'SHIPPED', to: 'SHIPPED' },
      ];
      for (const { orderId, action, from, to } of refusals) {
        const response = await api.post<Problem>(`/orders/${orderId}/${action}`);
        expect(response.status).toBe(409);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({
          type: problemType('invalid-transition'),
          status: 409,
          orderId,
          from,
          to,
        });
        // ETags stand for aggregate versions only; a refusal other than version-mismatch has none.
        expect(response.headers.get('etag')).toBeNull();
      }

      const after = await snapshotWriteModel(shop);
      expect(exceptAudit(after)).toEqual(exceptAudit(before));
      expect(after.rowCounts.command_audit).toBe(before.rowCounts.command_audit + refusals.length);
    });

    it('lets one of 5 concurrent payments of an order through and refuses the other 4 as invalid-transition from PAID', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ stock: 1 });
      const order = await api.placeOrder(customer.customerId, [
        { productId: product.productId, quantity: 1 },
      ]);

      const responses = await Promise.all(
        Array.from({ length: 5 }, () => api.post<Problem>(`/orders/${order.orderId}/pay`)),
      );

      expect(responses.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
      for (const refused of responses.filter((r) => r.status === 409)) {
        expect(refused.body).toMatchObject({
          type: problemType('invalid-transition'),
          from: 'PAID',
          to: 'PAID',
        });
      }
      expect(await orderRow(order.orderId)).toMatchObject({ status: 'PAID', version: 2 });
      const events = await readOutbox(shop, order.orderId);
      expect(events.map((e) => [e.eventType, e.aggregateVersion])).toEqual([
        ['OrderPlaced', 1],
        ['OrderPaid', 2],
      ]);
    });

    it('cancels a paid order with a refund of its total and gives its stock back', async () => {
      const customer = await api.registerCustomer();
      const keyboard = await api.addProduct({ stock: 5, priceCents: 300 });
      const mouse = await api.addProduct({ stock: 4, priceCents: 250 });
      const order = await api.placeOrder(customer.customerId, [
        { productId: keyboard.productId, quantity: 2 },
        { productId: mouse.productId, quantity: 1 },
      ]);
      expect(order.totalCents).toBe(850);
      await api.moveOrder(order.orderId, 'pay');
      expect(await productRow(keyboard.productId)).toEqual({ stock: 3, version: 2 });

      const cancelled = await api.moveOrder(order.orderId, 'cancel');

      expect(cancelled).toMatchObject({ orderId: order.orderId, status: 'CANCELLED', version: 3 });
      expect(await orderRow(order.orderId)).toEqual({
        status: 'CANCELLED',
        version: 3,
        totalCents: 850,
        currency: 'EUR',
        refundCents: 850,
      });
      expect(await productRow(keyboard.productId)).toEqual({ stock: 5, version: 3 });
      expect(await productRow(mouse.productId)).toEqual({ stock: 4, version: 3 });

      const orderEvents = await readOutbox(shop, order.orderId);
      expect(orderEvents.map((e) => [e.eventType, e.aggregateVersion])).toEqual([
        ['OrderPlaced', 1],
        ['OrderPaid', 2],
        ['OrderCancelled', 3],
      ]);
      expect(payloadsOf(orderEvents, 'OrderCancelled')).toEqual([
        { orderId: order.orderId, previousStatus: 'PAID', refundCents: 850, currency: 'EUR' },
      ]);
      const keyboardEvents = await readOutbox(shop, keyboard.productId);
      expect(keyboardEvents.map((e) => [e.eventType, e.aggregateVersion])).toEqual([
        ['ProductAdded', 1],
        ['StockReserved', 2],
        ['StockReleased', 3],
      ]);
      expect(payloadsOf(keyboardEvents, 'StockReleased')).toEqual([
        { productId: keyboard.productId, orderId: order.orderId, quantity: 2, stock: 5 },
      ]);
      expect(payloadsOf(await readOutbox(shop, mouse.productId), 'StockReleased')).toEqual([
        { productId: mouse.productId, orderId: order.orderId, quantity: 1, stock: 4 },
      ]);
    });

    it('cancels a placed order without a refund and gives its stock back', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ stock: 2, priceCents: 700 });
      const order = await api.placeOrder(customer.customerId, [
        { productId: product.productId, quantity: 2 },
      ]);

      const cancelled = await api.moveOrder(order.orderId, 'cancel');

      expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 2 });
      expect(await orderRow(order.orderId)).toMatchObject({ status: 'CANCELLED', refundCents: null });
      expect(await productRow(product.productId)).toEqual({ stock: 2, version: 3 });
      expect(payloadsOf(await readOutbox(shop, order.orderId), 'OrderCancelled')).toEqual([
        { orderId: order.orderId, previousStatus: 'PLACED', refundCents: null, currency: 'EUR' },
      ]);
      expect(payloadsOf(await readOutbox(shop, product.productId), 'StockReleased')).toEqual([
        { productId: product.productId, orderId: order.orderId, quantity: 2, stock: 2 },
      ]);
    });
  });

  describe('pricing and placement rules', () => {
    it('prices each line from the catalogue at placement; a later price change leaves placed orders alone', async () => {
      const customer = await api.registerCustomer();
      const keyboard = await api.addProduct({ stock: 10, priceCents: 1_999 });
      const cable = await api.addProduct({ stock: 10, priceCents: 500 });

      const first = await api.placeOrder(customer.customerId, [
        { productId: keyboard.productId, quantity: 3 },
        { productId: cable.productId, quantity: 2 },
      ]);
      expect(first).toMatchObject({ totalCents: 6_997, currency: 'EUR' });
      const firstLines = [
        {
          lineNo: 1,
          productId: keyboard.productId,
          quantity: 3,
          unitPriceCents: 1_999,
          lineTotalCents: 5_997,
        },
        { lineNo: 2, productId: cable.productId, quantity: 2, unitPriceCents: 500, lineTotalCents: 1_000 },
      ];
      expect(await orderLines(first.orderId)).toEqual(firstLines);

      const repriced = await api.post<{ version: number }>(`/products/${keyboard.productId}/price`, {
        priceCents: 2_500,
      });
      expect(repriced.status).toBe(200);
      expect(repriced.body).toMatchObject({ productId: keyboard.productId, version: 3 });

      const second = await api.placeOrder(customer.customerId, [
        { productId: keyboard.productId, quantity: 1 },
      ]);
      expect(second).toMatchObject({ totalCents: 2_500, currency: 'EUR' });
      expect(await orderLines(second.orderId)).toEqual([
        {
          lineNo: 1,
          productId: keyboard.productId,
          quantity: 1,
          unitPriceCents: 2_500,
          lineTotalCents: 2_500,
        },
      ]);

      expect(await orderRow(first.orderId)).toMatchObject({ totalCents: 6_997, version: 1 });
      expect(await orderLines(first.orderId)).toEqual(firstLines);
      const [placedFirst] = payloadsOf(await readOutbox(shop, first.orderId), 'OrderPlaced');
      expect(placedFirst?.totalCents).toBe(6_997);
      expect(placedFirst?.lines.map((line) => line.unitPriceCents)).toEqual([1_999, 500]);
    });

    it('accepts the current price again as a no-op: same version, no event', async () => {
      const product = await api.addProduct({ priceCents: 1_234 });
      const before = await snapshotWriteModel(shop);

      const response = await api.post(`/products/${product.productId}/price`, { priceCents: 1_234 });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ productId: product.productId, version: 1 });
      expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    });

    it('refuses an order whose total cannot be counted exactly in cents with 400 naming the line', async () => {
      const customer = await api.registerCustomer();
      const pricey = await api.addProduct({ priceCents: MAX_CENTS / 2 + 1, stock: 5 });
      const before = await snapshotWriteModel(shop);

      const response = await api.post<Problem>('/orders', {
        customerId: customer.customerId,
        items: [{ productId: pricey.productId, quantity: 2 }],
      });

      expect(response.status).toBe(400);
      expect(response.body.type).toBe(problemType('invalid-request'));
      expect(response.body.errors?.map((e) => e.field)).toEqual(['items[0].quantity']);
      expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    });

    it('accepts a price at the documented maximum and refuses one cent more, writing nothing', async () => {
      const document = await api.send<{ paths: Record<string, unknown> }>('/openapi.json', { method: 'GET' });
      expect(JSON.stringify(document.body.paths['/products'])).toContain(`"maximum":${MAX_CENTS}`);

      const atMaximum = await api.post<Problem>('/products', {
        sku: 'MAX-PRICE',
        name: 'Priceless',
        priceCents: MAX_CENTS,
        currency: 'EUR',
        stock: 1,
      });
      expect(atMaximum.status).toBe(201);

      const before = await snapshotWriteModel(shop);
      const overMaximum = await api.post<Problem>('/products', {
        sku: 'OVER-PRICE',
        name: 'Too pricey',
        priceCents: MAX_CENTS + 1,
        currency: 'EUR',
        stock: 1,
      });
      expect(overMaximum.status).toBe(400);
      expect(overMaximum.body.errors?.map((e) => e.field)).toEqual(['priceCents']);
      expect(await snapshotWriteModel(shop)).toEqual(before);
    });

    it('refuses an order mixing EUR and USD products with 409 mixed-currencies, writing nothing', async () => {
      const customer = await api.registerCustomer();
      const euro = await api.addProduct({ currency: 'EUR' });
      const dollar = await api.addProduct({ currency: 'USD' });
      const before = await snapshotWriteModel(shop);

      const response = await api.post<Problem>('/orders', {
        customerId: customer.customerId,
        items: [
          { productId: euro.productId, quantity: 1 },
          { productId: dollar.productId, quantity: 1 },
        ],
      });

      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        type: problemType('mixed-currencies'),
        currencies: ['EUR', 'USD'],
      });
      expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    });

    it('answers 404 not-found for an unknown customer', async () => {
      const product = await api.addProduct();
      const customerId = '00000000-0000-4000-8000-000000000001';
      const before = await snapshotWriteModel(shop);

      const response = await api.post<Problem>('/orders', {
        customerId,
        items: [{ productId: product.productId, quantity: 1 }],
      });

      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({
        type: problemType('not-found'),
        aggregateType: 'customer',
        id: customerId,
      });
      expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    });

    it('answers 404 not-found for an unknown product', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct();
      const unknown = '00000000-0000-4000-8000-0000000000ff';
      const before = await snapshotWriteModel(shop);

      const response = await api.post<Problem>('/orders', {
        customerId: customer.customerId,
        items: [
          { productId: product.productId, quantity: 1 },
          { productId: unknown, quantity: 1 },
        ],
      });

      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({
        type: problemType('not-found'),
        aggregateType: 'product',
        id: unknown,
      });
      expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    });

    it('answers 404 not-found for an unknown order', async () => {
      const orderId = '00000000-0000-4000-8000-00000000abcd';
      const response = await api.post<Problem>(`/orders/${orderId}/pay`);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({
        type: problemType('not-found'),
        aggregateType: 'order',
        id: orderId,
      });
    });

    it('refuses an order listing the same product twice with 400, writing nothing', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct();
      const before = await snapshotWriteModel(shop);

      const response = await api.post<Problem>('/orders', {
        customerId: customer.customerId,
        items: [
          { productId: product.productId, quantity: 1 },
          { productId: product.productId, quantity: 2 },
        ],
      });

      expect(response.status).toBe(400);
      expect(response.body.type).toBe(problemType('invalid-request'));
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors?.[0]?.field).toBe('items');
      expect(response.body.errors?.[0]?.message).toContain(product.productId);
      expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    });
  });

  describe('If-Match', () => {
    it('applies a command whose If-Match is the current version, quoted as an ETag or bare', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct();
      const order = await api.placeOrder(customer.customerId, [
        { productId: product.productId, quantity: 1 },
      ]);

      const paid = await api.post<OrderAnswer>(`/orders/${order.orderId}/pay`, undefined, {
        'If-Match': '"1"',
      });
      const shipped = await api.post<OrderAnswer>(`/orders/${order.orderId}/ship`, undefined, {
        'If-Match': '2',
      });

      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ status: 'PAID', version: 2 });
      expect(shipped.status).toBe(200);
      expect(shipped.body).toMatchObject({ status: 'SHIPPED', version: 3 });
    });

    it('refuses a stale If-Match with 409 version-mismatch and the current version, changing nothing', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ priceCents: 900 });
      const order = await api.placeOrder(customer.customerId, [
        { productId: product.productId, quantity: 1 },
      ]);
      await api.moveOrder(order.orderId, 'pay');
      const before = await snapshotWriteModel(shop);

      const cancel = await api.post<Problem>(`/orders/${order.orderId}/cancel`, undefined, {
        'If-Match': '"1"',
      });
      const reprice = await api.post<Problem>(
        `/products/${product.productId}/price`,
        { priceCents: 1_000 },
        { 'If-Match': '"1"' },
      );

      expect(cancel.status).toBe(409);
      expect(cancel.body).toMatchObject({
        type: problemType('version-mismatch'),
        currentVersion: 2,
        expectedVersion: 1,
      });
      expect(reprice.status).toBe(409);
      expect(reprice.body).toMatchObject({
        type: problemType('version-mismatch'),
        currentVersion: 2,
        expectedVersion: 1,
      });
      const after = await snapshotWriteModel(shop);
      expect(exceptAudit(after)).toEqual(exceptAudit(before));
      expect(after.rowCounts.command_audit).toBe(before.rowCounts.command_audit + 2);
    });

    it('sends the current version as the ETag of a version-mismatch answer, so the client can retry with it', async () => {
      const product = await api.addProduct();
      await api.post(`/products/${product.productId}/restock`, { quantity: 1 });

      const stale = await api.post<Problem>(
        `/products/${product.productId}/restock`,
        { quantity: 1 },
        { 'If-Match': '"1"' },
      );

      expect(stale.status).toBe(409);
      expect(stale.body.currentVersion).toBe(2);
      // problems.ts builds this problem with `headers: { ETag: '"2"' }`.
      expect(stale.headers.get('etag')).toBe('"2"');
    });
  });
});
