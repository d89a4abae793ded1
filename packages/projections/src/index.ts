/**
 * The read models' logic as pure functions: what each event changes in order history (MongoDB),
 * search (Elasticsearch) and analytics (Redis). No I/O, no clock: times come from the envelopes.
 *
 * Every `apply…(held, envelope, payload)` applies exactly the next version of an aggregate and
 * returns the changed state, `undefined` for an event applied before (redelivery, replay), or a
 * {@link Rejection} for one that cannot be applied (the runtime parks it). The runtime writes the
 * result guarded by version, so applying an event twice, or the whole history again, changes
 * nothing and an older version never overwrites a newer one.
 */
export type { CustomerEventType, EnvelopeOf, OrderEventType, ProductEventType } from './events.js';
export { foldEvents, isRejection } from './sequence.js';
export type { ApplyResult, Fold, InvalidEvent, MissingPredecessor, Rejection } from './sequence.js';
export { ORDER_STATUSES } from './order-lifecycle.js';
export type { OrderStatus } from './order-lifecycle.js';
export { applyCustomerEvent, applyOrderEvent, withCustomer } from './order-history.js';
export type {
  CustomerRecord,
  OrderCustomer,
  OrderHistoryDocument,
  OrderHistoryLine,
  OrderStatusChange,
  SalesChannel,
} from './order-history.js';
export {
  ORDERS_MAPPING,
  PRODUCTS_MAPPING,
  applyOrderSearchEvent,
  applyProductEvent,
  toOrderSearchDocument,
  withOrderSearchCustomer,
} from './search.js';
export type { OrderSearchDocument, ProductSearchDocument } from './search.js';
export {
  analyticsDeltas,
  applyDeltas,
  applyOrderToAnalytics,
  nextOrderSnapshot,
  applyProductToAnalytics,
  hourBucket,
  recomputeCounters,
  topProductsByUnits,
} from './analytics.js';
export type {
  AnalyticsChange,
  AnalyticsCounters,
  AnalyticsLine,
  CounterDelta,
  OrderAnalyticsSnapshot,
  ProductLabel,
  ProductSales,
} from './analytics.js';
