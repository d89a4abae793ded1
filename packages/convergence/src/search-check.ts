// Search in Elasticsearch, through the read model's aliases.
import type { Client, estypes } from '@elastic/elasticsearch';
import { SearchReader } from '@cqrs-shop/read-models';
import { orderKey, productKey } from './differences.js';
import { type CheckSettings, type ReadModelCheck, recordExtras, type StoredId } from './read-model-check.js';
import { ReadModelTally } from './report.js';
import { compareOrderSearch, compareProductSearch } from './search-compare.js';

export function searchCheck(
  es: Client,
  indexPrefix: string,
  version: number | 'live',
  settings: CheckSettings,
): ReadModelCheck {
  const reader = new SearchReader(es, indexPrefix, version);
  const { orders: ordersAlias, products: productsAlias } = reader.aliases;
  const tally = new ReadModelTally('search', settings.maxDifferences);
  return {
    tally,
    async start() {
      // Driven by the write model: documents are read by id (mget), which the server does from its index.
    },
    async compareOrders(orders) {
      const stored = await sourcesById(
        es,
        ordersAlias,
        orders.map((order) => order.orderId),
      );
      tally.countCompared(orders.length);
      for (const order of orders) tally.record(compareOrderSearch(order, stored.get(order.orderId)));
    },
    async compareProducts(products) {
      const stored = await sourcesById(
        es,
        productsAlias,
        products.map((product) => product.productId),
      );
      tally.countCompared(products.length);
      for (const product of products)
        tally.record(compareProductSearch(product, stored.get(product.productId)));
    },
    async finish(writeModel) {
      // Reads by id are real-time, searches are not: a refresh makes every document visible to the scan.
      await reader.refresh();
      await recordExtras(
        tally,
        storedIds(es, ordersAlias, 'orderId', settings.batchSize),
        (ids) => writeModel.existingOrderIds(ids),
        orderKey,
      );
      await recordExtras(
        tally,
        storedIds(es, productsAlias, 'productId', settings.batchSize),
        (ids) => writeModel.existingProductIds(ids),
        productKey,
      );
    },
  };
}

/** The `_source` of each document found among `ids` (one `mget`), by id. */
async function sourcesById(es: Client, alias: string, ids: readonly string[]): Promise<Map<string, unknown>> {
  if (ids.length === 0) return new Map();
  const result = await es.mget({ index: alias, ids: [...ids] });
  const found = new Map<string, unknown>();
  for (const item of result.docs) {
    // A failed read (no such alias, say) must not pass for a missing document.
    if ('error' in item)
      throw new Error(
        `Elasticsearch could not read ${alias}/${item._id}: ${item.error.reason ?? item.error.type}`,
      );
    if (item.found) found.set(item._id, item._source);
  }
  return found;
}

/** Every document's id and version, a page at a time: `search_after` on the id keyword field. */
async function* storedIds(
  es: Client,
  alias: string,
  idField: string,
  batchSize: number,
): AsyncGenerator<StoredId[]> {
  let after: estypes.SortResults | undefined;
  for (;;) {
    const result = await es.search<{ version?: unknown }>({
      index: alias,
      size: batchSize,
      query: { match_all: {} },
      sort: [{ [idField]: { order: 'asc' } }],
      _source: ['version'],
      track_total_hits: false,
      ...(after === undefined ? {} : { search_after: after }),
    });
    const hits = result.hits.hits;
    const last = hits.at(-1);
    if (last === undefined) return;
    yield hits.map((hit) => ({ id: hit._id ?? '', version: hit._source?.version }));
    if (hits.length < batchSize || last.sort === undefined) return;
    after = last.sort;
  }
}
