// Given/When/Then helpers for the domain's unit tests: histories of events, folded into state.
import type { EventPayloads } from '@cqrs-shop/events';

import {
  type CustomerState,
  type DomainError,
  type DomainErrorCode,
  type DomainEvent,
  type EventOf,
  type OrderState,
  type ProductState,
  domainEvent,
  evolveCustomer,
  evolveOrder,
  evolveProduct,
  isDomainError,
} from '../src/domain/index.js';

export const ALICE = '0c6f4a1e-0000-4000-8000-00000000a11c';
export const KEYBOARD = '5b0e9a42-0000-4000-8000-00000000000b';
export const MOUSE = '5b0e9a42-0000-4000-8000-00000000000c';
export const ORDER = '7d3c1f00-0000-4000-8000-000000000001';
export const OTHER_ORDER = '7d3c1f00-0000-4000-8000-000000000002';

/** Everything the write model holds, by id: what the application would load from MySQL. */
export interface World {
  readonly customers: ReadonlyMap<string, CustomerState>;
  readonly products: ReadonlyMap<string, ProductState>;
  readonly orders: ReadonlyMap<string, OrderState>;
}

/** Given: the state after `events`, each applied to its own aggregate. */
export function given(...events: DomainEvent[]): World {
  return after({ customers: new Map(), products: new Map(), orders: new Map() }, events);
}

/** The world after more events, e.g. the ones a command just decided. */
export function after(world: World, events: readonly DomainEvent[]): World {
  const customers = new Map(world.customers);
  const products = new Map(world.products);
  const orders = new Map(world.orders);
  for (const event of events) {
    switch (event.aggregateType) {
      case 'customer':
        customers.set(event.aggregateId, evolveCustomer(customers.get(event.aggregateId), event));
        break;
      case 'product':
        products.set(event.aggregateId, evolveProduct(products.get(event.aggregateId), event));
        break;
      case 'order':
        orders.set(event.aggregateId, evolveOrder(orders.get(event.aggregateId), event));
        break;
    }
  }
  return { customers, products, orders };
}

export function customerRegistered(
  overrides: Partial<EventPayloads['CustomerRegistered']> = {},
): EventOf<'CustomerRegistered'> {
  return domainEvent('CustomerRegistered', 1, {
    customerId: ALICE,
    name: 'Alice Liddell',
    email: 'alice@example.com',
    givenName: 'Alice',
    familyName: 'Liddell',
    ...overrides,
  });
}

/** A keyboard at 49.99 EUR with 10 on hand, unless overridden. */
export function productAdded(
  overrides: Partial<EventPayloads['ProductAdded']> = {},
): EventOf<'ProductAdded'> {
  return domainEvent('ProductAdded', 1, {
    productId: KEYBOARD,
    sku: 'KB-01',
    name: 'Keyboard',
    description: null,
    priceCents: 4_999,
    currency: 'EUR',
    stock: 10,
    ...overrides,
  });
}

/** A mouse at 19.50 EUR with 5 on hand, unless overridden. */
export function mouseAdded(overrides: Partial<EventPayloads['ProductAdded']> = {}): EventOf<'ProductAdded'> {
  return productAdded({
    productId: MOUSE,
    sku: 'MS-01',
    name: 'Mouse',
    priceCents: 1_950,
    stock: 5,
    ...overrides,
  });
}

/** Then (an error): the DomainError `run` throws, checked to be for `reason`. */
export function domainErrorOf<C extends DomainErrorCode>(reason: C, run: () => unknown): DomainError<C> {
  try {
    run();
  } catch (error) {
    if (isDomainError(error, reason)) return error;
    throw error;
  }
  throw new Error(`expected a DomainError for ${reason}, but no error was thrown`);
}

/** The state of one aggregate, failing the test when it is missing. */
export function the<T>(map: ReadonlyMap<string, T>, id: string): T {
  const value = map.get(id);
  if (value === undefined) throw new Error(`nothing with id ${id}`);
  return value;
}
