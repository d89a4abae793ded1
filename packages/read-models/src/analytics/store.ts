import type { EventPayloads, EventType } from '@cqrs-shop/events';
import type {
  AggregateEvents,
  AggregateFold,
  Checkpoint,
  CheckpointMove,
  PreparedBatch,
  ProjectedEvent,
  Unwritten,
  WriteOutcome,
} from '../writing/contract.js';
import { applyOne, foldsInOrder } from '../writing/store-projection.js';
import {
  type AnalyticsCounters,
  type ApplyResult,
  analyticsDeltas,
  nextOrderSnapshot,
  applyProductToAnalytics,
  type CounterDelta,
  type EnvelopeOf,
  foldEvents,
  type OrderAnalyticsSnapshot,
  type OrderEventType,
  type ProductEventType,
  type ProductLabel,
  type Rejection,
} from '@cqrs-shop/projections';
import { type AnalyticsKeys } from './layout.js';
import { AnalyticsReader } from './reader.js';
import type { Redis } from 'ioredis';

/** KEYS of the batch script; the orders' snapshot keys follow from `FIRST_ORDER_KEY` on. */
const KEY = {
  totals: 1,
  revenue: 2,
  refunds: 3,
  ordersByStatus: 4,
  ordersPerHour: 5,
  productUnits: 6,
  productRevenue: 7,
  productLabels: 8,
  checkpoints: 9,
} as const;
const FIRST_ORDER_KEY = 10;

/** Where each counter lives: its key's place in KEYS. `productUnits` is the one sorted set. */
const COUNTER_KEY: Record<CounterDelta['counter'], number> = {
  ordersPlaced: KEY.totals,
  grossRevenueCents: KEY.revenue,
  refundedCents: KEY.refunds,
  ordersByStatus: KEY.ordersByStatus,
  ordersPerHour: KEY.ordersPerHour,
  productUnits: KEY.productUnits,
  productRevenueCents: KEY.productRevenue,
};

/**
 * Writes a whole batch atomically, or nothing: ARGV[1] is JSON `{c, o, l}` —
 * c: checkpoints `[field, expected next offset or -1 for none, new next offset]`;
 * o: orders `[KEYS index of the snapshot, version it was folded from, snapshot JSON, increments
 *    as [KEYS index, field or member, by]]`;
 * l: product labels `[product id, version it was folded from, label JSON]`.
 * Everything is checked before the first write: the checkpoints (else `{'moved'}`), every
 * version (else `{'conflict', orders, labels}` listing the 1-based places that lost a race), and
 * every counter's type and the range it must stay in to be exact for readers (2^53 − 1; else
 * `{'refused', order place, reason}`). Then the increments, summed per field, the snapshots,
 * labels and checkpoints are written; `{'ok'}`.
 */
/** The name the batch script is defined under on the Redis client. */
const APPLY_BATCH_COMMAND = 'shopApplyAnalyticsBatch';

const APPLY_BATCH_SCRIPT = `
local batch = cjson.decode(ARGV[1])
for _, c in ipairs(batch.c) do
  local stored = redis.call('HGET', KEYS[${KEY.checkpoints}], c[1])
  local held = -1
  if stored then held = tonumber(stored) end
  if held ~= c[2] then return {'moved'} end
end
local orderConflicts, labelConflicts = {}, {}
for i, o in ipairs(batch.o) do
  local stored = redis.pcall('GET', KEYS[o[1]])
  if type(stored) == 'table' and stored.err then
    return {'refused', i, 'its snapshot ' .. KEYS[o[1]] .. ': ' .. stored.err}
  end
  local version = 0
  if stored then version = cjson.decode(stored).version end
  if version ~= o[2] then table.insert(orderConflicts, i) end
end
for i, l in ipairs(batch.l) do
  local stored = redis.call('HGET', KEYS[${KEY.productLabels}], l[1])
  local version = 0
  if stored then version = cjson.decode(stored).version end
  if version ~= l[2] then table.insert(labelConflicts, i) end
end
if #orderConflicts > 0 or #labelConflicts > 0 then
  return {'conflict', cjson.encode(orderConflicts), cjson.encode(labelConflicts)}
end
local LIMIT = 9007199254740991
local sums, kinds = {}, {}
for i, o in ipairs(batch.o) do
  for _, d in ipairs(o[4]) do
    local k, field, by = d[1], d[2], d[3]
    local wanted = 'hash'
    if k == ${KEY.productUnits} then wanted = 'zset' end
    if kinds[k] == nil then kinds[k] = redis.call('TYPE', KEYS[k]).ok end
    if kinds[k] ~= 'none' and kinds[k] ~= wanted then
      return {'refused', i, KEYS[k] .. ' is a ' .. kinds[k] .. ', not a ' .. wanted}
    end
    sums[k] = sums[k] or {}
    local entry = sums[k][field]
    if entry == nil then
      local raw
      if wanted == 'zset' then raw = redis.call('ZSCORE', KEYS[k], field) else raw = redis.call('HGET', KEYS[k], field) end
      local base = 0
      if raw then base = tonumber(raw) end
      if base == nil then return {'refused', i, KEYS[k] .. ' ' .. field .. ' holds ' .. tostring(raw) .. ', not a number'} end
      entry = {base = base, by = 0}
      sums[k][field] = entry
    end
    entry.by = entry.by + by
    if math.abs(entry.base + entry.by) > LIMIT then
      return {'refused', i, KEYS[k] .. ' ' .. field .. ' would go beyond 2^53-1, where counts stop being exact'}
    end
  end
end
for k, fields in pairs(sums) do
  for field, entry in pairs(fields) do
    if entry.by ~= 0 then
      if k == ${KEY.productUnits} then
        redis.call('ZINCRBY', KEYS[k], entry.by, field)
      else
        redis.call('HINCRBY', KEYS[k], field, entry.by)
      end
    end
  end
end
for _, o in ipairs(batch.o) do redis.call('SET', KEYS[o[1]], o[3]) end
for _, l in ipairs(batch.l) do redis.call('HSET', KEYS[${KEY.productLabels}], l[1], l[3]) end
for _, c in ipairs(batch.c) do redis.call('HSET', KEYS[${KEY.checkpoints}], c[1], c[3]) end
return {'ok'}
`;

