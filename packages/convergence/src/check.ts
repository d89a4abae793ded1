// Runs the comparison: first the checks driven by a scan of their read model (order history),
// then one pass over the write model, each batch compared with every selected read model, then
// each read model scanned for what the write model does not have.
import type { Client } from '@elastic/elasticsearch';
import { AnalyticsVersions, OrderHistoryVersions, OrderViewsReader } from '@cqrs-shop/read-models';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { Pool } from 'mysql2/promise';
import { analyticsCheck } from './analytics-check.js';
import { isReadModelName, READ_MODELS, type ReadModelName } from './differences.js';
import { MysqlWriteModel } from './mysql-write-model.js';
import { orderHistoryCheck } from './order-history-check.js';
import { DEFAULT_PLACEMENT_TOLERANCE_MS } from './placement.js';
import type { CheckSettings, ReadModelCheck } from './read-model-check.js';
import { type ConvergenceReport, convergenceReport } from './report.js';
import { searchCheck } from './search-check.js';

/** Where the write model and the read models live. */
export interface ConvergenceSources {
  /** The write model's database. */
  readonly mysql: Pool;
  /** The order-history database. */
  readonly mongo: Db;
  readonly es: Client;
  readonly redis: Redis;
  /** Elasticsearch index prefix (ELASTICSEARCH_INDEX_PREFIX). */
  readonly indexPrefix: string;
  /** Redis key prefix (REDIS_KEY_PREFIX). */
  readonly keyPrefix: string;
}

export interface ConvergenceOptions {
  /** The read models to check. @default all of them */
  readonly readModels?: readonly ReadModelName[];
  /** Aggregates read per query. @default 1000 */
  readonly batchSize?: number;
  /** Differences listed per read model; all are counted. @default 1000 */
  readonly maxDifferences?: number;
  /**
   * How far an order's OrderPlaced time may lie from `orders.placed_at`, used for the analytics
   * hour when the outbox no longer holds the event. @default 5 minutes
   */
  readonly placementToleranceMs?: number;
  /** The version of each read model to check. @default the live one */
  readonly modelVersions?: Readonly<Partial<Record<ReadModelName, number>>>;
}

/**
 * Compares the write model with each read model and reports every difference. Meant to run once
 * the projectors have caught up with the outbox: writes in flight show up as differences.
 *
 * @throws {RangeError} for an unknown read model or a setting out of range.
 */
export async function checkConvergence(
  sources: ConvergenceSources,
  options: ConvergenceOptions = {},
): Promise<ConvergenceReport> {
  const settings = checkSettings(options);
  const writeModel = new MysqlWriteModel(sources.mysql, settings.batchSize);
  const checks = await Promise.all(
    selectedReadModels(options.readModels).map((name) =>
      createCheck(name, sources, settings, options.modelVersions?.[name]),
    ),
  );
  for (const check of checks) await check.start(writeModel);
  for await (const orders of writeModel.orderBatches())
    await Promise.all(checks.map((check) => check.compareOrders(orders)));
  for await (const products of writeModel.productBatches())
    await Promise.all(checks.map((check) => check.compareProducts(products)));
  for (const check of checks) await check.finish(writeModel);
  return convergenceReport(checks.map((check) => check.tally.report()));
}

async function createCheck(
  name: ReadModelName,
  sources: ConvergenceSources,
  settings: CheckSettings,
  version: number | undefined,
): Promise<ReadModelCheck> {
  // Before any projector has started there is no live version; version 1 is the empty one.
  switch (name) {
    case 'order-history': {
      const at = version ?? (await new OrderHistoryVersions(sources.mongo).liveVersion()) ?? 1;
      return orderHistoryCheck(
        sources.mongo,
        at,
        settings,
        new OrderViewsReader(sources.redis, sources.keyPrefix, at),
      );
    }
    case 'search':
      return searchCheck(sources.es, sources.indexPrefix, version ?? 'live', settings);
    case 'analytics':
      return analyticsCheck(
        sources.redis,
        sources.keyPrefix,
        version ?? (await new AnalyticsVersions(sources.redis, sources.keyPrefix).liveVersion()) ?? 1,
        settings,
      );
  }
}

/** The read models asked for, each once, in the usual order; all when none are named. */
function selectedReadModels(names: readonly string[] | undefined): ReadModelName[] {
  if (names === undefined) return [...READ_MODELS];
  const unknown = names.filter((name) => !isReadModelName(name));
  if (unknown.length > 0)
    throw new RangeError(`unknown read model ${unknown.join(', ')}; known: ${READ_MODELS.join(', ')}`);
  return READ_MODELS.filter((name) => names.includes(name));
}

function checkSettings(options: ConvergenceOptions): CheckSettings {
  const settings = {
    batchSize: options.batchSize ?? 1_000,
    maxDifferences: options.maxDifferences ?? 1_000,
    placementToleranceMs: options.placementToleranceMs ?? DEFAULT_PLACEMENT_TOLERANCE_MS,
  };
  requireInteger('batchSize', settings.batchSize, 1, 10_000);
  requireInteger('maxDifferences', settings.maxDifferences, 0, Number.MAX_SAFE_INTEGER);
  requireInteger('placementToleranceMs', settings.placementToleranceMs, 0, 24 * 3_600_000);
  return settings;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
}
