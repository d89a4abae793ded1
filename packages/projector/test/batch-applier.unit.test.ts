import { createLogger } from '@cqrs-shop/logging';
import { applyBatch, type ApplyContext } from '../src/batch-applier';
import type { Decoded, Letter } from '../src/batch';
import { ParkedSet } from '../src/parked-set';
import {
  type AggregateEvents,
  type AggregateFold,
  type Checkpoint,
  type CheckpointMove,
  type ParkedAggregates,
  type PreparedBatch,
  type ProjectedEvent,
  type Projection,
  StoreUnavailableError,
  type Unwritten,
  type WriteOutcome,
} from '@cqrs-shop/read-models';

/** An event of order `id` at `version`; only what the runtime and the fake read. */
const event = (id: string, version: number, occurredAt = '2026-12-01T10:00:00.000Z'): Decoded => ({
  aggregateKey: `order:${id}`,
  event: {
    envelope: {
      eventType: version === 1 ? 'OrderPlaced' : 'OrderPaid',
      aggregateType: 'order',
      aggregateId: id,
      aggregateVersion: version,
      occurredAt,
    },
    payload: {},
  } as unknown as ProjectedEvent,
});

const garbage = (id: string): Decoded => ({ aggregateKey: `order:${id}`, error: 'not avro' });

/**
 * A read model in memory that holds a version per aggregate and applies only the next one,
 * with the checkpoint moved by compare-and-set; failures are switched on per aggregate.
 */
class FakeStore implements Projection {
  readonly versions = new Map<string, number>();
  readonly checkpointsHeld = new Map<string, number>();
  readonly calls: string[] = [];
  /** Aggregates whose every request fails with an unexplained error. */
  readonly broken = new Set<string>();
  /** Aggregates the store refuses for good (a value it cannot hold). */
  readonly refused = new Set<string>();
  /** Aggregates whose next write loses a race to another writer. */
  readonly racing = new Set<string>();
  /** Requests that find the store away before it answers again. */
  unavailable = 0;
  /** Requests failing as FerretDB does while its PostgreSQL is away: a plain error, not flagged. */
  hiccups = 0;

  checkpoints(): Promise<Checkpoint[]> {
    return Promise.resolve(
      [...this.checkpointsHeld].map(([key, next]) => ({
        topic: key.split(':')[0] ?? '',
        partition: Number(key.split(':')[1]),
        next,
      })),
    );
  }

  prepare(aggregates: readonly AggregateEvents[]): Promise<PreparedBatch> {
    this.calls.push(`prepare ${aggregates.map((a) => a.key).join(',')}`);
    if (this.unavailable > 0) {
      this.unavailable--;
      return Promise.reject(new StoreUnavailableError('away'));
    }
    if (this.hiccups > 0) {
      this.hiccups--;
      return Promise.reject(
        Object.assign(
          new Error('failed to connect to `user=ferretdb database=ferretdb`: connection refused'),
          {
            code: 1,
          },
        ),
      );
    }
    if (aggregates.some((a) => this.broken.has(a.key))) return Promise.reject(new Error('defect'));
    const changes = new Map<string, { from: number; to: number }>();
    const folds = aggregates.map((aggregate): AggregateFold => {
      const from = this.versions.get(aggregate.key) ?? 0;
      let held = from;
      const outcomes: ('applied' | 'already-applied')[] = [];
      for (const { envelope } of aggregate.events) {
        const version = envelope.aggregateVersion;
        if (version <= held) outcomes.push('already-applied');
        else if (version === held + 1) {
          held = version;
          outcomes.push('applied');
        } else
          return this.track(changes, aggregate.key, from, held, {
            outcomes,
            rejection: { kind: 'missing-predecessor', version, heldVersion: held },
          });
      }
      return this.track(changes, aggregate.key, from, held, { outcomes });
    });
    return Promise.resolve({ folds, write: (checkpoints) => this.write(changes, checkpoints) });
  }

  private track(
    changes: Map<string, { from: number; to: number }>,
    key: string,
    from: number,
    to: number,
    fold: AggregateFold,
  ) {
    if (to !== from) changes.set(key, { from, to });
    return fold;
  }