export type StoreOutcome = 'applied' | 'already-applied' | Rejection;

type OrderEvent = ProjectedEvent<OrderEventType>;
type ProductEvent = ProjectedEvent<ProductEventType>;

interface OrderChange {
  readonly key: string;
  readonly orderId: string;
  readonly from: number;
  readonly snapshot: OrderAnalyticsSnapshot;
  readonly deltas: readonly CounterDelta[];
}

interface LabelChange {
  readonly key: string;
  readonly productId: string;
  readonly from: number;
  readonly label: ProductLabel;
}

const aggregateTypeOf = (key: string) => key.slice(0, key.indexOf(':'));
const checkpointField = (c: Checkpoint) => `${c.topic}:${c.partition}`;

/**
 * One version of the analytics read model in Redis; where each part lives is `analyticsKeys`.
 * A batch is read in one round trip (the orders' snapshots and the products' labels), folded per
 * aggregate with the pure analytics functions, and written by one script that checks everything
 * before its first write: a batch changes all it should, or nothing.
 */
export class RedisAnalyticsStore {
  private readonly keys: AnalyticsKeys;
  private readonly reader: AnalyticsReader;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    version: number,
  ) {
    this.reader = new AnalyticsReader(redis, prefix, version);
    this.keys = this.reader.keys;
    // Sent by its SHA1 (EVALSHA); ioredis sends the script itself only when Redis does not know
    // it yet (after a restart), rather than the whole script with every batch.
    redis.defineCommand(APPLY_BATCH_COMMAND, { lua: APPLY_BATCH_SCRIPT });
  }

  snapshot(orderId: string): Promise<OrderAnalyticsSnapshot | undefined> {
    return this.reader.snapshot(orderId);
  }

  /** Every counter as stored, in the shape `recomputeCounters` returns. */
  counters(): Promise<AnalyticsCounters> {
    return this.reader.counters();
  }

  async checkpoints(topics: readonly string[]): Promise<Checkpoint[]> {
    const stored = await this.redis.hgetall(this.keys.checkpoints);
    return Object.entries(stored).flatMap(([field, next]) => {
      const at = field.lastIndexOf(':');
      const topic = field.slice(0, at);
      return topics.includes(topic)
        ? [{ topic, partition: Number(field.slice(at + 1)), next: Number(next) }]
        : [];
    });
  }

  async prepare(aggregates: readonly AggregateEvents[]): Promise<PreparedBatch> {
    const orders = aggregates.filter((a) => aggregateTypeOf(a.key) === 'order');
    const products = aggregates.filter((a) => aggregateTypeOf(a.key) === 'product');
    const orderIds = orders.map((a) => a.key.slice('order:'.length));
    const productIds = products.map((a) => a.key.slice('product:'.length));
    const read = this.redis.pipeline();
    if (orderIds.length > 0) read.mget(...orderIds.map((id) => this.keys.order(id)));
    if (productIds.length > 0) read.hmget(this.keys.productLabels, ...productIds);
    const answers = orderIds.length + productIds.length > 0 ? ((await read.exec()) ?? []) : [];
    const column = (i: number): (string | null)[] => {
      const [error, value] = answers[i] ?? [null, []];
      if (error) throw error;
      return value as (string | null)[];
    };
    const snapshots = orderIds.length > 0 ? column(0) : [];
    const labels = productIds.length > 0 ? column(orderIds.length > 0 ? 1 : 0) : [];

    const folds = new Map<string, AggregateFold>();
    const orderChanges: OrderChange[] = [];
    const labelChanges: LabelChange[] = [];
    for (const { index, key, held, state } of foldStored<OrderAnalyticsSnapshot, OrderEvent>(
      orders as readonly AggregateEventsOf<OrderEvent>[],
      snapshots,
      folds,
      (snapshot, event) => nextOrderSnapshot(snapshot, event.envelope, event.payload),
    ))
      orderChanges.push({
        key,
        orderId: orderIds[index] ?? '',
        from: held?.version ?? 0,
        snapshot: state,
        deltas: analyticsDeltas(held, state),
      });
    for (const { index, key, held, state } of foldStored<ProductLabel, ProductEvent>(
      products as readonly AggregateEventsOf<ProductEvent>[],
      labels,
      folds,
      (label, event) => applyProductToAnalytics(label, event.envelope, event.payload),
    ))
      labelChanges.push({ key, productId: productIds[index] ?? '', from: held?.version ?? 0, label: state });
    return {
      folds: foldsInOrder(aggregates, folds),
      write: (checkpoints) => this.write(orderChanges, labelChanges, checkpoints),
    };
  }

  private async write(
    orders: readonly OrderChange[],
    labels: readonly LabelChange[],
    checkpoints: readonly CheckpointMove[],
  ): Promise<WriteOutcome> {
    if (orders.length === 0 && labels.length === 0 && checkpoints.length === 0)
      return { unwritten: new Map(), checkpointed: true, checkpointMoved: false };
    const batch = {
      c: checkpoints.map((c) => [checkpointField(c), c.from ?? -1, c.next]),
      o: orders.map((o, i) => [
        FIRST_ORDER_KEY + i,
        o.from,
        JSON.stringify(o.snapshot),
        o.deltas.map((d) => [
          COUNTER_KEY[d.counter],
          'field' in d ? d.field : 'member' in d ? d.member : d.counter,
          d.by,
        ]),
      ]),
      l: labels.map((l) => [l.productId, l.from, JSON.stringify(l.label)]),
    };
    const keys = [
      this.keys.totals,
      this.keys.revenue,
      this.keys.refunds,
      this.keys.ordersByStatus,
      this.keys.ordersPerHour,
      this.keys.productUnits,
      this.keys.productRevenue,
      this.keys.productLabels,
      this.keys.checkpoints,
      ...orders.map((o) => this.keys.order(o.orderId)),
    ];
    const withScript = this.redis as unknown as Record<
      typeof APPLY_BATCH_COMMAND,
      (keyCount: number, ...keysAndArgs: string[]) => Promise<unknown>
    >;
    const answer = (await withScript[APPLY_BATCH_COMMAND](keys.length, ...keys, JSON.stringify(batch))) as [
      string,
      ...unknown[],
    ];
    const [kind] = answer;
    if (kind === 'ok') return { unwritten: new Map(), checkpointed: true, checkpointMoved: false };
    if (kind === 'moved') return { unwritten: new Map(), checkpointed: false, checkpointMoved: true };
    // Nothing was written: the aggregates not named go again as they are.
    const unwritten = new Map<string, Unwritten>();
    const conflict: Unwritten = { kind: 'conflict' };
    for (const change of [...orders, ...labels]) unwritten.set(change.key, conflict);
    if (kind === 'refused') {
      const [, place, reason] = answer as [string, number, string];
      const refused = orders[place - 1];
      if (refused) unwritten.set(refused.key, { kind: 'failed', error: new Error(reason), permanent: true });
    }
    return { unwritten, checkpointed: false, checkpointMoved: false };
  }

  /** Applies one event on its own (tests, tools): the batch path with a batch of one. */
  async applyEvent<T extends EventType>(
    envelope: EnvelopeOf<T>,
    payload: EventPayloads[T],
  ): Promise<StoreOutcome> {
    return (await applyOne(this, { envelope, payload } as unknown as ProjectedEvent)) as StoreOutcome;
  }
}

/**
 * Folds each aggregate's events onto what the store holds of it (JSON, or nothing), records each
 * fold in `folds`, and returns the aggregates whose state moved, with where they stand in `stored`.
 */
function foldStored<S extends { readonly version: number }, E>(
  aggregates: readonly AggregateEventsOf<E>[],
  stored: readonly (string | null | undefined)[],
  folds: Map<string, AggregateFold>,
  apply: (state: S | undefined, event: E) => ApplyResult<S>,
): { index: number; key: string; held: S | undefined; state: S }[] {
  return aggregates.flatMap((aggregate, index) => {
    const raw = stored[index];
    const held = raw ? (JSON.parse(raw) as S) : undefined;
    const fold = foldEvents(held, aggregate.events, apply);
    folds.set(aggregate.key, fold);
    return fold.state !== held && fold.state ? [{ index, key: aggregate.key, held, state: fold.state }] : [];
  });
}

/** One aggregate's events in a batch, as the events of its type. */
interface AggregateEventsOf<E> {
  readonly key: string;
  readonly events: readonly E[];
}
