import { ShopError } from '@cqrs-shop/errors';
import type { PoolConnection } from 'mysql2/promise';
import {
  type AggregateEvent,
  type AggregateType,
  type CustomerState,
  decideAddProduct,
  decideCancelOrder,
  decideChangePrice,
  decidePayOrder,
  decidePlaceOrder,
  decideRegisterCustomer,
  decideRestock,
  decideShipOrder,
  type DomainEvent,
  DomainError,
  evolveCustomer,
  evolveOrder,
  evolveProduct,
  type OrderState,
  type PlaceOrder,
  type ProductState,
  type RegisterCustomer,
} from '../domain/index.js';
import {
  loadCustomer,
  loadOrder,
  loadProducts,
  saveCustomer,
  saveOrder,
  saveProduct,
  UniqueKeyViolationError,
} from '../adapters/mysql/write-model.js';

/** What a command did: its events, and the aggregate the caller asked about, after the change. */
export interface Effect<S> {
  readonly events: readonly DomainEvent[];
  readonly aggregateType: AggregateType;
  readonly aggregateId: string;
  readonly state: S;
}

/** The version a command expects its aggregate to have (If-Match), when the caller gave one. */
export type ExpectedVersion = number | undefined;

/** The current version differs from the one the caller expected. */
export class VersionMismatchError extends ShopError<'command.version-mismatch'> {
  constructor(
    readonly aggregateType: AggregateType,
    readonly aggregateId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      'command.version-mismatch',
      `${aggregateType} ${aggregateId} is at version ${actual}, not ${expected}`,
    );
  }
}

function checkExpected(
  state: { version: number } | undefined,
  expected: ExpectedVersion,
  type: AggregateType,
  id: string,
) {
  if (state && expected !== undefined && state.version !== expected) {
    throw new VersionMismatchError(type, id, expected, state.version);
  }
}

function fold<S, E>(
  state: S | undefined,
  events: readonly E[],
  evolve: (state: S | undefined, event: E) => S,
): S | undefined {
  return events.reduce<S | undefined>((current, event) => evolve(current, event), state);
}

function eventsOf<A extends AggregateType>(
  events: readonly DomainEvent[],
  type: A,
  id: string,
): AggregateEvent<A>[] {
  return events.filter((e): e is AggregateEvent<A> => e.aggregateType === type && e.aggregateId === id);
}

/** Persists every product that the events touched, each from its loaded state. */
async function saveProducts(
  connection: PoolConnection,
  products: Map<string, ProductState>,
  events: readonly DomainEvent[],
) {
  for (const [productId, before] of products) {
    const productEvents = eventsOf(events, 'product', productId);
    if (productEvents.length === 0) continue;
    const after = fold(before, productEvents, evolveProduct);
    if (after) await saveProduct(connection, before, after);
  }
}

// --- customers ---------------------------------------------------------------------------

export async function registerCustomer(
  connection: PoolConnection,
  command: RegisterCustomer,
): Promise<Effect<CustomerState>> {
  const events = decideRegisterCustomer(command);
  const state = fold(undefined, events, evolveCustomer) as CustomerState;
  try {
    await saveCustomer(connection, undefined, state);
  } catch (error) {
    if (error instanceof UniqueKeyViolationError)
      throw DomainError.alreadyExists('customer', 'email', state.email);
    throw error;
  }
  return { events, aggregateType: 'customer', aggregateId: state.customerId, state };
}

// --- products ----------------------------------------------------------------------------

export async function addProduct(
  connection: PoolConnection,
  command: Parameters<typeof decideAddProduct>[0],
): Promise<Effect<ProductState>> {
  const events = decideAddProduct(command);
  const state = fold(undefined, events, evolveProduct) as ProductState;
  try {
    await saveProduct(connection, undefined, state);
  } catch (error) {
    if (error instanceof UniqueKeyViolationError)
      throw DomainError.alreadyExists('product', 'sku', state.sku);
    throw error;
  }
  return { events, aggregateType: 'product', aggregateId: state.productId, state };
}

