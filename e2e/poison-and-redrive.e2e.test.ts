import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { analyticsKeys } from '@cqrs-shop/read-models';
import { readTopics } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { checkConvergence, oneCustomerOneProduct, partitionOfOrder, succeed, suiteForTests } from './support';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

// The poison: a stray key of the wrong type where the analytics projector keeps one order's
// snapshot (a leftover of an old version, an operator's slip). Every apply of that order fails
// with WRONGTYPE until the key is removed — a cause that is real, persistent and fixable.
describe('a poison event in the analytics projection', () => {
  const running = suiteForTests({
    env: { 'projector-analytics': { PROJECTOR_ATTEMPTS: '2', PROJECTOR_RETRY_BUDGET: '0s' } },
  });
  const redis = new Redis(process.env.REDIS_URL ?? '');

  afterAll(() => {
    redis.disconnect();
  });

  it('is dead-lettered with its error and parks its aggregate only; redrive repairs it once the cause is gone', async () => {
    const suite = running();
    const { place } = await oneCustomerOneProduct(suite, 'Poison', 700);

    await suite.stop('projector-analytics');
    const poisoned = await place();
    // Where the live (first) version keeps this order's snapshot.
    const strayKey = analyticsKeys(suite.names.keyPrefix, 1).order(poisoned.orderId);
    await redis.hset(strayKey, 'left', 'over');
    // Other orders, at least two of them on the poisoned order's partition (behind its poison).
    const poisonedPartition = partitionOfOrder(poisoned.orderId);
    const others: Awaited<ReturnType<typeof place>>[] = [];
    const neighbours = () => others.filter((o) => partitionOfOrder(o.orderId) === poisonedPartition).length;
    while ((others.length < 24 || neighbours() < 2) && others.length < 200) others.push(await place());
    const paid = await succeed(suite, `/orders/${poisoned.orderId}/pay`);
    await suite.start('projector-analytics');
    await suite.caughtUp();

    // The poison and the event parked behind it are dead letters, with the error.
    const deadLetters = await readTopics(
      brokers,
      [deadLetterTopicFor('analytics', suite.names.topicPrefix)],
      (seen) => seen.length >= 2,
    );
    expect(deadLetters.map((m) => m.key)).toEqual([poisoned.orderId, poisoned.orderId]);
    // The store refuses the write before changing anything, and will again: parked at once.
    expect(deadLetters[0]?.headers['dead-letter-reason']).toMatch(/^refused by the store: .*WRONGTYPE/);
    expect(deadLetters[0]?.headers['event-type']).toBe('OrderPlaced');
    expect(deadLetters[1]?.headers['dead-letter-reason']).toBe(
      'parked behind an earlier event of the same aggregate',
    );
    expect(deadLetters[1]?.headers['event-type']).toBe('OrderPaid');

    // Every other order is counted, including those on the poisoned order's partition.
    const orders = await readTopics(
      brokers,
      [eventTopics(suite.names.topicPrefix).order],
      (seen) => seen.length >= others.length + 2,
    );
    const partitionInKafka = new Map(orders.map((m) => [m.key, m.partition]));
    const inPoisonedPartition = others.filter(
      (o) => partitionInKafka.get(o.orderId) === partitionInKafka.get(poisoned.orderId),
    );
    expect(inPoisonedPartition.length).toBeGreaterThanOrEqual(2);
    const sales = await suite.query('/stats/sales');
    expect(sales.body).toMatchObject({
      ordersPlaced: others.length,
      ordersByStatus: { PLACED: others.length },
    });

    const status = await suite.ops<{
      projections: { name: string; parkedAggregates: number; deadLettered: number }[];
    }>('/projections');
    expect(status.body.projections.find((p) => p.name === 'analytics')).toMatchObject({
      parkedAggregates: 1,
      deadLettered: 2,
    });
    const before = await checkConvergence(suite, ['analytics']);
    expect(before.code).toBe(1);
    expect(before.report.readModels[0]?.differences.map((d) => d.aggregate)).toContain(
      `order:${poisoned.orderId}`,
    );

    // While the cause is there, a redrive stops at it and leaves the aggregate parked.
    const refused = await suite.send('projector-analytics', 'POST', '/projection/redrive', {
      aggregate: `order:${poisoned.orderId}`,
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      redriven: false,
      reason: expect.stringContaining('WRONGTYPE') as string,
    });

    await redis.del(strayKey);
    const redriven = await suite.send('projector-analytics', 'POST', '/projection/redrive', {
      aggregate: `order:${poisoned.orderId}`,
    });
    expect(redriven.status).toBe(200);
    expect(redriven.body).toMatchObject({ redriven: true, applied: 2 });

    const after = await suite.query('/stats/sales', { 'X-Consistency-Token': paid.consistencyToken });
    expect(after.body).toMatchObject({
      ordersPlaced: others.length + 1,
      ordersByStatus: { PLACED: others.length, PAID: 1 },
      grossRevenueCents: 700,
    });
    const clean = await checkConvergence(suite);
    expect(clean.report.differenceCount).toBe(0);
    expect(clean.code).toBe(0);
  });
});
