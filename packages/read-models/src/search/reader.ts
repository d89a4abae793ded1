import type { Client, estypes } from '@elastic/elasticsearch';
import type { AggregateType } from '@cqrs-shop/events';
import type { OrderSearchDocument, OrderStatus, ProductSearchDocument } from '@cqrs-shop/projections';
import type { AppliedVersion, AppliedVersions } from '../applied-version.js';
import { searchAliases, searchIndices } from './layout.js';

/** Sort values of the last hit of a page: where the next page starts (`search_after`). */
export type SearchPosition = readonly (string | number)[];

export interface OrderSearch {
  /** Full text over customer name, product names and SKUs, and exact order and customer ids. */
  readonly q?: string | undefined;
  readonly status?: OrderStatus | undefined;
  readonly currency?: string | undefined;
  readonly minTotalCents?: number | undefined;
  readonly maxTotalCents?: number | undefined;
  /** Placed at or after this instant (ISO 8601). */
  readonly from?: string | undefined;
  /** Placed before this instant (ISO 8601). */
  readonly to?: string | undefined;
  readonly limit: number;
  readonly after?: SearchPosition | undefined;
}

export interface ProductSearch {
  /** Full text over name and description, and exact SKU. */
  readonly q?: string | undefined;
  readonly limit: number;
  readonly after?: SearchPosition | undefined;
}

export interface SearchPage<T> {
  /** Every match, not only this page's. */
  readonly total: number;
  readonly items: T[];
  /** Set when more matches follow; pass it as `after` for the next page. */
  readonly next: SearchPosition | null;
}

/** A customer as the search model keeps it for the join; see the order-history reader's. */
interface StoredSearchCustomer {
  readonly version: number;
  readonly joinedVersion?: number;
}

/**
 * Reads the search read model in Elasticsearch: the live version through its aliases (so a switch
 * takes effect between two requests, never within one), or a given version's own indices.
 */
export class SearchReader implements AppliedVersions {
  /** The aliases or indices read. */
  readonly aliases: { readonly orders: string; readonly products: string; readonly customers: string };

  constructor(
    private readonly es: Client,
    indexPrefix: string,
    readonly version: number | 'live' = 'live',
  ) {
    this.aliases = version === 'live' ? searchAliases(indexPrefix) : searchIndices(indexPrefix, version);
  }

  /**
   * Orders matching every given criterion: by relevance when `q` is given, else newest first;
   * ties broken by descending order id, so that pages are stable.
   */
  async searchOrders(search: OrderSearch): Promise<SearchPage<OrderSearchDocument>> {
    const filter: estypes.QueryDslQueryContainer[] = [];
    if (search.status) filter.push({ term: { status: search.status } });
    if (search.currency) filter.push({ term: { currency: search.currency } });
    if (search.minTotalCents !== undefined || search.maxTotalCents !== undefined)
      filter.push({ range: { totalCents: { gte: search.minTotalCents, lte: search.maxTotalCents } } });
    if (search.from || search.to) filter.push({ range: { placedAt: { gte: search.from, lt: search.to } } });
    const must: estypes.QueryDslQueryContainer[] = search.q
      ? [
          {
            bool: {
              should: [
                {
                  multi_match: {
                    query: search.q,
                    fields: ['customerName^2', 'productNames'],
                    operator: 'and',
                  },
                },
                { term: { skus: search.q } },
                { term: { orderId: search.q } },
                { term: { customerId: search.q } },
              ],
              minimum_should_match: 1,
            },
          },
        ]
      : [];
    const sort: estypes.SortCombinations[] = [
      ...(search.q ? [{ _score: { order: 'desc' as const } }] : []),
      { placedAt: { order: 'desc' } },
      { orderId: { order: 'desc' } },
    ];
    return this.page<OrderSearchDocument>(this.aliases.orders, { bool: { must, filter } }, sort, search);
  }

  /** Products matching `q` by relevance, or all by name; ties broken by product id. */
  async searchProducts(search: ProductSearch): Promise<SearchPage<ProductSearchDocument>> {
    const query: estypes.QueryDslQueryContainer = search.q
      ? {
          bool: {
            should: [
              { multi_match: { query: search.q, fields: ['name^2', 'description'], operator: 'and' } },
              { term: { sku: search.q } },
            ],
            minimum_should_match: 1,
          },
        }
      : { match_all: {} };
    const sort: estypes.SortCombinations[] = [
      ...(search.q ? [{ _score: { order: 'desc' as const } }] : []),
      { 'name.keyword': { order: 'asc' } },
      { productId: { order: 'asc' } },
    ];
    return this.page<ProductSearchDocument>(this.aliases.products, query, sort, search);
  }

  /** Makes every write so far visible to search (reads by id see them at once anyway). */
  async refresh(): Promise<void> {
    await this.es.indices.refresh({ index: [this.aliases.orders, this.aliases.products] });
  }

  async appliedVersion(aggregateType: AggregateType, aggregateId: string): Promise<AppliedVersion> {
    const [alias, field] = {
      order: [this.aliases.orders, 'version'],
      product: [this.aliases.products, 'version'],
      // Applied means joined too: orders indexed before the registration show the customer.
      customer: [this.aliases.customers, 'joinedVersion'],
    }[aggregateType] as [string, keyof StoredSearchCustomer];
    const found = await this.es.get<StoredSearchCustomer>(
      { index: alias, id: aggregateId, _source_includes: [field] },
      { ignore: [404] },
    );
    return found.found ? (found._source?.[field] ?? 0) : 0;
  }

  private async page<T>(
    index: string,
    query: estypes.QueryDslQueryContainer,
    sort: estypes.SortCombinations[],
    { limit, after }: { limit: number; after?: SearchPosition | undefined },
  ): Promise<SearchPage<T>> {
    const result = await this.es.search<T>({
      index,
      query,
      sort,
      size: limit + 1,
      track_total_hits: true,
      ...(after ? { search_after: [...after] } : {}),
    });
    const hits = result.hits.hits;
    const items = hits.slice(0, limit).flatMap((hit) => (hit._source ? [hit._source] : []));
    const last = hits[limit - 1];
    const total = result.hits.total;
    return {
      total: typeof total === 'number' ? total : (total?.value ?? 0),
      items,
      next: hits.length > limit && last?.sort ? (last.sort as (string | number)[]) : null,
    };
  }
}
