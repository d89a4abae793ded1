import {
  type CustomerRecord,
  ORDERS_MAPPING,
  type OrderEventType,
  type OrderHistoryDocument,
  type OrderSearchDocument,
  PRODUCTS_MAPPING,
  type ProductEventType,
  type ProductSearchDocument,
  applyOrderEvent,
  applyOrderSearchEvent,
  applyProductEvent,
  isRejection,
  toOrderSearchDocument,
  withCustomer,
  withOrderSearchCustomer,
} from '@cqrs-shop/projections';

import {
  ALICE,
  type Delivery,
  KEYBOARD,
  ORDER,
  PLACED_AT,
  orderHistoryTo,
  orderPlaced,
  orderShipped,
  productAdded,
  productPriceChanged,
  productRestocked,
  project,
  stockReleased,
  stockReserved,
} from './builders.js';
import { deliveries, randomLifecycles, seededRandom } from './lifecycles.js';

const ALICE_RECORD: CustomerRecord = {
  customerId: ALICE,
  name: 'Alice Liddell',
  email: 'alice@example.com',
  version: 1,
};

const applyOrderSearch = (
  doc: OrderSearchDocument | undefined,
  { envelope, payload }: Delivery<OrderEventType>,
) => applyOrderSearchEvent(doc, envelope, payload);

const applyHistory = (
  doc: OrderHistoryDocument | undefined,
  { envelope, payload }: Delivery<OrderEventType>,
) => applyOrderEvent(doc, envelope, payload);

const applyProduct = (
  doc: ProductSearchDocument | undefined,
  { envelope, payload }: Delivery<ProductEventType>,
) => applyProductEvent(doc, envelope, payload);

describe('an order search document', () => {
  it('holds what orders are searched by: customer, product names, SKUs, status, total and time', () => {
    const history = project(applyHistory, orderHistoryTo('PAID'));
    if (history === undefined) throw new Error('no document');

    expect(toOrderSearchDocument(withCustomer(history, ALICE_RECORD))).toEqual({
      orderId: ORDER,
      customerId: ALICE,
      customerName: 'Alice Liddell',
      customerEmail: 'alice@example.com',
      productNames: ['Keyboard', 'Mouse'],
      skus: ['KB-01', 'MS-01'],
      status: 'PAID',
      totalCents: 11_948,
      currency: 'EUR',
      channel: 'WEB',
      placedAt: PLACED_AT,
      version: 2,
    });
  });

  it('says where the order was placed, applied directly as derived from the history', () => {
    const placed = orderPlaced({ channel: 'MARKETPLACE' });
    const history = project(applyHistory, [placed]);
    if (history === undefined) throw new Error('no document');

    expect(project(applyOrderSearch, [placed])).toMatchObject({ channel: 'MARKETPLACE' });
    expect(toOrderSearchDocument(history).channel).toBe('MARKETPLACE');
  });

  it('leaves the customer fields null until the customer is known', () => {
    const doc = project(applyOrderSearch, [orderPlaced()]);

    expect(doc).toMatchObject({ customerName: null, customerEmail: null });
  });

  it('joins the customer once, returning the same document when joined again', () => {
    const doc = project(applyOrderSearch, [orderPlaced()]);
    if (doc === undefined) throw new Error('no document');

    const joined = withOrderSearchCustomer(doc, ALICE_RECORD);

    expect(joined).toMatchObject({ customerName: 'Alice Liddell', customerEmail: 'alice@example.com' });
    expect(withOrderSearchCustomer(joined, ALICE_RECORD)).toBe(joined);
  });

  it('ignores a redelivered or older order event', () => {
    const shipped = project(applyOrderSearch, orderHistoryTo('SHIPPED'));

    expect(applyOrderSearch(shipped, orderShipped())).toBeUndefined();
    expect(applyOrderSearch(shipped, orderPlaced())).toBeUndefined();
  });

  it('parks a change to an order it holds nothing of', () => {
    expect(applyOrderSearch(undefined, orderShipped())).toMatchObject({ kind: 'missing-predecessor' });
  });

  it('is, applied directly, the search view of the history document after any delivery', () => {
    const random = seededRandom(7);
    const lifecycles = randomLifecycles(random, 200);
    const held = new Map<string, OrderSearchDocument>();

    for (const each of deliveries(random, lifecycles)) {
      const result = applyOrderSearch(held.get(each.envelope.aggregateId), each);
      if (isRejection(result)) throw new Error(`rejected: ${JSON.stringify(result)}`);
      if (result !== undefined) held.set(each.envelope.aggregateId, result);
    }

    for (const lifecycle of lifecycles) {
      const history = project(applyHistory, lifecycle.events);
      if (history === undefined) throw new Error('no document');
      expect(held.get(lifecycle.orderId)).toEqual(toOrderSearchDocument(history));
    }
  });
});

