import { messageBytes, planBatch, type Prepared } from '../src/batch-plan.js';
import type { OutboxRow } from '@cqrs-shop/outbox';

let nextPosition = 1;
function row(aggregateId: string, overrides: Partial<OutboxRow> = {}): OutboxRow {
  return {
    position: nextPosition++,
    eventId: `event-${nextPosition}`,
    eventType: 'OrderPaid',
    aggregateType: 'order',
    aggregateId,
    aggregateVersion: 1,
    schemaFingerprint: '0123456789abcdef',
    payload: Buffer.alloc(100),
    commandId: 'command',
    correlationId: 'correlation',
    causationId: 'causation',
    traceparent: null,
    occurredAt: new Date(0),
    heldBehind: null,
    ...overrides,
  };
}

/** Rows whose event type is `Bad` cannot be published; every other one gets one header. */
const prepare = (r: OutboxRow): Prepared =>
  r.eventType === 'Bad' ? { reason: `bad row ${r.position}` } : { headers: { 'event-id': r.eventId } };

describe('planning a relay batch', () => {
  it('sends every row in order when all can be published and they fit', () => {
    const rows = [row('a'), row('b'), row('a')];

    const plan = planBatch(rows, 1_000_000, prepare);

    expect(plan.send.map((s) => s.row.position)).toEqual(rows.map((r) => r.position));
    expect(plan.quarantine).toEqual([]);
    expect(plan.bytes).toBe(rows.reduce((sum, r) => sum + messageBytes(r, { 'event-id': r.eventId }), 0));
  });

  it('quarantines a bad row with its reason and holds its aggregate behind it; other aggregates flow', () => {
    const [a1, b1, a2, c1, a3] = [row('a', { eventType: 'Bad' }), row('b'), row('a'), row('c'), row('a')] as [
      OutboxRow,
      OutboxRow,
      OutboxRow,
      OutboxRow,
      OutboxRow,
    ];

    const plan = planBatch([a1, b1, a2, c1, a3], 1_000_000, prepare);

    expect(plan.send.map((s) => s.row.position)).toEqual([b1.position, c1.position]);
    expect(plan.quarantine).toEqual([
      { position: a1.position, reason: `bad row ${a1.position}` },
      { position: a2.position, heldBehind: a1.position },
      { position: a3.position, heldBehind: a1.position },
    ]);
  });

  it('holds a row whose aggregate already waits in the quarantine without looking at it', () => {
    const held = row('a', { eventType: 'Bad', heldBehind: 7 });

    const plan = planBatch([held, row('b')], 1_000_000, prepare);

    expect(plan.quarantine).toEqual([{ position: held.position, heldBehind: 7 }]);
    expect(plan.send).toHaveLength(1);
  });

  it('stops at the byte limit, but always sends the first row whatever its size', () => {
    const big = row('a', { payload: Buffer.alloc(5_000) });
    const small = [row('b'), row('c'), row('d')];
    const one = messageBytes(small[0] as OutboxRow, { 'event-id': (small[0] as OutboxRow).eventId });

    expect(planBatch([big, ...small], 1_000, prepare).send.map((s) => s.row)).toEqual([big]);
    expect(planBatch(small, 2 * one + 1, prepare).send.map((s) => s.row)).toEqual(small.slice(0, 2));
  });
});
