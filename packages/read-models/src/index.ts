/**
 * The read models, each in its own folder: where it lives (MongoDB collections, Elasticsearch
 * aliases and indices, Redis keys), in numbered versions with a live pointer, how it is written
 * (its store adapter and projection, which the projector runtime drives) and how it is read (the
 * query gateway, the convergence checker and the `cqrs` CLI use its reader and catalog).
 */
export {
  CUSTOMER_ORDERS_PAGE_SIZE,
  ORDER_HISTORY_VERSIONS_COLLECTION,
  orderHistoryCollections,
  orderViewKeys,
} from './order-history/layout.js';
export type { OrderViewKeys } from './order-history/layout.js';
export { searchAliases, searchIndices, searchVersionsIndex } from './search/layout.js';
export { analyticsKeys, analyticsVersionKeys } from './analytics/layout.js';
export type { AnalyticsKeys } from './analytics/layout.js';
export type { AppliedVersion, AppliedVersions } from './applied-version.js';
export { OrderHistoryReader, fromStoredOrder } from './order-history/reader.js';
export {
  OrderViewsReader,
  customerOrderMember,
  orderViewEntry,
  orderViewRank,
  renderOrder,
} from './order-history/views.js';
export type { CustomerOrdersViewPage, RenderedOrder } from './order-history/views.js';
export type {
  CustomerOrdersJsonPage,
  CustomerOrdersPage,
  CustomerOrdersPosition,
  StoredCustomer,
  StoredOrder,
} from './order-history/reader.js';
export { SearchReader } from './search/reader.js';
export type { OrderSearch, ProductSearch, SearchPage, SearchPosition } from './search/reader.js';
export { AnalyticsReader } from './analytics/reader.js';
export type { SalesFigures, TopProduct } from './analytics/reader.js';
export {
  VERSION_STATES,
  VersionCatalogError,
  assertVersion,
  describeVersions,
  nextVersion,
} from './versions.js';
export type {
  PartitionProgress,
  RebuildProgress,
  VersionCatalog,
  VersionRecord,
  VersionState,
} from './versions.js';
export { OrderHistoryVersions } from './order-history/catalog.js';
export { unlinkMatching } from './redis-keys.js';
export type { OrderViewStore } from './order-history/catalog.js';
export { SEARCH_CUSTOMERS_MAPPING, SearchVersions } from './search/catalog.js';
export { AnalyticsVersions } from './analytics/catalog.js';

// Writing: the contract between a read model and the projector runtime, and each model's writer.
export { StoreUnavailableError } from './writing/contract.js';
export type {
  AggregateEvents,
  AggregateFold,
  ApplyOutcome,
  ApplyRejection,
  Checkpoint,
  CheckpointMove,
  ParkedAggregates,
  PreparedBatch,
  ProjectedEvent,
  Projection,
  ProjectionVersion,
  ProjectionVersions,
  Unwritten,
  WriteOutcome,
} from './writing/contract.js';
export { applyOne, foldsInOrder, storeProjection } from './writing/store-projection.js';
export { RecentWrites } from './writing/recent-writes.js';
export { SharedRequests } from './writing/shared-requests.js';
export { orderHistoryProjection, orderHistoryVersions } from './order-history/projection.js';
export { MongoOrderHistoryStore } from './order-history/store.js';
export { MongoParkedAggregates } from './order-history/parked.js';
export { RedisOrderViews } from './order-history/views-store.js';
export { searchProjection, searchVersions } from './search/projection.js';
export { ElasticsearchSearchStore } from './search/store.js';
export { analyticsProjection, analyticsVersions } from './analytics/projection.js';
export { RedisAnalyticsStore } from './analytics/store.js';
export { RedisParkedAggregates } from './analytics/parked.js';
export { readModelVersions } from './by-name.js';
export type { ReadModelStores } from './by-name.js';
