import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import type { EventPayloads } from '@cqrs-shop/events';
import { searchIndices } from '@cqrs-shop/read-models';
import { dropIndices, testEnvelope, uniqueName } from '@cqrs-shop/testing';
import { ElasticsearchSearchStore } from '@cqrs-shop/read-models';
import { searchVersions } from '@cqrs-shop/read-models';

describe('ElasticsearchSearchStore (real Elasticsearch)', () => {
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const prefix = uniqueName('test').toLowerCase();
  const store = new ElasticsearchSearchStore(es, prefix, 1);

  beforeAll(async () => {
    const { catalog } = searchVersions(es, prefix);
    await catalog.create(1);
    await catalog.create(1); // safe to repeat
  });

  afterAll(async () => {
    await dropIndices(es, prefix);
    await es.close();
  });

  it('indexes an order that arrived before its customer, completes it when the customer arrives, and finds it', async () => {
    const [orderId, customerId, productId] = [randomUUID(), randomUUID(), randomUUID()];
    const placed: EventPayloads['OrderPlaced'] = {
      orderId,
      customerId,
      lines: [
        {
          productId,
          sku: 'MUG-1',
          productName: 'Blue coffee mug',
          quantity: 2,
          unitPriceCents: 1_200,
          lineTotalCents: 2_400,
        },
      ],
      totalCents: 2_400,
      currency: 'EUR',
      channel: 'WEB',
    };
    expect(await store.applyEvent(testEnvelope('OrderPlaced', orderId, 1), placed)).toBe('applied');
    expect(await store.order(orderId)).toMatchObject({ customerName: null, status: 'PLACED', version: 1 });

    expect(
      await store.applyEvent(testEnvelope('CustomerRegistered', customerId, 1), {
        customerId,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        givenName: null,
        familyName: null,
      }),
    ).toBe('applied');
    expect(await store.order(orderId)).toMatchObject({
      customerName: 'Ada Lovelace',
      customerEmail: 'ada@example.com',
    });

    const paid = testEnvelope('OrderPaid', orderId, 2);
    expect(await store.applyEvent(paid, { orderId, amountCents: 2_400, currency: 'EUR' })).toBe('applied');
    expect(await store.applyEvent(paid, { orderId, amountCents: 2_400, currency: 'EUR' })).toBe(
      'already-applied',
    );

    await es.indices.refresh({ index: store.indices.orders });
    const found = await es.search({
      index: store.indices.orders,
      query: { bool: { must: { match: { productNames: 'coffee' } }, filter: { term: { status: 'PAID' } } } },
    });
    expect(found.hits.hits.map((hit) => hit._id)).toEqual([orderId]);
  });

  it('keeps a product document current through price and stock changes, ignoring redelivery', async () => {
    const productId = randomUUID();
    await store.applyEvent(testEnvelope('ProductAdded', productId, 1), {
      productId,
      sku: 'TEE-1',
      name: 'Plain cotton shirt',
      description: null,
      priceCents: 1_900,
      currency: 'EUR',
      stock: 10,
    });
    const priceChanged = testEnvelope('ProductPriceChanged', productId, 2);
    const change = { productId, previousPriceCents: 1_900, priceCents: 1_700, currency: 'EUR' };
    expect(await store.applyEvent(priceChanged, change)).toBe('applied');
    expect(await store.applyEvent(priceChanged, change)).toBe('already-applied');
    expect(
      await store.applyEvent(testEnvelope('StockReserved', productId, 3), {
        productId,
        orderId: randomUUID(),
        quantity: 3,
        stock: 7,
      }),
    ).toBe('applied');
    expect(await store.product(productId)).toMatchObject({ priceCents: 1_700, stock: 7, version: 3 });
  });

  it('writes an event once when several deliveries of it race', async () => {
    const productId = randomUUID();
    const added = testEnvelope('ProductAdded', productId, 1);
    const payload = {
      productId,
      sku: 'MUG-9',
      name: 'Mug',
      description: null,
      priceCents: 1,
      currency: 'EUR',
      stock: 1,
    };
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => store.applyEvent(added, payload)));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
  });

  it('moves a checkpoint whose document changed only in version (a restart gives a new primary term), not one another member moved', async () => {
    const [topic, partition] = ['shop.orders.v1', 3];
    const id = `${topic}:${partition}`;
    const index = searchIndices(prefix, 1).checkpoints;
    const move = async (from: number | null, next: number) =>
      (await store.prepare([])).write([{ topic, partition, from, next }]);
    expect(await move(null, 10)).toMatchObject({ checkpointed: true });

    // The same position written again from elsewhere: its _seq_no moves on, its value does not.
    await es.index({ index, id, document: { next: 10 }, refresh: true });
    expect(await move(10, 20)).toMatchObject({ checkpointed: true });
    expect((await store.checkpoints([topic])).find((c) => c.partition === partition)?.next).toBe(20);

    // Another member moved it on: the move is refused, and the checkpoint stays where it put it.
    await es.index({ index, id, document: { next: 25 }, refresh: true });
    expect(await move(20, 30)).toMatchObject({ checkpointed: false, checkpointMoved: true });
    expect((await store.checkpoints([topic])).find((c) => c.partition === partition)?.next).toBe(25);
  });
});