  private write(
    changes: Map<string, { from: number; to: number }>,
    checkpoints: readonly CheckpointMove[],
  ): Promise<WriteOutcome> {
    this.calls.push(`write ${[...changes.keys()].join(',')}${checkpoints.length > 0 ? ' +checkpoint' : ''}`);
    const unwritten = new Map<string, Unwritten>();
    for (const [key, { from, to }] of changes) {
      if (this.refused.has(key)) {
        unwritten.set(key, { kind: 'failed', error: new Error('too big'), permanent: true });
        continue;
      }
      if (this.racing.delete(key) || (this.versions.get(key) ?? 0) !== from) {
        unwritten.set(key, { kind: 'conflict' });
        continue;
      }
      this.versions.set(key, to);
    }
    if (unwritten.size > 0)
      return Promise.resolve({ unwritten, checkpointed: false, checkpointMoved: false });
    for (const { topic, partition, from, next } of checkpoints) {
      const key = `${topic}:${partition}`;
      if ((this.checkpointsHeld.get(key) ?? null) !== from)
        return Promise.resolve({ unwritten, checkpointed: false, checkpointMoved: true });
      this.checkpointsHeld.set(key, next);
    }
    return Promise.resolve({ unwritten, checkpointed: true, checkpointMoved: false });
  }
}

class FakeParked implements ParkedAggregates {
  readonly reasons = new Map<string, string>();
  constructor(private readonly calls: string[]) {}
  isParked(key: string) {
    return Promise.resolve(this.reasons.has(key));
  }
  park(key: string, reason: string) {
    this.calls.push(`park ${key}`);
    if (!this.reasons.has(key)) this.reasons.set(key, reason);
    return Promise.resolve();
  }
  unpark(key: string) {
    this.reasons.delete(key);
    return Promise.resolve();
  }
  list() {
    return Promise.resolve([...this.reasons].map(([aggregateKey, reason]) => ({ aggregateKey, reason })));
  }
}

