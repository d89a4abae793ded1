// What every read model's check does, batch by batch of the write model, and the shared scan
// for documents the write model does not have.
import { type AggregateKey, extraDifference } from './differences.js';
import type { MysqlWriteModel } from './mysql-write-model.js';
import type { ReadModelTally } from './report.js';
import type { WriteOrder, WriteProduct } from './write-model.js';

export interface CheckSettings {
  /** Aggregates read per query, from MySQL and from the read model. */
  readonly batchSize: number;
  /** Differences kept in the report per read model (all are counted). */
  readonly maxDifferences: number;
  /** See `DEFAULT_PLACEMENT_TOLERANCE_MS`. */
  readonly placementToleranceMs: number;
}

export interface ReadModelCheck {
  readonly tally: ReadModelTally;
  /** Before the pass over the write model: a check driven by its own scan of the read model. */
  start(writeModel: MysqlWriteModel): Promise<void>;
  /** Compares one batch of the write model's orders with the read model. */
  compareOrders(orders: readonly WriteOrder[]): Promise<void>;
  /** Compares one batch of the write model's products with the read model. */
  compareProducts(products: readonly WriteProduct[]): Promise<void>;
  /** After every batch: what only the read model has, and figures over the whole model. */
  finish(writeModel: MysqlWriteModel): Promise<void>;
}

/** An aggregate as the read model keeps it, as far as the scan for extras needs it. */
export interface StoredId {
  readonly id: string;
  /** The aggregate version the read model holds, if it tells. */
  readonly version?: unknown;
}

/**
 * Records as `extra` every stored aggregate the write model does not have, page by page.
 * `versionsOf` looks up the versions of extras whose page did not carry them (keys scanned
 * without values). Reported ids are remembered so that a scan that may repeat an id (Redis SCAN)
 * reports it once; only extras are held, never the whole model.
 */
export async function recordExtras(
  tally: ReadModelTally,
  pages: AsyncIterable<readonly StoredId[]>,
  inWriteModel: (ids: readonly string[]) => Promise<ReadonlySet<string>>,
  keyOf: (id: string) => AggregateKey,
  versionsOf?: (ids: readonly string[]) => Promise<readonly unknown[]>,
): Promise<void> {
  const reported = new Set<string>();
  for await (const page of pages) {
    const existing = await inWriteModel(page.map((stored) => stored.id));
    const extras = page.filter((stored) => !existing.has(stored.id) && !reported.has(stored.id));
    if (extras.length === 0) continue;
    const versions = versionsOf
      ? await versionsOf(extras.map((stored) => stored.id))
      : extras.map((stored) => stored.version);
    extras.forEach((stored, i) => {
      reported.add(stored.id);
      tally.record([extraDifference(tally.readModel, keyOf(stored.id), versions[i])]);
    });
  }
}
