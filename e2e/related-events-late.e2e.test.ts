import { randomUUID } from 'node:crypto';
import { eventTopics } from '@cqrs-shop/events';
import { testEventMessage, waitFor } from '@cqrs-shop/testing';
import { Kafka, logLevel } from 'kafkajs';
import { suiteForTests } from './support';

// Events written straight to the suite's topics, in an order the write side cannot produce in
// one partition but that separate topics allow: the order before its customer and product.
describe('an order whose customer and product events arrive after it', () => {
  const running = suiteForTests();
  const producer = new Kafka({
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  }).producer({ idempotent: true });

  beforeAll(() => producer.connect());
  afterAll(() => producer.disconnect());

  it('is complete and correct in every read model once they arrive', async () => {
    const suite = running();
    const topics = eventTopics(suite.names.topicPrefix);
    const [orderId, customerId, productId] = [randomUUID(), randomUUID(), randomUUID()];
    const token = (aggregateType: 'order' | 'customer' | 'product') =>
      running().identity.consistencyTokens.encode({
        aggregateType,
        aggregateId: { order: orderId, customer: customerId, product: productId }[aggregateType],
        version: 1,
      });
    const line = {
      productId,
      sku: 'LATE-01',
      productName: 'Late lamp',
      quantity: 2,
      unitPriceCents: 3_000,
      lineTotalCents: 6_000,
    };

    await producer.send({
      topic: topics.order,
      messages: [
        testEventMessage('OrderPlaced', orderId, 1, {
          orderId,
          customerId,
          lines: [line],
          totalCents: 6_000,
          currency: 'EUR',
          channel: 'WEB',
        }),
      ],
    });

    // Applied, not dropped, while the customer and product are unknown.
    const early = await suite.query(`/orders/${orderId}`, { 'X-Consistency-Token': token('order') });
    expect(early.body).toMatchObject({ orderId, customer: null, status: 'PLACED', totalCents: 6_000 });
    const earlyTop = await suite.query('/stats/products/top', { 'X-Consistency-Token': token('order') });
    expect(earlyTop.body).toEqual([{ productId, sku: null, name: null, unitsSold: 2, revenueCents: 6_000 }]);

    await producer.send({
      topic: topics.customer,
      messages: [
        testEventMessage('CustomerRegistered', customerId, 1, {
          customerId,
          name: 'Late Larry',
          email: 'larry@example.com',
          givenName: 'Larry',
          familyName: 'Late',
        }),
      ],
    });
    await producer.send({
      topic: topics.product,
      messages: [
        testEventMessage('ProductAdded', productId, 1, {
          productId,
          sku: 'LATE-01',
          name: 'Late lamp',
          description: 'Arrives after its orders',
          priceCents: 3_000,
          currency: 'EUR',
          stock: 5,
        }),
      ],
    });
    const all = { 'X-Consistency-Token': [token('order'), token('customer'), token('product')].join(',') };

    const order = await suite.query(`/orders/${orderId}`, all);
    expect(order.body).toMatchObject({
      orderId,
      customerId,
      customer: { name: 'Late Larry', email: 'larry@example.com' },
      lines: [line],
      status: 'PLACED',
      version: 1,
    });
    const found = await suite.query('/search/orders?q=Larry', all);
    expect(found.body).toMatchObject({
      total: 1,
      items: [{ orderId, customerName: 'Late Larry', customerEmail: 'larry@example.com', skus: ['LATE-01'] }],
    });
    const top = await suite.query('/stats/products/top', all);
    expect(top.body).toEqual([
      { productId, sku: 'LATE-01', name: 'Late lamp', unitsSold: 2, revenueCents: 6_000 },
    ]);
    // And nothing was parked on the way.
    await waitFor('every projection to report', async () => {
      const status = await suite.ops<{ projections: { parkedAggregates: number | null }[] }>('/projections');
      return status.body.projections.every((p) => p.parkedAggregates === 0);
    });
  });
});
