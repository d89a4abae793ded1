import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventTopics } from '@cqrs-shop/events';
import {
  type MetricsSnapshot,
  repoRoot,
  scrapeMetrics,
  SUITE_SERVICES,
  type SuiteService,
  testEventMessageInUnknownSchema,
  waitFor,
} from '@cqrs-shop/testing';
import { Kafka, logLevel } from 'kafkajs';
import { cqrs, succeed, suiteForTests } from './support';

const PROJECTIONS = {
  'projector-order-history': 'order-history',
  'projector-search': 'search',
  'projector-analytics': 'analytics',
} as const;

describe('/metrics of every service after a known workload (real processes and stores)', () => {
  const running = suiteForTests();
  const producer = new Kafka({
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  }).producer({ idempotent: true });
  beforeAll(() => producer.connect());
  afterAll(() => producer.disconnect());

  const scrapeAll = async (): Promise<Record<SuiteService, MetricsSnapshot>> =>
    Object.fromEntries(
      await Promise.all(
        SUITE_SERVICES.map(
          async (service) => [service, await scrapeMetrics(running().adminUrl(service))] as const,
        ),
      ),
    ) as Record<SuiteService, MetricsSnapshot>;

  it('count commands, publishing, projecting and consistency waits, and show lag gone after catch-up', async () => {
    const suite = running();
    const before = await scrapeAll();
    const suffix = randomUUID().slice(0, 8);
    const customer = await succeed<{ customerId: string }>(suite, '/customers', {
      name: `Ada Metrics ${suffix}`,
      email: `ada.${suffix}@example.com`,
    });
    const product = await succeed<{ productId: string }>(suite, '/products', {
      sku: `MET-${suffix}`,
      name: 'Measured teapot',
      priceCents: 1_200,
      currency: 'EUR',
      stock: 100,
    });
    const orders = [];
    for (let i = 0; i < 3; i++)
      orders.push(
        await succeed<{ orderId: string; consistencyToken: string }>(suite, '/orders', {
          customerId: customer.customerId,
          items: [{ productId: product.productId, quantity: 1 }],
        }),
      );
    // Refused by the rules: the product does not exist.
    const unknownProduct = await suite.command('/orders', {
      customerId: customer.customerId,
      items: [{ productId: randomUUID(), quantity: 1 }],
    });
    expect(unknownProduct.status).toBe(404);
    // Refused for a concurrent change: the client expected another version.
    const stale = await suite.send(
      'command-service',
      'POST',
      `/orders/${orders[0]?.orderId}/pay`,
      {},
      {
        'If-Match': '"7"',
      },
    );
    expect(stale.status).toBe(409);
    // The same Idempotency-Key twice: the second is a replay.
    const key = { 'Idempotency-Key': `metrics-${suffix}` };
    const body = { name: `Replayed ${suffix}`, email: `replayed.${suffix}@example.com` };
    expect((await suite.send('command-service', 'POST', '/customers', body, key)).status).toBe(201);
    expect(
      (await suite.send('command-service', 'POST', '/customers', body, key)).headers.get(
        'idempotent-replayed',
      ),
    ).toBe('true');
    // A read that waits for the last order's token.
    const read = await suite.query(`/orders/${orders[2]?.orderId}`, {
      'X-Consistency-Token': orders[2]?.consistencyToken ?? '',
    });
    expect(read.status).toBe(200);
    await suite.caughtUp();

    // Lag is measured every second: wait until every projector reports none, through /metrics.
    let after = await scrapeAll();
    await waitFor('every projector to report no lag on /metrics', async () => {
      after = await scrapeAll();
      // The relay counts its backlog once a second, so it too is awaited rather than assumed.
      if (after['outbox-relay'].sum('shop_outbox_backlog_rows') !== 0) return false;
      return Object.keys(PROJECTIONS).every(
        (service) =>
          after[service as SuiteService].matching('shop_projection_lag_events').length > 0 &&
          after[service as SuiteService].sum('shop_projection_lag_events') === 0,
      );
    });
    const grew = (service: SuiteService, name: string, labels: Record<string, string> = {}) =>
      after[service].sum(name, labels) - before[service].sum(name, labels);

    const commands = 'command-service';
    expect({
      placed: grew(commands, 'shop_commands_total', { command: 'PlaceOrder', outcome: 'succeeded' }),
      refused: grew(commands, 'shop_commands_total', { command: 'PlaceOrder', outcome: 'rejected' }),
      conflicts: grew(commands, 'shop_commands_total', { command: 'PayOrder', outcome: 'conflict' }),
      conflictCounter: grew(commands, 'shop_command_conflicts_total', { command: 'PayOrder' }),
      replays: grew(commands, 'shop_command_idempotent_replays_total', { command: 'RegisterCustomer' }),
      timed: grew(commands, 'shop_command_duration_seconds_count', { command: 'PlaceOrder' }),
      requests: grew(commands, 'http_server_request_duration_seconds_count', {
        method: 'POST',
        route: '/orders',
      }),
    }).toEqual({
      placed: 3,
      refused: 1,
      conflicts: 1,
      conflictCounter: 1,
      replays: 1,
      timed: 4,
      requests: 4,
    });
    expect(
      after[commands].sum('shop_command_duration_seconds_sum', { command: 'PlaceOrder' }),
    ).toBeGreaterThan(0);

    const relay = 'outbox-relay';
    expect(grew(relay, 'shop_outbox_published_total', { event_type: 'OrderPlaced' })).toBe(3);
    // Every published event was timed: 3 orders, 2 customers, 1 product (and stock reservations).
    expect(grew(relay, 'shop_outbox_publish_lag_seconds_count')).toBe(
      grew(relay, 'shop_outbox_published_total'),
    );
    expect(grew(relay, 'shop_outbox_published_total')).toBeGreaterThanOrEqual(6);
    expect(after[relay].sum('shop_outbox_backlog_rows')).toBe(0);
    expect(after[relay].sum('shop_outbox_oldest_unpublished_age_seconds')).toBe(0);
    expect(after[relay].sum('shop_outbox_relay_leader')).toBe(1);
    expect(after[relay].sum('shop_outbox_quarantine_rows')).toBe(0);

    for (const [service, projection] of Object.entries(PROJECTIONS) as [SuiteService, string][]) {
      expect({
        service,
        applied: grew(service, 'shop_projection_events_total', {
          projection,
          event_type: 'OrderPlaced',
          outcome: 'applied',
        }),
        timed: grew(service, 'shop_projection_apply_duration_seconds_count', {
          projection,
          event_type: 'OrderPlaced',
        }),
        storeAvailable: after[service].sum('shop_projection_store_available', { projection }),
        consuming: after[service].sum('shop_projection_consuming', { projection }),
        liveVersion: after[service].sum('shop_projection_live_version', { projection }),
        // Exported, and 0: the store holds everything its checkpoints say.
        recovering: after[service].matching('shop_projection_recovering', { projection }).length,
        recoveringNow: after[service].sum('shop_projection_recovering', { projection }),
      }).toEqual({
        service,
        applied: 3,
        timed: 3,
        storeAvailable: 1,
        consuming: 1,
        liveVersion: 1,
        recovering: 1,
        recoveringNow: 0,
      });
      // One series per partition of each topic it reads.
      expect(after[service].matching('shop_projection_lag_seconds', { projection }).length).toBeGreaterThan(
        0,
      );
      // Measured a moment ago (every second), so the lag series above are known.
      expect(after[service].sum('shop_projection_lag_age_seconds', { projection })).toBeLessThan(5);
    }

    const gateway = 'query-gateway';
    expect(grew(gateway, 'shop_consistency_waits_total', { outcome: 'satisfied' })).toBe(1);
    expect(grew(gateway, 'shop_consistency_wait_duration_seconds_count')).toBe(1);
    expect(
      grew(gateway, 'http_server_request_duration_seconds_count', {
        method: 'GET',
        route: '/orders/:orderId',
      }),
    ).toBe(1);
    expect(after[gateway].sum('shop_projector_reachable')).toBe(3);
    // Every service also has the process metrics.
    for (const service of SUITE_SERVICES)
      expect(after[service].sum('process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('count a poison event once as a dead letter in every projector that reads its topic', async () => {
    const suite = running();
    const before = await scrapeAll();
    const stranger = randomUUID();
    await producer.send({
      topic: eventTopics(suite.names.topicPrefix).order,
      messages: [
        testEventMessageInUnknownSchema('OrderPlaced', stranger, 1, {
          orderId: stranger,
          customerId: randomUUID(),
          lines: [],
          totalCents: 0,
          currency: 'EUR',
          channel: 'WEB',
        }),
      ],
    });
    let after = before;
    await waitFor('each projector to count the dead letter', async () => {
      after = await scrapeAll();
      return Object.entries(PROJECTIONS).every(
        ([service, projection]) =>
          after[service as SuiteService].sum('shop_projection_dead_letters_total', { projection }) >
          before[service as SuiteService].sum('shop_projection_dead_letters_total', { projection }),
      );
    });
    for (const [service, projection] of Object.entries(PROJECTIONS) as [SuiteService, string][]) {
      const grew = (name: string, labels: Record<string, string>) =>
        after[service].sum(name, labels) - before[service].sum(name, labels);
      expect({
        service,
        deadLetters: grew('shop_projection_dead_letters_total', { projection }),
        parkedEvents: grew('shop_projection_events_total', { projection, outcome: 'parked' }),
        parkedAggregates: after[service].sum('shop_projection_parked_aggregates', { projection }),
      }).toEqual({ service, deadLetters: 1, parkedEvents: 1, parkedAggregates: 1 });
    }
  });

  it('show a rebuild: its progress, speed and duration, and the version that went live', async () => {
    const suite = running();
    const rebuilt = await cqrs(suite, ['projections', 'rebuild', 'analytics', '--json']);
    // (It re-parks the poison event of the test before: its log says so on stderr.)
    expect({ code: rebuilt.code, stderr: rebuilt.code === 0 ? '' : rebuilt.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    const service = 'projector-analytics';
    const projection = 'analytics';
    let metrics = await scrapeMetrics(suite.adminUrl(service));
    // The projector follows the pointer within a second; the version series come from the store.
    await waitFor('the projector to report version 2 live', async () => {
      metrics = await scrapeMetrics(suite.adminUrl(service));
      return metrics.sum('shop_projection_live_version', { projection }) === 2;
    });
    expect({
      progress: metrics.sum('shop_projection_rebuild_progress_ratio', { projection, version: '2' }),
      live: metrics.sum('shop_projection_version_state', { projection, version: '2', state: 'live' }),
      retired: metrics.sum('shop_projection_version_state', { projection, version: '1', state: 'retired' }),
    }).toEqual({ progress: 1, live: 1, retired: 1 });
    expect(
      metrics.sum('shop_projection_rebuild_duration_seconds', { projection, version: '2' }),
    ).toBeGreaterThan(0);
    expect(
      metrics.sum('shop_projection_rebuild_events_per_second', { projection, version: '2' }),
    ).toBeGreaterThan(0);
    // Version 1 was made by the first start, not rebuilt: it has no rebuild series.
    expect(metrics.matching('shop_projection_rebuild_progress_ratio', { projection, version: '1' })).toEqual(
      [],
    );
  });

  it('export every metric the alerting rules use', async () => {
    const exported = new Set<string>();
    for (const snapshot of Object.values(await scrapeAll()))
      for (const family of snapshot.families()) exported.add(family);
    const rules = readFileSync(join(repoRoot, 'infra/prometheus/alerts.yml'), 'utf8');
    const used = new Set(
      [...rules.matchAll(/\b(shop_[a-z_]+|http_server_[a-z_]+)\b/g)].map((match) =>
        (match[1] ?? '').replace(/_(bucket|sum|count)$/, ''),
      ),
    );
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
