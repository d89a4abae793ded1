import { DomainError } from './errors.js';
import { type AggregateEvent, type EventOf, domainEvent, versionAfter } from './events.js';
import { MAX_INT, optionalText, requireCents, requireInteger, requireText } from './validation.js';

/** A catalogue product as the write model knows it. */
export interface ProductState {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string | null;
  /** Price in integer minor units of `currency` (cents for EUR). */
  readonly priceCents: number;
  /** ISO 4217 code, e.g. `EUR`. */
  readonly currency: string;
  /** Units on hand, never below zero; units reserved for orders are already taken off. */
  readonly stock: number;
  readonly version: number;
}

/** Add a product to the catalogue under an id the application generated. */
export interface AddProduct {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly description?: string | null | undefined;
  readonly priceCents: number;
  readonly currency: string;
  /** Units on hand to start with. */
  readonly stock: number;
}

/** Set a product's price (in its existing currency). */
export interface ChangePrice {
  readonly productId: string;
  readonly priceCents: number;
}

/** Add units to a product's stock. */
export interface Restock {
  readonly productId: string;
  readonly quantity: number;
}

const CURRENCY_SHAPE = /^[A-Z]{3}$/;
// Fits a MySQL TEXT column (65,535 bytes) even at 4 bytes per character.
const MAX_DESCRIPTION_LENGTH = 16_383;

/**
 * Adds a product. Text is trimmed and an empty description counts as none. That the SKU is not
 * taken yet is checked by the database's unique key, not here.
 * @throws {DomainError} `invalid-value` for an empty SKU or name, a negative or fractional price
 * or stock, or a currency that is not three upper-case letters.
 */
export function decideAddProduct(command: AddProduct): [EventOf<'ProductAdded'>] {
  const sku = requireText('sku', command.sku, 64);
  const name = requireText('name', command.name, 200);
  const description = optionalText('description', command.description, MAX_DESCRIPTION_LENGTH);
  const priceCents = requireCents('priceCents', command.priceCents);
  if (!CURRENCY_SHAPE.test(command.currency)) {
    throw DomainError.invalidValue(
      'currency',
      'must be an ISO 4217 code of three upper-case letters, e.g. EUR',
    );
  }
  const stock = requireInteger('stock', command.stock, 0, MAX_INT);
  return [
    domainEvent('ProductAdded', 1, {
      productId: command.productId,
      sku,
      name,
      description,
      priceCents,
      currency: command.currency,
      stock,
    }),
  ];
}

/**
 * Changes a product's price; orders already placed keep theirs. Setting the current price
 * again changes nothing and yields no event.
 * @throws {DomainError} `not-found` without a product, `invalid-value` for a bad price.
 */
export function decideChangePrice(
  command: ChangePrice,
  state: ProductState | undefined,
): [] | [EventOf<'ProductPriceChanged'>] {
  const product = existing(state, command.productId);
  const priceCents = requireCents('priceCents', command.priceCents);
  if (priceCents === product.priceCents) return [];
  return [
    domainEvent('ProductPriceChanged', product.version + 1, {
      productId: product.productId,
      previousPriceCents: product.priceCents,
      priceCents,
      currency: product.currency,
    }),
  ];
}

/**
 * Adds `quantity` units (at least 1) to a product's stock.
 * @throws {DomainError} `not-found` without a product, `invalid-value` for a bad quantity,
 * `stock-limit` when the stock on hand and the quantity together outgrow the write model.
 */
export function decideRestock(
  command: Restock,
  state: ProductState | undefined,
): [EventOf<'ProductRestocked'>] {
  const product = existing(state, command.productId);
  const quantity = requireInteger('quantity', command.quantity, 1, MAX_INT);
  if (product.stock + quantity > MAX_INT) {
    // The quantity is fine on its own: it is the stock on hand that leaves no room for it.
    throw new DomainError('stock-limit', `quantity would raise the stock above ${MAX_INT} units`, {
      productId: product.productId,
      stock: product.stock,
      quantity,
      limit: MAX_INT,
    });
  }
  return [
    domainEvent('ProductRestocked', product.version + 1, {
      productId: product.productId,
      quantity,
      stock: product.stock + quantity,
    }),
  ];
}

/**
 * Takes `quantity` units of a product for an order. Part of placing an order, not a command of
 * its own.
 * @throws {DomainError} `insufficient-stock` when fewer units are on hand.
 */
export function reserveStock(
  product: ProductState,
  orderId: string,
  quantity: number,
): EventOf<'StockReserved'> {
  if (quantity > product.stock) {
    throw new DomainError(
      'insufficient-stock',
      `insufficient stock for product ${product.productId}: requested ${quantity}, available ${product.stock}`,
      { productId: product.productId, sku: product.sku, requested: quantity, available: product.stock },
    );
  }
  return domainEvent('StockReserved', product.version + 1, {
    productId: product.productId,
    orderId,
    quantity,
    stock: product.stock - quantity,
  });
}

/** Gives `quantity` units reserved for a cancelled order back to a product's stock. */
export function releaseStock(
  product: ProductState,
  orderId: string,
  quantity: number,
): EventOf<'StockReleased'> {
  return domainEvent('StockReleased', product.version + 1, {
    productId: product.productId,
    orderId,
    quantity,
    stock: product.stock + quantity,
  });
}

/** Applies one product event: the state after it, one version later. */
export function evolveProduct(
  state: ProductState | undefined,
  event: AggregateEvent<'product'>,
): ProductState {
  if (event.type === 'ProductAdded') {
    if (state) throw new Error(`product ${event.aggregateId} was already added`);
    const { productId, sku, name, description, priceCents, currency, stock } = event.data;
    return {
      productId,
      sku,
      name,
      description,
      priceCents,
      currency,
      stock,
      version: versionAfter(state, event),
    };
  }
  if (!state) throw new Error(`${event.type} for product ${event.aggregateId}, which was never added`);
  const version = versionAfter(state, event);
  switch (event.type) {
    case 'ProductPriceChanged':
      return { ...state, priceCents: event.data.priceCents, version };
    // Stock events carry the resulting stock, so the state follows them exactly.
    case 'ProductRestocked':
    case 'StockReserved':
    case 'StockReleased':
      return { ...state, stock: event.data.stock, version };
  }
}

function existing(state: ProductState | undefined, productId: string): ProductState {
  if (!state) throw DomainError.notFound('product', productId);
  return state;
}
