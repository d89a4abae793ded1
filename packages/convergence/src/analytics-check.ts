// Analytics in Redis, through the read model's reader and key layout.
import { type AnalyticsCounters, recomputeCounters } from '@cqrs-shop/projections';
import { AnalyticsReader } from '@cqrs-shop/read-models';
import type { Redis } from 'ioredis';
import {
  addCounters,
  compareCounters,
  compareLabel,
  compareSnapshot,
  COUNTER_COUNT,
  NO_COUNTERS,
} from './analytics-compare.js';
import { orderKey, productKey } from './differences.js';
import { type CheckSettings, type ReadModelCheck, recordExtras, type StoredId } from './read-model-check.js';
import { ReadModelTally } from './report.js';

export function analyticsCheck(
  redis: Redis,
  keyPrefix: string,
  version: number,
  settings: CheckSettings,
): ReadModelCheck {
  const reader = new AnalyticsReader(redis, keyPrefix, version);
  const { keys } = reader;
  const tally = new ReadModelTally('analytics', settings.maxDifferences);
  // The counters recomputed from the write model so far: the only thing held across batches.
  let expectedCounters: AnalyticsCounters = NO_COUNTERS;
  return {
    tally,
    async start() {
      // Driven by the write model: values are read by key (MGET, HMGET).
    },
    async compareOrders(orders) {
      // One slot ({analytics} hash tag), so one MGET serves a Redis Cluster too.
      const stored = await redis.mget(orders.map((order) => keys.order(order.orderId)));
      const snapshots = orders.map((order, i) => {
        const { expected, differences } = compareSnapshot(
          order,
          parseStored(stored[i]),
          settings.placementToleranceMs,
        );
        tally.record(differences);
        return expected;
      });
      tally.countCompared(orders.length);
      expectedCounters = addCounters(expectedCounters, recomputeCounters(snapshots));
    },
    async compareProducts(products) {
      const stored = await redis.hmget(keys.productLabels, ...products.map((product) => product.productId));
      tally.countCompared(products.length);
      products.forEach((product, i) => {
        tally.record(compareLabel(product, parseStored(stored[i])));
      });
    },
    async finish(writeModel) {
      tally.record(compareCounters(expectedCounters, await reader.counters()));
      tally.countCompared(COUNTER_COUNT);
      await recordExtras(
        tally,
        storedSnapshotIds(redis, keys.order(''), settings.batchSize),
        (ids) => writeModel.existingOrderIds(ids),
        orderKey,
        async (ids) => (await redis.mget(ids.map(keys.order))).map(versionOf),
      );
      await recordExtras(
        tally,
        storedLabelIds(redis, keys.productLabels, settings.batchSize),
        (ids) => writeModel.existingProductIds(ids),
        productKey,
      );
    },
  };
}

/** A stored JSON value, parsed; undefined when absent; the raw text when it is not JSON (a difference too). */
function parseStored(raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** The version a stored JSON value holds, for reporting an extra. */
function versionOf(raw: string | null | undefined): unknown {
  const parsed = parseStored(raw);
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed ? parsed.version : undefined;
}

/** Redis glob patterns treat `*`, `?`, `[`, `]` and `\` specially; a key prefix may contain any. */
const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/** The ids of every stored order snapshot (keys `<snapshotKeyStart><orderId>`), a SCAN page at a time. */
async function* storedSnapshotIds(
  redis: Redis,
  snapshotKeyStart: string,
  batchSize: number,
): AsyncGenerator<StoredId[]> {
  const stream = redis.scanStream({ match: `${escapeGlob(snapshotKeyStart)}*`, count: batchSize });
  for await (const found of stream as AsyncIterable<string[]>)
    if (found.length > 0) yield found.map((key) => ({ id: key.slice(snapshotKeyStart.length) }));
}

/** The product ids and versions of every stored label, an HSCAN page at a time. */
async function* storedLabelIds(
  redis: Redis,
  labelsKey: string,
  batchSize: number,
): AsyncGenerator<StoredId[]> {
  const stream = redis.hscanStream(labelsKey, { count: batchSize });
  for await (const fieldsAndValues of stream as AsyncIterable<string[]>) {
    const page: StoredId[] = [];
    for (let i = 0; i + 1 < fieldsAndValues.length; i += 2)
      page.push({ id: fieldsAndValues[i] ?? '', version: versionOf(fieldsAndValues[i + 1]) });
    if (page.length > 0) yield page;
  }
}
