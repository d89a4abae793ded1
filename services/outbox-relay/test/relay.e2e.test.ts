import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type EventType, toKafkaHeaders } from '@cqrs-shop/events';
import { ensureTopics } from '@cqrs-shop/kafka';
import { type ConsumedMessage, readTopics, repoRoot, waitFor } from '@cqrs-shop/testing';
import { Type } from 'avsc';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { RowDataPacket } from 'mysql2/promise';
import { commandBurst, seedCatalogue, writeSide, type WriteSide } from './support';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

/** Reads every topic until each committed outbox event is there at least once. */
async function readEverything(
  side: WriteSide,
): Promise<{ messages: ConsumedMessage[]; eventIds: Set<string> }> {
  const rows = await side.query<RowDataPacket>('SELECT event_id FROM outbox');
  const eventIds = new Set(rows.map((row) => row.event_id as string));
  const messages = await readTopics(brokers, side.topics, (seen) => {
    const found = new Set(seen.map((m) => m.headers['event-id']));
    return [...eventIds].every((id) => found.has(id));
  });
  return { messages, eventIds };
}

/** Per aggregate, the versions in the order Kafka delivered them (one partition per aggregate). */
function versionsByAggregate(messages: readonly ConsumedMessage[]): Map<string, number[]> {
  const byAggregate = new Map<string, number[]>();
  for (const m of messages) {
    const id = `${m.headers['aggregate-type'] ?? ''}:${m.headers['aggregate-id'] ?? ''}`;
    byAggregate.set(id, [...(byAggregate.get(id) ?? []), Number(m.headers['aggregate-version'])]);
  }
  return byAggregate;
}

function expectOrderedAndComplete(messages: readonly ConsumedMessage[], eventIds: ReadonlySet<string>): void {
  // Nothing missing, nothing foreign.
  expect(new Set(messages.map((m) => m.headers['event-id']))).toEqual(eventIds);
  // A duplicate is the same event: same aggregate and version for the same event id.
  const seen = new Map<string, string>();
  for (const m of messages) {
    const identity = `${m.headers['aggregate-id'] ?? ''}@${m.headers['aggregate-version'] ?? ''}`;
    const eventId = m.headers['event-id'] ?? '';
    expect(seen.get(eventId) ?? identity).toBe(identity);
    seen.set(eventId, identity);
  }
  for (const [aggregate, versions] of versionsByAggregate(messages)) {
    const sorted = [...versions].sort((a, b) => a - b);
    expect({ aggregate, versions }).toEqual({ aggregate, versions: sorted });
    // Without duplicates, each aggregate's history is 1, 2, 3, … with no gap.
    expect([...new Set(versions)]).toEqual(Array.from({ length: new Set(versions).size }, (_, i) => i + 1));
  }
}

