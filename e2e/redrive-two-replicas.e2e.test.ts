import { deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { analyticsKeys } from '@cqrs-shop/read-models';
import { readTopics, waitFor } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import {
  checkConvergence,
  cqrs,
  oneCustomerOneProduct,
  partitionOfOrder,
  succeed,
  suiteForTests,
  TOPIC_PARTITIONS,
} from './support';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

interface Lag {
  running: boolean;
  assignment: Record<string, number[]>;
}

/**
 * Two replicas of the analytics projector share its group, so each consumes some of the
 * partitions. A redrive holds back the aggregate's new events in the member that consumes its
 * partition; sent to the other member, it must run there all the same.
 */
describe('a redrive sent to the replica that does not consume the aggregate', () => {
  const settings = { PROJECTOR_ATTEMPTS: '2', PROJECTOR_RETRY_BUDGET: '0s' };
  const running = suiteForTests({ env: { 'projector-analytics': settings } });
  const redis = new Redis(process.env.REDIS_URL ?? '');

  afterAll(() => {
    redis.disconnect();
  });

  it('is run by the replica that does, and neither loses nor double-applies an event', async () => {
    const suite = running();
    const { place } = await oneCustomerOneProduct(suite, 'Replicas');

    // The poison (as in poison-and-redrive): a stray key where analytics keeps an order's snapshot;
    // one poisoned order in each partition, so that each replica will consume some of them.
    await suite.stop('projector-analytics');
    const poisoned: string[] = [];
    const strayKeys: string[] = [];
    const healthy: string[] = [];
    const covered = new Set<number>();
    while (covered.size < TOPIC_PARTITIONS) {
      const { orderId } = await place();
      const partition = partitionOfOrder(orderId);
      if (covered.has(partition)) {
        healthy.push(orderId);
        continue;
      }
      covered.add(partition);
      poisoned.push(orderId);
      const key = analyticsKeys(suite.names.keyPrefix, 1).order(orderId);
      strayKeys.push(key);
      await redis.hset(key, 'left', 'over');
    }
    const POISONED = poisoned.length;
    for (const orderId of poisoned) await succeed(suite, `/orders/${orderId}/pay`);

    await suite.start('projector-analytics');
    const second = await suite.startReplica('projector-analytics', settings);
    const first = suite.url('projector-analytics');
    const ordersTopic = eventTopics(suite.names.topicPrefix).order;
    const lagOf = async (url: string) => (await (await fetch(`${url}/projection/lag`)).json()) as Lag;
    // Both replicas consume, and between them every partition of the orders topic.
    const assigned = await waitFor(
      'the two replicas to share the partitions',
      async () => {
        const [a, b] = [await lagOf(first), await lagOf(second.url)];
        const mine = a.assignment[ordersTopic] ?? [];
        const theirs = b.assignment[ordersTopic] ?? [];
        return mine.length > 0 && theirs.length > 0 && mine.length + theirs.length === TOPIC_PARTITIONS
          ? { first: mine, second: theirs }
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await suite.caughtUp();

    const deadLetters = await readTopics(
      brokers,
      [deadLetterTopicFor('analytics', suite.names.topicPrefix)],
      (seen) => seen.length >= 2 * POISONED,
    );
    const partitionOf = new Map(
      deadLetters.map((m) => [m.key, Number(m.headers['dead-letter-source']?.split('/')[1])]),
    );
    const inSecond = poisoned.find((orderId) => assigned.second.includes(partitionOf.get(orderId) ?? -1));
    expect(inSecond).toBeDefined();
    const other = poisoned.filter((orderId) => orderId !== inSecond);

    // The cause is gone for the order the second replica consumes; its redrive goes to the first.
    await redis.del(strayKeys[poisoned.indexOf(inSecond ?? '')] ?? '');
    const redriven = await suite.send('projector-analytics', 'POST', '/projection/redrive', {
      aggregate: `order:${inSecond ?? ''}`,
    });
    expect(redriven.status).toBe(200);
    expect(redriven.body).toMatchObject({ redriven: true, applied: 2, ranAt: second.url });

    // Then every other one at once through the CLI, while new events of those orders arrive.
    await redis.del(...strayKeys.filter((_, i) => poisoned[i] !== inSecond));
    const shipping = Promise.all(
      [inSecond ?? '', ...other].map((orderId) => succeed(suite, `/orders/${orderId}/ship`)),
    );
    const all = await cqrs(suite, ['projections', 'redrive', 'analytics', '--all', '--json'], {
      ANALYTICS_PROJECTOR_URL: first,
    });
    await shipping;
    expect({ code: all.code, stderr: all.stderr }).toEqual({ code: 0, stderr: '' });
    const { results } = JSON.parse(all.stdout) as { results: { aggregateKey: string; redriven: boolean }[] };
    expect(results.map((r) => r.aggregateKey).sort()).toEqual(other.map((id) => `order:${id}`).sort());
    expect(results.every((r) => r.redriven)).toBe(true);

    await suite.caughtUp();
    const sales = await waitFor(
      'the shipments to be counted',
      async () => {
        const answer = await suite.query<{ ordersPlaced: number; ordersByStatus: Record<string, number> }>(
          '/stats/sales',
        );
        return answer.body.ordersByStatus.SHIPPED === POISONED ? answer.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(sales).toMatchObject({
      ordersPlaced: POISONED + healthy.length,
      ordersByStatus: { PLACED: healthy.length, SHIPPED: POISONED },
    });
    const status = await suite.ops<{ projections: { name: string; parkedAggregates: number }[] }>(
      '/projections',
    );
    expect(status.body.projections.find((p) => p.name === 'analytics')?.parkedAggregates).toBe(0);
    const clean = await checkConvergence(suite);
    expect(clean.report.differenceCount).toBe(0);
  });
});
