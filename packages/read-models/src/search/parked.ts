import type { Client } from '@elastic/elasticsearch';
import type { ParkedAggregates } from '../writing/contract.js';
import { searchIndices } from './layout.js';

/** Parked aggregates of the search projection, in a small index of their own. */
export class ElasticsearchParkedAggregates implements ParkedAggregates {
  private readonly index: string;

  constructor(
    private readonly es: Client,
    prefix: string,
    version: number,
  ) {
    this.index = searchIndices(prefix, version).parked;
  }

  async isParked(aggregateKey: string): Promise<boolean> {
    return this.es.exists({ index: this.index, id: aggregateKey });
  }

  async park(aggregateKey: string, reason: string): Promise<void> {
    // The first reason is the cause; later events only queue up behind it.
    await this.es.index(
      { index: this.index, id: aggregateKey, op_type: 'create', document: { reason } },
      { ignore: [409] },
    );
  }

  async unpark(aggregateKey: string): Promise<void> {
    await this.es.delete({ index: this.index, id: aggregateKey }, { ignore: [404] });
  }

  async list(): Promise<{ aggregateKey: string; reason: string }[]> {
    if (!(await this.es.indices.exists({ index: this.index }))) return [];
    await this.es.indices.refresh({ index: this.index });
    // Sorted here: Elasticsearch does not sort on `_id` by default, and parked aggregates are few.
    const found = await this.es.search<{ reason: string }>({ index: this.index, size: 1_000 });
    return found.hits.hits
      .map((hit) => ({ aggregateKey: hit._id ?? '', reason: hit._source?.reason ?? '' }))
      .sort((a, b) => (a.aggregateKey < b.aggregateKey ? -1 : a.aggregateKey > b.aggregateKey ? 1 : 0));
  }
}