describe('outbox relay (real command service and relay processes, MariaDB and Kafka)', () => {
  let side: WriteSide;

  beforeEach(async () => {
    side = await writeSide();
  });

  afterEach(async () => {
    await side.close();
  });

  it('publishes every committed event exactly in per-aggregate order after being killed mid-burst and restarted', async () => {
    const catalogue = await seedCatalogue(side, 20);
    const first = await side.startRelay({ RELAY_BATCH_SIZE: '25' });
    let killedAfter = -1;
    const burst = commandBurst(side, catalogue, 1_000, 16, (done) => {
      if (done === 300) {
        killedAfter = done;
        first.process.child.kill('SIGKILL');
      }
    });
    await waitFor('the first relay to die', () => first.process.child.signalCode === 'SIGKILL', {
      timeoutMs: 120_000,
    });
    const second = await side.startRelay({ RELAY_BATCH_SIZE: '25' });
    const { accepted } = await burst;
    await side.drained();

    expect(killedAfter).toBe(300);
    expect(accepted).toBeGreaterThan(500);
    const { messages, eventIds } = await readEverything(side);
    expectOrderedAndComplete(messages, eventIds);
    const stats = (await (await fetch(`${second.url}/stats`)).json()) as { leader: boolean; backlog: number };
    expect(stats.leader).toBe(true);
  });

  it('recovers an interrupted batch: sends again only the rows Kafka lacks', async () => {
    // A batch recorded and then sent in part — the orders' partitions got their share, the
    // others not — by a relay that died before marking anything, as if killed at that moment.
    const catalogue = await seedCatalogue(side, 2);
    for (const productId of catalogue.products)
      expect(
        (
          await side.post('/orders', {
            customerId: catalogue.customerId,
            items: [{ productId, quantity: 1 }],
          })
        ).status,
      ).toBe(201);
    const rows = await side.query<RowDataPacket>(
      'SELECT * FROM outbox WHERE published_at IS NULL ORDER BY position',
    );
    const [customersTopic, productsTopic, ordersTopic] = side.topics as [string, string, string];
    const topicOf: Record<string, string> = {
      customer: customersTopic,
      product: productsTopic,
      order: ordersTopic,
    };
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(
      admin,
      side.topics.map((topic) => ({ topic, partitions: 6 })),
    );
    await admin.disconnect();
    const partitionOf = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    const batch = rows.map((row) => {
      const topic = topicOf[row.aggregate_type as string] ?? '';
      const message = {
        key: row.aggregate_id as string,
        value: row.payload as Buffer,
        headers: toKafkaHeaders({
          eventId: row.event_id as string,
          eventType: row.event_type as EventType,
          aggregateType: row.aggregate_type as 'order',
          aggregateId: row.aggregate_id as string,
          aggregateVersion: Number(row.aggregate_version),
          occurredAt: (row.occurred_at as Date).toISOString(),
          commandId: row.command_id as string,
          correlationId: row.correlation_id as string,
          causationId: row.causation_id as string,
          schemaFingerprint: row.schema_fingerprint as string,
        }),
      };
      return {
        position: Number(row.position),
        topic,
        message: { ...message, partition: partitionOf({ topic, partitionMetadata, message }) },
      };
    });
    await side.query('UPDATE outbox_relay_intent SET batch = ? WHERE id = 1', [
      JSON.stringify({
        rows: batch.map(({ position, topic, message }) => ({
          position,
          topic,
          partition: message.partition,
        })),
      }),
    ]);
    const sent = batch.filter(({ topic }) => topic === ordersTopic);
    expect(sent).toHaveLength(2);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: ordersTopic, acks: -1, messages: sent.map(({ message }) => message) });
    await producer.disconnect();

    await side.startRelay();
    await side.drained();
    const { messages, eventIds } = await readEverything(side);
    expectOrderedAndComplete(messages, eventIds);
    // Each event once: the orders were not sent again, everything else was sent.
    expect(messages).toHaveLength(eventIds.size);
    expect(eventIds.size).toBe(rows.length);
  });

  it('keeps each aggregate in version order with two relay replicas running, one of them leading', async () => {
    const catalogue = await seedCatalogue(side, 10);
    const replicas = [
      await side.startRelay({ RELAY_STANDBY_POLL: '100ms' }),
      await side.startRelay({ RELAY_STANDBY_POLL: '100ms' }),
    ];
    await commandBurst(side, catalogue, 400, 16);
    await side.drained();

    const { messages, eventIds } = await readEverything(side);
    expectOrderedAndComplete(messages, eventIds);
    const leaders = await Promise.all(
      replicas.map(
        async (r) => ((await (await fetch(`${r.url}/stats`)).json()) as { leader: boolean }).leader,
      ),
    );
    expect(leaders.filter(Boolean)).toHaveLength(1);
  });

  it('delivers exactly one OrderPlaced per successful order when 50 orders race for 10 units', async () => {
    const catalogue = await seedCatalogue(side, 1, 10);
    await side.startRelay();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        side.post('/orders', {
          customerId: catalogue.customerId,
          items: [{ productId: catalogue.products[0], quantity: 1 }],
        }),
      ),
    );
    const placed = results.filter((r) => r.status === 201).map((r) => String(r.body.orderId));
    expect(placed).toHaveLength(10);
    expect(results.filter((r) => r.status === 409)).toHaveLength(40);
    await side.drained();

    const orderTopic = side.topics[2] ?? '';
    const messages = await readTopics(brokers, [orderTopic], (seen) => seen.length >= 10);
    const orderPlaced = messages.filter((m) => m.headers['event-type'] === 'OrderPlaced');
    expect(new Set(orderPlaced.map((m) => m.key))).toEqual(new Set(placed));
    expect(orderPlaced).toHaveLength(10);
  });

  it('writes events that any Avro reader decodes from the .avsc file alone (single-object encoding)', async () => {
    const catalogue = await seedCatalogue(side, 2);
    await side.startRelay();
    const order = await side.post('/orders', {
      customerId: catalogue.customerId,
      items: [
        { productId: catalogue.products[0], quantity: 2 },
        { productId: catalogue.products[1], quantity: 1 },
      ],
    });
    await side.drained();
    const [message] = await readTopics(brokers, [side.topics[2] ?? ''], (seen) => seen.length >= 1);
    const value = message?.value ?? Buffer.alloc(0);

    // Read with avsc straight from the schema file of the version written (the newest): not
    // through the suite's codec.
    const schema = JSON.parse(
      readFileSync(join(repoRoot, 'packages/event-codec/schemas/OrderPlaced.v2.avsc'), 'utf8'),
    ) as object;
    const reader = Type.forSchema(schema as never);
    expect([...value.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    expect(value.subarray(2, 10).readBigUInt64LE().toString(16).padStart(16, '0')).toBe(
      message?.headers['schema-fingerprint'],
    );
    const decoded = reader.fromBuffer(value.subarray(10)) as {
      orderId: string;
      totalCents: number;
      lines: unknown[];
      channel: string;
    };
    expect(decoded.orderId).toBe(order.body.orderId);
    expect(decoded.channel).toBe('WEB');
    expect(decoded.totalCents).toBe(order.body.totalCents);
    expect(decoded.lines).toHaveLength(2);
    expect(message?.headers).toMatchObject({
      'event-type': 'OrderPlaced',
      'aggregate-type': 'order',
      'aggregate-id': order.body.orderId,
      'aggregate-version': '1',
    });
  });

  it('quarantines rows it cannot publish, publishes the rows behind them in order, and publishes a released row', async () => {
    const catalogue = await seedCatalogue(side, 1);
    const placeOrder = async (headers: Record<string, string> = {}) => {
      const placed = await side.post(
        '/orders',
        { customerId: catalogue.customerId, items: [{ productId: catalogue.products[0], quantity: 1 }] },
        headers,
      );
      expect(placed.status).toBe(201);
      return String(placed.body.orderId);
    };
    // A later traceparent version may carry more fields: accepted, and the trace goes on (in version 00).
    const laterVersion = '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more';
    const [a, b, c] = [
      await placeOrder(),
      await placeOrder(),
      await placeOrder({ traceparent: laterVersion }),
    ];
    for (const orderId of [a, b]) expect((await side.post(`/orders/${orderId}/pay`, {})).status).toBe(200);
    // Rows the relay cannot publish: a traceparent the envelope refuses (all-zero trace id, as an
    // older command service stored it), and an event type this relay does not know.
    await side.query(`UPDATE outbox SET traceparent = ? WHERE aggregate_id = ? AND aggregate_version = 1`, [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      a,
    ]);
    await side.query(
      `UPDATE outbox SET event_type = 'OrderTeleported' WHERE aggregate_id = ? AND aggregate_version = 1`,
      [b],
    );
    const positionOf = async (orderId: string, version: number, table = 'outbox') => {
      const [row] = await side.query<RowDataPacket>(
        `SELECT position FROM ${table} WHERE aggregate_id = ? AND aggregate_version = ?`,
        [orderId, version],
      );
      return Number(row?.position);
    };
    const [a1, a2, b1, b2] = [
      await positionOf(a, 1),
      await positionOf(a, 2),
      await positionOf(b, 1),
      await positionOf(b, 2),
    ];

    const relay = await side.startRelay();
    await side.drained();
    const quarantined = await side.query<RowDataPacket>(
      'SELECT position, reason, held_behind FROM outbox_quarantine ORDER BY position',
    );
    expect(quarantined.map((row) => ({ ...row, position: Number(row.position) }))).toEqual([
      { position: a1, reason: expect.stringMatching(/traceparent/) as unknown, held_behind: null },
      {
        position: b1,
        reason: 'unknown event type OrderTeleported: this relay does not publish it',
        held_behind: null,
      },
      { position: a2, reason: `held behind row ${a1}`, held_behind: a1 },
      { position: b2, reason: `held behind row ${b1}`, held_behind: b1 },
    ]);
    await waitFor('the relay to count the quarantine', async () => {
      const stats = (await (await fetch(`${relay.url}/stats`)).json()) as { quarantined: number };
      return stats.quarantined === 4;
    });
    // The rows behind keep flowing: c's order, and a new one.
    const d = await placeOrder();
    await side.drained();
    const orderTopic = side.topics[2] ?? '';
    const before = await readTopics(brokers, [orderTopic], (seen) =>
      [c, d].every((id) => seen.some((m) => m.key === id)),
    );
    expect(new Set(before.map((m) => m.key))).toEqual(new Set([c, d]));
    expect(before.find((m) => m.key === c)?.headers.traceparent).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );

    const listed = await side.cqrs(['outbox', 'list']);
    expect({ code: listed.code, stdout: listed.stdout }).toEqual({
      code: 0,
      stdout: expect.stringContaining('unknown event type OrderTeleported') as unknown,
    });
    // An aggregate's rows go back together, from the first: a held row alone is refused.
    const refused = await side.cqrs(['outbox', 'release', String(a2)]);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 2,
      stderr: expect.stringContaining(`held behind row ${a1}`) as unknown,
    });
    const releasedA = await side.cqrs(['outbox', 'release', String(a1), '--drop-traceparent', '--json']);
    expect({
      code: releasedA.code,
      released: (JSON.parse(releasedA.stdout) as { released: number[] }).released,
    }).toEqual({
      code: 0,
      released: [a1, a2],
    });
    // What an operator would fix by hand before releasing (here: the event type).
    await side.query(`UPDATE outbox_quarantine SET event_type = 'OrderPlaced' WHERE position = ?`, [b1]);
    expect((await side.cqrs(['outbox', 'release', String(b1)])).code).toBe(0);
    await side.drained();

    expect(await side.query<RowDataPacket>('SELECT position FROM outbox_quarantine')).toEqual([]);
    const { messages, eventIds } = await readEverything(side);
    expectOrderedAndComplete(messages, eventIds);
    const releasedFirst = messages.find((m) => m.key === a && m.headers['aggregate-version'] === '1');
    expect(releasedFirst?.headers.traceparent).toBeUndefined();
    expect(await positionOf(a, 1)).toBe(a1);
  });

  it('publishes a row after a quiet spell at once, and gathers the rows committed closely after it into few batches', async () => {
    const INTERVAL_MS = 1_500;
    const catalogue = await seedCatalogue(side, 1);
    const relay = await side.startRelay({ RELAY_BATCH_INTERVAL: `${INTERVAL_MS}ms` });
    await side.drained();
    const batches = async () =>
      ((await (await fetch(`${relay.url}/stats`)).json()) as { batches: number }).batches;
    const order = () =>
      side.post('/orders', {
        customerId: catalogue.customerId,
        items: [{ productId: catalogue.products[0], quantity: 1 }],
      });
    const published = () => side.drained(30_000, 20);

    // The quiet spell under test: longer than the interval, so the next order must not wait.
    await delay(INTERVAL_MS + 200);
    const committed = performance.now();
    expect((await order()).status).toBe(201);
    await published();
    expect(performance.now() - committed).toBeLessThan(INTERVAL_MS);

    // Thirty orders, one every 20 ms, right behind it: they wait out the interval in the outbox
    // and go in at most one batch per interval (plus the one in hand when the orders ended).
    const before = await batches();
    const burstStarted = performance.now();
    for (let i = 0; i < 30; i++) {
      expect((await order()).status).toBe(201);
      await delay(20);
    }
    const burstMs = performance.now() - burstStarted;
    await published();
    expect((await batches()) - before).toBeLessThanOrEqual(Math.floor(burstMs / INTERVAL_MS) + 2);
    const { messages, eventIds } = await readEverything(side);
    expectOrderedAndComplete(messages, eventIds);
  });

  it('deletes published outbox rows, expired idempotency keys and audit rows once past their retention', async () => {
    await side.close();
    const retention = { RETENTION_SWEEP_INTERVAL: '200ms' };
    side = await writeSide({ ...retention, IDEMPOTENCY_TTL: '5s', COMMAND_AUDIT_RETENTION: '5s' });
    const catalogue = await seedCatalogue(side, 1);
    await side.startRelay({ ...retention, RELAY_KEEP_PUBLISHED: '5s' });
    for (let i = 0; i < 5; i++) {
      const placed = await side.post(
        '/orders',
        { customerId: catalogue.customerId, items: [{ productId: catalogue.products[0], quantity: 1 }] },
        { 'Idempotency-Key': `retention-${i}` },
      );
      expect(placed.status).toBe(201);
    }
    const count = async (table: string) =>
      Number((await side.query<RowDataPacket>(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n);
    // Kept until their time comes (the customer's and products' audit rows may be older already).
    expect(await count('idempotency_keys')).toBe(5);
    expect(await count('command_audit')).toBeGreaterThanOrEqual(5);
    await side.drained();

    await waitFor(
      'every row past its retention to be deleted',
      async () =>
        (await count('outbox')) === 0 &&
        (await count('idempotency_keys')) === 0 &&
        (await count('command_audit')) === 0,
      { timeoutMs: 40_000, intervalMs: 200 },
    );
    // A new command after the sweep is kept until its own time comes.
    const another = await side.post('/orders', {
      customerId: catalogue.customerId,
      items: [{ productId: catalogue.products[0], quantity: 1 }],
    });
    expect(another.status).toBe(201);
    expect(await count('command_audit')).toBe(1);
  });
});
