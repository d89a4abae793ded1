/**
 * The read models as stored: where each lives (MongoDB collections, Elasticsearch aliases, Redis
 * keys) and how each is read. Projectors write to these places; the query gateway and the
 * convergence checker read from them through the readers below.
 */
export { ORDER_HISTORY_COLLECTIONS, analyticsKeys, searchAliases } from './layout.js';
export type { AnalyticsKeys } from './layout.js';
export type { AppliedVersion, AppliedVersions } from './applied-version.js';
export { OrderHistoryReader, fromStoredOrder } from './order-history-reader.js';
export type {
  CustomerOrdersPage,
  CustomerOrdersPosition,
  StoredCustomer,
  StoredOrder,
} from './order-history-reader.js';
export { SearchReader } from './search-reader.js';
export type { OrderSearch, ProductSearch, SearchPage, SearchPosition } from './search-reader.js';
export { AnalyticsReader } from './analytics-reader.js';
export type { SalesFigures, TopProduct } from './analytics-reader.js';