describe('a product search document', () => {
  const added = () => project(applyProduct, [productAdded()]);

  it('starts from ProductAdded', () => {
    expect(added()).toEqual({
      productId: KEYBOARD,
      sku: 'KB-01',
      name: 'Keyboard',
      description: 'A quiet mechanical keyboard',
      priceCents: 4_999,
      currency: 'EUR',
      stock: 10,
      version: 1,
    });
  });

  it('takes the new price from ProductPriceChanged', () => {
    expect(applyProduct(added(), productPriceChanged({ priceCents: 5_499 }))).toMatchObject({
      priceCents: 5_499,
      version: 2,
    });
  });

  it.each([
    ['ProductRestocked', productRestocked({ quantity: 5, stock: 15 }), 15],
    ['StockReserved', stockReserved({ quantity: 2, stock: 8 }), 8],
    ['StockReleased', stockReleased({ version: 2, quantity: 2, stock: 12 }), 12],
  ] as const)('takes the stock after %s from the event', (_type, event, stock) => {
    expect(applyProduct(added(), event)).toMatchObject({ stock, version: 2 });
  });

  it('follows a product through every kind of change, one version each', () => {
    const doc = project(applyProduct, [
      productAdded(),
      productPriceChanged({ version: 2, priceCents: 5_499 }),
      stockReserved({ version: 3, stock: 8 }),
      productRestocked({ version: 4, stock: 13 }),
      stockReleased({ version: 5, stock: 15 }),
    ]);

    expect(doc).toMatchObject({ priceCents: 5_499, stock: 15, version: 5 });
  });

  it('ignores a stock event delivered a second time, so stock is never counted twice', () => {
    const reserved = stockReserved({ stock: 8 });
    const once = project(applyProduct, [productAdded(), reserved]);

    expect(applyProduct(once, reserved)).toBeUndefined();
  });

  it('never lets an older stock level overwrite a newer one', () => {
    const newer = project(applyProduct, [productAdded(), stockReserved({ stock: 8 })]);

    expect(applyProduct(newer, productAdded())).toBeUndefined();
  });

  it('parks a stock event for a product it holds nothing of', () => {
    expect(applyProduct(undefined, stockReserved())).toMatchObject({
      kind: 'missing-predecessor',
      aggregateType: 'product',
      version: 2,
      heldVersion: 0,
    });
  });
});

/** Every `analyzer` a mapping names, at any depth. */
function analyzersIn(mapping: unknown): string[] {
  if (typeof mapping !== 'object' || mapping === null) return [];
  return Object.entries(mapping).flatMap(([key, value]) =>
    key === 'analyzer' && typeof value === 'string' ? [value] : analyzersIn(value),
  );
}

describe('the search index mappings', () => {
  const orderDoc = toOrderSearchDocument(project(applyHistory, [orderPlaced()]) as OrderHistoryDocument);
  const productDoc = project(applyProduct, [productAdded()]) as ProductSearchDocument;

  it.each([
    ['orders', ORDERS_MAPPING, orderDoc],
    ['products', PRODUCTS_MAPPING, productDoc],
  ] as const)('map the %s index strictly, one field per document field', (_index, mapping, doc) => {
    expect(mapping.dynamic).toBe('strict');
    expect(Object.keys(mapping.properties).sort()).toEqual(Object.keys(doc).sort());
  });

  it('use only the built-in standard analyzer', () => {
    expect(new Set([...analyzersIn(ORDERS_MAPPING), ...analyzersIn(PRODUCTS_MAPPING)])).toEqual(
      new Set(['standard']),
    );
  });

  it('index ids, status, currency, channel and SKUs as keywords, cents as longs and times as dates', () => {
    expect(ORDERS_MAPPING.properties).toMatchObject({
      orderId: { type: 'keyword' },
      customerId: { type: 'keyword' },
      skus: { type: 'keyword' },
      status: { type: 'keyword' },
      currency: { type: 'keyword' },
      channel: { type: 'keyword' },
      totalCents: { type: 'long' },
      placedAt: { type: 'date' },
    });
    expect(PRODUCTS_MAPPING.properties).toMatchObject({
      productId: { type: 'keyword' },
      sku: { type: 'keyword' },
      currency: { type: 'keyword' },
      priceCents: { type: 'long' },
    });
  });

  it('make names searchable as text and sortable through a keyword sub-field', () => {
    const textWithKeyword = { type: 'text', fields: { keyword: { type: 'keyword' } } };
    expect(ORDERS_MAPPING.properties).toMatchObject({
      customerName: textWithKeyword,
      customerEmail: textWithKeyword,
      productNames: textWithKeyword,
    });
    expect(PRODUCTS_MAPPING.properties.name).toMatchObject(textWithKeyword);
  });
});
