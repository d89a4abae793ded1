import type { ParkedAggregates } from '@cqrs-shop/read-models';

/**
 * The parked aggregates of the version being written, held in memory so that a batch needs no
 * store round trip to find them: loaded when the projector starts and whenever it is given
 * partitions (another member may have parked some meanwhile), kept current by its own parking
 * and redriving. The store stays the record; this is its cache.
 */
export class ParkedSet {
  private keys = new Set<string>();

  constructor(readonly store: ParkedAggregates) {}

  has(aggregateKey: string): boolean {
    return this.keys.has(aggregateKey);
  }

  async reload(): Promise<void> {
    this.keys = new Set((await this.store.list()).map((p) => p.aggregateKey));
  }

  async park(aggregateKey: string, reason: string): Promise<void> {
    await this.store.park(aggregateKey, reason);
    this.keys.add(aggregateKey);
  }

  async unpark(aggregateKey: string): Promise<void> {
    await this.store.unpark(aggregateKey);
    this.keys.delete(aggregateKey);
  }
}
