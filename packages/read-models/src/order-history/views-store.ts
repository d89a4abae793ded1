import type { OrderHistoryDocument } from '@cqrs-shop/projections';
import { CUSTOMER_ORDERS_PAGE_SIZE, type OrderViewKeys } from './layout.js';
import { customerOrderMember, orderViewEntry, orderViewRank, OrderViewsReader } from './views.js';
import type { Redis } from 'ioredis';

/**
 * Writes views (KEYS: view, customer's set, customer's first page, … for each order; ARGV: page
 * size, the prefix of view keys, then rank, entry, member, … for each order), each only over one
 * of a lower rank: a redelivered or late batch never takes a view back. Then writes again the
 * first page of each customer touched, from its set and the views (whose keys it makes from the
 * prefix: they share the set's hash tag, so this holds on a Redis Cluster too).
 */
const WRITE_VIEWS_SCRIPT = `
local size = tonumber(ARGV[1])
local pages = {}
for i = 1, #KEYS, 3 do
  local at = 2 + (i - 1) / 3 * 3
  local head = redis.call('GETRANGE', KEYS[i], 0, 20)
  local bar = string.find(head, '|', 1, true)
  if head == '' or (bar and tonumber(string.sub(head, 1, bar - 1)) < tonumber(ARGV[at + 1])) then
    redis.call('SET', KEYS[i], ARGV[at + 2])
  end
  redis.call('ZADD', KEYS[i + 1], 0, ARGV[at + 3])
  pages[KEYS[i + 1]] = KEYS[i + 2]
end
for set, page in pairs(pages) do
  local members = redis.call('ZREVRANGEBYLEX', set, '+', '-', 'LIMIT', 0, size + 1)
  local items = {}
  for j = 1, math.min(#members, size) do
    local member = members[j]
    local entry = redis.call('GET', ARGV[2] .. string.sub(member, string.find(member, '|', 1, true) + 1))
    -- A view lost on its own (a partial loss): no page, the reads take the slow way.
    if not entry then items = nil break end
    items[j] = string.sub(entry, string.find(entry, '|', 1, true) + 1)
  end
  if items then
    local more = ''
    if #members > size then more = members[size] end
    redis.call('SET', page, more .. '\\n[' .. table.concat(items, ',') .. ']')
  else
    redis.call('DEL', page)
  end
end
return #KEYS / 3
`;

/**
 * Moves checkpoints (KEYS[1]: the hash; ARGV: field, expected ('' for none), next, …) where the
 * hash holds the expected value; answers 1 or 0 for each.
 */
const MOVE_CHECKPOINTS_SCRIPT = `
local moved = {}
for i = 1, #ARGV, 3 do
  if (redis.call('HGET', KEYS[1], ARGV[i]) or '') == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    moved[#moved + 1] = 1
  else
    moved[#moved + 1] = 0
  end
end
return moved
`;

const WRITE_VIEWS_COMMAND = 'shopWriteOrderViews';
const MOVE_CHECKPOINTS_COMMAND = 'shopMoveOrderViewCheckpoints';
/** Views per script call: long enough to share the round trip, short enough not to stall Redis. */
const VIEWS_PER_CALL = 200;

type WithScripts = Redis & {
  [WRITE_VIEWS_COMMAND](keyCount: number, ...args: string[]): Promise<number>;
  [MOVE_CHECKPOINTS_COMMAND](keyCount: number, ...args: string[]): Promise<number[]>;
};

/** A checkpoint move of the views: `field` is `topic:partition`. */
export interface ViewCheckpointMove {
  readonly field: string;
  readonly from: number | null;
  readonly next: number;
}

/**
 * One version of the order views in Redis, as the order-history projector writes them beside
 * its documents: each order's JSON as served, each customer's orders as a sorted set with its
 * first page kept whole, and their own checkpoints, so that views lost with Redis are written
 * again by a replay.
 */
export class RedisOrderViews {
  readonly keys: OrderViewKeys;
  private readonly redis: WithScripts;
  private readonly reader: OrderViewsReader;

  constructor(redis: Redis, keyPrefix: string, version: number) {
    this.reader = new OrderViewsReader(redis, keyPrefix, version);
    this.keys = this.reader.keys;
    // Sent by SHA1 (EVALSHA); ioredis sends the script itself only when Redis does not know it.
    redis.defineCommand(WRITE_VIEWS_COMMAND, { lua: WRITE_VIEWS_SCRIPT });
    redis.defineCommand(MOVE_CHECKPOINTS_COMMAND, { lua: MOVE_CHECKPOINTS_SCRIPT });
    this.redis = redis as WithScripts;
  }

  /** Writes each order's view unless Redis holds a later one. */
  async write(orders: readonly OrderHistoryDocument[]): Promise<void> {
    for (let from = 0; from < orders.length; from += VIEWS_PER_CALL) {
      const keys: string[] = [];
      const args = [String(CUSTOMER_ORDERS_PAGE_SIZE), this.keys.order('')];
      for (const order of orders.slice(from, from + VIEWS_PER_CALL)) {
        keys.push(
          this.keys.order(order.orderId),
          this.keys.customerOrders(order.customerId),
          this.keys.customerFirstPage(order.customerId),
        );
        args.push(
          String(orderViewRank(order)),
          orderViewEntry(order),
          customerOrderMember(order.placedAt, order.orderId),
        );
      }
      await this.redis[WRITE_VIEWS_COMMAND](keys.length, ...keys, ...args);
    }
  }

  /** The checkpoints of the views, by `topic:partition`. */
  async checkpoints(): Promise<Map<string, number>> {
    const stored = await this.redis.hgetall(this.keys.checkpoints);
    return new Map(Object.entries(stored).map(([field, next]) => [field, Number(next)]));
  }

  /** Whether each move was made (the hash held its `from`). */
  async moveCheckpoints(moves: readonly ViewCheckpointMove[]): Promise<boolean[]> {
    if (moves.length === 0) return [];
    const args = moves.flatMap((m) => [m.field, m.from === null ? '' : String(m.from), String(m.next)]);
    const moved = await this.redis[MOVE_CHECKPOINTS_COMMAND](1, this.keys.checkpoints, ...args);
    return moved.map((m) => m === 1);
  }

  isComplete(): Promise<boolean> {
    return this.reader.complete();
  }

  async markComplete(): Promise<void> {
    await this.redis.set(this.keys.complete, new Date().toISOString());
  }
}
