import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConsumedMessage, readTopics, repoRoot, waitFor } from '@cqrs-shop/testing';
import { Type } from 'avsc';
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
      readFileSync(join(repoRoot, 'packages/events/schemas/OrderPlaced.v2.avsc'), 'utf8'),
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
});