function harness(
  options: { attempts?: number; budgetMs?: number; untilMs?: number; running?: () => boolean } = {},
) {
  const store = new FakeStore();
  const parkedStore = new FakeParked(store.calls);
  const letters: Letter[] = [];
  const availability: boolean[] = [];
  const pauses: number[] = [];
  // A clock that only pauses move: the retry budget is measured on it.
  let clock = 0;
  const context: ApplyContext = {
    projection: store,
    parked: new ParkedSet(parkedStore),
    deadLetter: (sent) => {
      store.calls.push(`dead-letter ${sent.map((l) => l.index).join(',')}`);
      letters.push(...sent);
      return Promise.resolve();
    },
    policy: {
      attempts: options.attempts ?? 3,
      budgetMs: options.budgetMs ?? 0,
      backoffMs: 10,
      maxBackoffMs: 40,
    },
    logger: createLogger({ service: 'test', level: 'silent' }),
    ...(options.untilMs === undefined ? {} : { untilMs: options.untilMs }),
    pause: (ms) => {
      pauses.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
    isRunning: options.running ?? (() => true),
    storeAnswered: (available) => availability.push(available),
  };
  const checkpoint: CheckpointMove = { topic: 'orders', partition: 0, from: null, next: 10 };
  return { store, parkedStore, letters, availability, pauses, context, checkpoint };
}

describe('applying a batch', () => {
  it('folds each aggregate and writes the batch in one request, the checkpoint with it', async () => {
    const { store, context, checkpoint } = harness();
    const result = await applyBatch(
      context,
      [event('a', 1), event('b', 1), event('a', 2), event('a', 1)],
      [checkpoint],
    );
    expect(result).toMatchObject({ kind: 'settled', outcomes: ['applied', 'applied', 'applied', 'skipped'] });
    expect(store.calls).toEqual(['prepare order:a,order:b', 'write order:a,order:b +checkpoint']);
    expect(store.versions).toEqual(
      new Map([
        ['order:a', 2],
        ['order:b', 1],
      ]),
    );
    expect(store.checkpointsHeld.get('orders:0')).toBe(10);
  });

  it('reports the events applied for the first time, in batch order, and not those the model had', async () => {
    const { store, context, checkpoint } = harness();
    store.versions.set('order:b', 1);
    const result = await applyBatch(context, [event('b', 1), event('a', 1), event('b', 2)], [checkpoint]);
    expect(
      result.kind === 'settled' &&
        result.firstApplied.map((e) => `${e.envelope.aggregateId}${e.envelope.aggregateVersion}`),
    ).toEqual(['a1', 'b2']);
  });

  it('dead-letters a refused event with the events behind it and parks its aggregate before the checkpoint moves; the others go on', async () => {
    const { store, parkedStore, letters, context, checkpoint } = harness();
    const result = await applyBatch(
      context,
      [event('a', 1), event('a', 3), event('b', 1), event('a', 4)],
      [checkpoint],
    );
    expect(result).toMatchObject({ kind: 'settled', outcomes: ['applied', 'parked', 'applied', 'parked'] });
    expect(letters).toEqual([
      { index: 1, reason: 'missing-predecessor (event version 3, read model at 1)' },
      { index: 3, reason: 'parked behind an earlier event of the same aggregate' },
    ]);
    expect(parkedStore.reasons.get('order:a')).toBe('missing-predecessor (event version 3, read model at 1)');
    expect(store.calls).toEqual([
      'prepare order:a,order:b',
      'dead-letter 1,3',
      'park order:a',
      'write order:a,order:b +checkpoint',
    ]);
    expect(store.versions.get('order:a')).toBe(1);
  });

  it('sends the events of an aggregate parked earlier to the dead letters without folding them', async () => {
    const { store, parkedStore, letters, context, checkpoint } = harness();
    await parkedStore.park('order:a', 'earlier');
    await context.parked.reload();
    const result = await applyBatch(context, [event('a', 2), event('b', 1)], [checkpoint]);
    expect(result).toMatchObject({ outcomes: ['parked', 'applied'] });
    expect(letters).toEqual([{ index: 0, reason: 'parked behind an earlier event of the same aggregate' }]);
    expect(store.calls).toContain('prepare order:b');
  });

  it('dead-letters an event that cannot be decoded, parks its aggregate, and holds its later events behind it', async () => {
    const { parkedStore, letters, context, checkpoint } = harness();
    const result = await applyBatch(
      context,
      [event('a', 1), garbage('a'), event('a', 2), event('b', 1)],
      [checkpoint],
    );
    expect(result).toMatchObject({ outcomes: ['applied', 'parked', 'parked', 'applied'] });
    expect(letters.map((l) => l.index)).toEqual([1, 2]);
    expect(parkedStore.reasons.get('order:a')).toBe('cannot be decoded: not avro');
  });

  it('folds again only the aggregate whose write lost a race, and moves the checkpoint once all are written', async () => {
    const { store, context, checkpoint } = harness();
    store.racing.add('order:a');
    const result = await applyBatch(context, [event('a', 1), event('b', 1)], [checkpoint]);
    expect(result).toMatchObject({ kind: 'settled', outcomes: ['applied', 'applied'] });
    expect(store.calls).toEqual([
      'prepare order:a,order:b',
      'write order:a,order:b +checkpoint',
      'prepare order:a',
      'write order:a +checkpoint',
    ]);
    expect(store.checkpointsHeld.get('orders:0')).toBe(10);
  });

  it('takes a failing batch apart: the failing aggregate is parked after its attempts, the others are written', async () => {
    const { store, parkedStore, letters, context, checkpoint, pauses } = harness({ attempts: 3 });
    store.broken.add('order:b');
    const result = await applyBatch(
      context,
      [event('a', 1), event('b', 1), event('b', 2), event('c', 1)],
      [checkpoint],
    );
    expect(result).toMatchObject({ kind: 'settled', outcomes: ['applied', 'parked', 'parked', 'applied'] });
    expect(parkedStore.reasons.get('order:b')).toBe('failed 3 times: defect');
    expect(letters).toEqual([
      { index: 1, reason: 'failed 3 times: defect' },
      { index: 2, reason: 'parked behind an earlier event of the same aggregate' },
    ]);
    expect(store.versions).toEqual(
      new Map([
        ['order:a', 1],
        ['order:c', 1],
      ]),
    );
    expect(store.checkpointsHeld.get('orders:0')).toBe(10);
    expect(pauses).toEqual([10, 20]);
  });

  it('retries a failing aggregate for its whole budget before parking it, however many attempts that takes', async () => {
    const { store, parkedStore, context, checkpoint, pauses } = harness({ attempts: 3, budgetMs: 200 });
    store.broken.add('order:b');
    const result = await applyBatch(context, [event('a', 1), event('b', 1)], [checkpoint]);
    expect(result).toMatchObject({ kind: 'settled', outcomes: ['applied', 'parked'] });
    const failures = Number(
      /^failed (\d+) times: defect$/.exec(parkedStore.reasons.get('order:b') ?? '')?.[1],
    );
    expect(failures).toBeGreaterThan(3);
    expect(pauses.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(200);
  });

  it('waits out errors that say the store is away even when it does not flag them, parking nothing', async () => {
    const { store, parkedStore, availability, context, checkpoint } = harness({ attempts: 2 });
    store.hiccups = 6;
    const result = await applyBatch(context, [event('a', 1), event('b', 1)], [checkpoint]);
    expect(result).toMatchObject({ kind: 'settled', outcomes: ['applied', 'applied'] });
    expect(parkedStore.reasons.size).toBe(0);
    expect(availability.slice(0, 6)).toEqual([false, false, false, false, false, false]);
  });

  it('parks at once what the store refuses for good, without trying again', async () => {
    const { store, parkedStore, context, checkpoint } = harness();
    store.refused.add('order:a');
    const result = await applyBatch(context, [event('a', 1), event('b', 1)], [checkpoint]);
    expect(result).toMatchObject({ outcomes: ['parked', 'applied'] });
    expect(parkedStore.reasons.get('order:a')).toBe('refused by the store: too big');
    expect(store.calls.filter((c) => c.startsWith('prepare'))).toHaveLength(2);
    expect(store.checkpointsHeld.get('orders:0')).toBe(10);
  });

  it('waits for a store that does not answer, however long, and says so', async () => {
    const { store, availability, context, checkpoint, pauses } = harness();
    store.unavailable = 4;
    const result = await applyBatch(context, [event('a', 1)], [checkpoint]);
    expect(result.kind).toBe('settled');
    expect(availability).toEqual([false, false, false, false, true, true]);
    expect(pauses).toEqual([10, 20, 40, 40]);
  });

  it('stops without settling when the consumer stops while the store is away', async () => {
    let running = true;
    const { store, context, checkpoint } = harness({ running: () => running });
    store.unavailable = 100;
    const stopping = {
      ...context,
      pause: () => {
        running = false;
        return Promise.resolve();
      },
    };
    expect(await applyBatch(stopping, [event('a', 1)], [checkpoint])).toEqual({ kind: 'stopped' });
    expect(store.checkpointsHeld.size).toBe(0);
  });

  it('says so when the store holds another checkpoint than expected', async () => {
    const { store, context, checkpoint } = harness();
    store.checkpointsHeld.set('orders:0', 4);
    expect(await applyBatch(context, [event('a', 1)], [checkpoint])).toEqual({ kind: 'checkpoint-moved' });
  });

  it('passes over events after `until`, and still moves the checkpoint past them', async () => {
    const { store, context, checkpoint } = harness({ untilMs: Date.parse('2026-12-01T12:00:00.000Z') });
    const result = await applyBatch(
      context,
      [event('a', 1), event('b', 1, '2026-12-01T13:00:00.000Z')],
      [checkpoint],
    );
    expect(result).toMatchObject({ outcomes: ['applied', 'beyond_until'] });
    expect(store.checkpointsHeld.get('orders:0')).toBe(10);
  });

  it('moves the checkpoint on its own when every event of the batch was parked', async () => {
    const { store, context, checkpoint } = harness();
    const result = await applyBatch(context, [garbage('a')], [checkpoint]);
    expect(result).toMatchObject({ outcomes: ['parked'] });
    expect(store.calls).toEqual(['prepare ', 'dead-letter 0', 'park order:a', 'write  +checkpoint']);
    expect(store.checkpointsHeld.get('orders:0')).toBe(10);
  });
});
