import { randomUUID } from 'node:crypto';
import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import {
  readTopics,
  testEventMessage,
  testEventMessageInSchema,
  testEventMessageInUnknownSchema,
  waitFor,
} from '@cqrs-shop/testing';
import { Kafka, logLevel } from 'kafkajs';
import { succeed, suiteForTests } from './support';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

// Topics that hold events of both schema versions: v1 ones as a producer from before the v2
// schemas writes them (straight to the topics), v2 ones from today's command service.
describe('topics holding v1 and v2 events, and one written with a schema nobody knows', () => {
  const running = suiteForTests();
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true });

  beforeAll(() => producer.connect());
  afterAll(() => producer.disconnect());

  it('projects v1 and v2 events alike, and dead-letters the unknown one with the reason', async () => {
    const suite = running();
    const topics = eventTopics(suite.names.topicPrefix);
    const suffix = randomUUID().slice(0, 8);
    const product = await succeed<{ productId: string }>(suite, '/products', {
      sku: `EVO-${suffix}`,
      name: 'Evolving kettle',
      priceCents: 2_500,
      currency: 'EUR',
      stock: 100,
    });
    const line = {
      productId: product.productId,
      sku: `EVO-${suffix}`,
      productName: 'Evolving kettle',
      quantity: 1,
      unitPriceCents: 2_500,
      lineTotalCents: 2_500,
    };

    // v1: a customer with one name, an order without a channel.
    const [oldCustomer, oldOrder] = [randomUUID(), randomUUID()];
    await producer.send({
      topic: topics.customer,
      messages: [
        testEventMessageInSchema('CustomerRegistered', oldCustomer, 1, 1, {
          customerId: oldCustomer,
          name: `Old Timer ${suffix}`,
          email: `old.${suffix}@example.com`,
        }),
      ],
    });
    await producer.send({
      topic: topics.order,
      messages: [
        testEventMessageInSchema('OrderPlaced', oldOrder, 1, 1, {
          orderId: oldOrder,
          customerId: oldCustomer,
          lines: [line],
          totalCents: 2_500,
          currency: 'EUR',
        }),
        testEventMessage('OrderPaid', oldOrder, 2, {
          orderId: oldOrder,
          amountCents: 2_500,
          currency: 'EUR',
        }),
      ],
    });
    // v2: through the command service, with the new fields.
    const newCustomer = await succeed<{ customerId: string }>(suite, '/customers', {
      givenName: 'Nova',
      familyName: `Newcomer${suffix}`,
      email: `new.${suffix}@example.com`,
    });
    const newOrder = await succeed<{ orderId: string }>(suite, '/orders', {
      customerId: newCustomer.customerId,
      items: [{ productId: product.productId, quantity: 1 }],
      channel: 'MOBILE_APP',
    });

    const tokens = {
      'X-Consistency-Token': [
        running().identity.consistencyTokens.encode({
          aggregateType: 'order',
          aggregateId: oldOrder,
          version: 2,
        }),
        running().identity.consistencyTokens.encode({
          aggregateType: 'customer',
          aggregateId: oldCustomer,
          version: 1,
        }),
        newOrder.consistencyToken,
        newCustomer.consistencyToken,
      ].join(','),
    };
    const oldDocument = await suite.query(`/orders/${oldOrder}`, tokens);
    expect(oldDocument.body).toMatchObject({
      channel: 'WEB',
      status: 'PAID',
      customer: { name: `Old Timer ${suffix}`, email: `old.${suffix}@example.com` },
    });
    const newDocument = await suite.query(`/orders/${newOrder.orderId}`, tokens);
    expect(newDocument.body).toMatchObject({
      channel: 'MOBILE_APP',
      status: 'PLACED',
      customer: { name: `Nova Newcomer${suffix}` },
    });
    const found = await suite.query<{ items: { orderId: string; channel: string; customerName: string }[] }>(
      `/search/orders?q=EVO-${suffix}`,
      tokens,
    );
    expect(found.body.items.map((o) => [o.orderId, o.channel, o.customerName]).sort()).toEqual(
      [
        [oldOrder, 'WEB', `Old Timer ${suffix}`],
        [newOrder.orderId, 'MOBILE_APP', `Nova Newcomer${suffix}`],
      ].sort(),
    );
    const sales = await suite.query('/stats/sales', tokens);
    expect(sales.body).toMatchObject({ ordersPlaced: 2, ordersByStatus: { PAID: 1, PLACED: 1 } });

    // A writer with a schema this code does not know: not guessed at, but dead-lettered by
    // each projection that reads orders, with the reason, and its aggregate parked.
    const stranger = randomUUID();
    await producer.send({
      topic: topics.order,
      messages: [
        testEventMessageInUnknownSchema('OrderPlaced', stranger, 1, {
          orderId: stranger,
          customerId: newCustomer.customerId,
          lines: [line],
          totalCents: 2_500,
          currency: 'EUR',
          channel: 'PHONE',
        }),
      ],
    });
    await suite.caughtUp();
    for (const projection of ['order-history', 'search', 'analytics']) {
      const [deadLetter] = await readTopics(
        brokers,
        [deadLetterTopicFor(projection, suite.names.topicPrefix)],
        (seen) => seen.length >= 1,
      );
      expect(deadLetter?.key).toBe(stranger);
      expect(deadLetter?.headers['dead-letter-reason']).toMatch(
        /^cannot be decoded: .*unknown schema \(fingerprint 0123456789abcdef\)/,
      );
    }
    expect((await suite.query(`/orders/${stranger}`)).status).toBe(404);
    await waitFor('every projection to show the parked order', async () => {
      const status = await suite.ops<{ projections: { parkedAggregates: number | null }[] }>('/projections');
      return status.body.projections.every((p) => p.parkedAggregates === 1);
    });
  });
});
