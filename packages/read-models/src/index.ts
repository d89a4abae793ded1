/**
 * The read models as stored: where each lives (MongoDB collections, Elasticsearch aliases and
 * indices, Redis keys), in numbered versions with a live pointer, and how each is read.
 * Projectors write to these places; the query gateway, the convergence checker and the `cqrs`
 * CLI read from them through the readers and catalogs below.
 */
export {
  CUSTOMER_ORDERS_PAGE_SIZE,
  ORDER_HISTORY_TARGETS_COLLECTION,
  analyticsKeys,
  analyticsTargetKeys,
  orderHistoryCollections,
  orderViewKeys,
  searchAliases,
  searchIndices,
  searchTargetsIndex,
} from './layout.js';
export type { AnalyticsKeys, OrderViewKeys } from './layout.js';
export type { AppliedVersion, AppliedVersions } from './applied-version.js';
export { OrderHistoryReader, fromStoredOrder } from './order-history-reader.js';
export {
  OrderViewsReader,
  customerOrderMember,
  orderViewEntry,
  orderViewRank,
  renderOrder,
} from './order-views.js';
export type { CustomerOrdersViewPage, RenderedOrder } from './order-views.js';
export type {
  CustomerOrdersJsonPage,
  CustomerOrdersPage,
  CustomerOrdersPosition,
  StoredCustomer,
  StoredOrder,
} from './order-history-reader.js';
export { SearchReader } from './search-reader.js';
export type { OrderSearch, ProductSearch, SearchPage, SearchPosition } from './search-reader.js';
export { AnalyticsReader } from './analytics-reader.js';
export type { SalesFigures, TopProduct } from './analytics-reader.js';
export {
  TARGET_STATES,
  TargetCatalogError,
  assertVersion,
  describeTargets,
  nextTargetVersion,
} from './targets.js';
export type {
  PartitionProgress,
  RebuildProgress,
  TargetCatalog,
  TargetRecord,
  TargetState,
} from './targets.js';
export { OrderHistoryTargets } from './catalogs/order-history-targets.js';
export { unlinkMatching } from './catalogs/redis-keys.js';
export type { OrderViewStore } from './catalogs/order-history-targets.js';
export { SEARCH_CUSTOMERS_MAPPING, SearchTargets } from './catalogs/search-targets.js';
export { AnalyticsTargets } from './catalogs/analytics-targets.js';
