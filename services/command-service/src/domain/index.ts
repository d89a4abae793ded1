/**
 * The write side's rules as pure functions, in emmett's decider shape: `decide…(command, state)`
 * returns the events a command causes or throws a {@link DomainError}; `evolve…(state, event)`
 * returns the state after an event. No I/O, no clock, no randomness: ids come in with commands.
 */
export { DOMAIN_ERROR_CODES, DomainError, isDomainError } from './errors.js';
export type { DomainErrorCode, DomainErrorDetails } from './errors.js';
export { domainEvent } from './events.js';
export type { AggregateEvent, AggregateType, DomainEvent, EventOf } from './events.js';
export { decideRegisterCustomer, evolveCustomer } from './customer.js';
export type { CustomerState, RegisterCustomer } from './customer.js';
export { decideAddProduct, decideChangePrice, decideRestock, evolveProduct } from './product.js';
export type { AddProduct, ChangePrice, ProductState, Restock } from './product.js';
export {
  DEFAULT_SALES_CHANNEL,
  ORDER_STATUSES,
  SALES_CHANNELS,
  decideCancelOrder,
  decidePayOrder,
  decidePlaceOrder,
  decideShipOrder,
  evolveOrder,
} from './order.js';
export type {
  OrderCommand,
  OrderItem,
  OrderLine,
  OrderState,
  OrderStatus,
  PlaceOrder,
  SalesChannel,
} from './order.js';
export { MAX_CENTS } from './validation.js';