async function changeProduct(
  connection: PoolConnection,
  productId: string,
  expected: ExpectedVersion,
  decide: (state: ProductState | undefined) => readonly AggregateEvent<'product'>[],
): Promise<Effect<ProductState>> {
  const before = (await loadProducts(connection, [productId], true)).get(productId);
  checkExpected(before, expected, 'product', productId);
  const events = decide(before);
  const after = fold(before, events, evolveProduct);
  if (!after) throw DomainError.notFound('product', productId);
  if (before && events.length > 0) await saveProduct(connection, before, after);
  return { events, aggregateType: 'product', aggregateId: productId, state: after };
}

export function changePrice(
  connection: PoolConnection,
  command: { productId: string; priceCents: number },
  expected: ExpectedVersion,
): Promise<Effect<ProductState>> {
  return changeProduct(connection, command.productId, expected, (state) => decideChangePrice(command, state));
}

export function restock(
  connection: PoolConnection,
  command: { productId: string; quantity: number },
  expected: ExpectedVersion,
): Promise<Effect<ProductState>> {
  return changeProduct(connection, command.productId, expected, (state) => decideRestock(command, state));
}

// --- orders ------------------------------------------------------------------------------

/**
 * Places an order: the products are locked (in id order) for the whole transaction, so
 * concurrent orders for the last units are decided one after another against the true stock.
 */
export async function placeOrder(
  connection: PoolConnection,
  command: PlaceOrder,
): Promise<Effect<OrderState>> {
  const customer = await loadCustomer(connection, command.customerId);
  const products = await loadProducts(
    connection,
    command.items.map((item) => item.productId),
    true,
  );
  const events = decidePlaceOrder(command, customer, products);
  const order = fold(undefined, eventsOf(events, 'order', command.orderId), evolveOrder) as OrderState;
  await saveOrder(connection, undefined, order);
  await saveProducts(connection, products, events);
  return { events, aggregateType: 'order', aggregateId: order.orderId, state: order };
}

type OrderDecision = typeof decidePayOrder | typeof decideShipOrder;

/**
 * Moves an order on. With an `owner`, another customer's order is treated as missing: the
 * caller learns nothing of it, not even that it exists.
 */
async function moveOrder(
  connection: PoolConnection,
  orderId: string,
  expected: ExpectedVersion,
  decide: OrderDecision | 'cancel',
  owner: string | undefined,
): Promise<Effect<OrderState>> {
  const loaded = await loadOrder(connection, orderId, true);
  const before = owner === undefined || loaded?.customerId === owner ? loaded : undefined;
  checkExpected(before, expected, 'order', orderId);
  let events: readonly DomainEvent[];
  let products = new Map<string, ProductState>();
  if (decide === 'cancel') {
    // Releasing stock changes the products too; lock them after the order, as placement does.
    products = before
      ? await loadProducts(
          connection,
          before.lines.map((line) => line.productId),
          true,
        )
      : products;
    events = decideCancelOrder({ orderId }, before, products);
  } else {
    events = decide({ orderId }, before);
  }
  const after = fold(before, eventsOf(events, 'order', orderId), evolveOrder);
  if (!before || !after) throw DomainError.notFound('order', orderId);
  await saveOrder(connection, before, after);
  await saveProducts(connection, products, events);
  return { events, aggregateType: 'order', aggregateId: orderId, state: after };
}

type MoveOrder = (
  connection: PoolConnection,
  orderId: string,
  expected: ExpectedVersion,
  owner?: string,
) => Promise<Effect<OrderState>>;

export const payOrder: MoveOrder = (connection, orderId, expected, owner) =>
  moveOrder(connection, orderId, expected, decidePayOrder, owner);
export const shipOrder: MoveOrder = (connection, orderId, expected, owner) =>
  moveOrder(connection, orderId, expected, decideShipOrder, owner);
export const cancelOrder: MoveOrder = (connection, orderId, expected, owner) =>
  moveOrder(connection, orderId, expected, 'cancel', owner);
