import {
  type AddProduct,
  decideAddProduct,
  decideChangePrice,
  decideRestock,
  domainEvent,
  evolveProduct,
} from '../src/domain/index.js';
import { KEYBOARD, ORDER, after, domainErrorOf, given, productAdded, the } from './domain-fixtures.js';

const keyboard: AddProduct = {
  productId: KEYBOARD,
  sku: 'KB-01',
  name: 'Keyboard',
  description: 'Mechanical, 87 keys',
  priceCents: 4_999,
  currency: 'EUR',
  stock: 10,
};

describe('adding a product', () => {
  it('adds the product at version 1 with its price in minor units, currency and stock', () => {
    expect(decideAddProduct(keyboard)).toEqual([
      {
        type: 'ProductAdded',
        aggregateType: 'product',
        aggregateId: KEYBOARD,
        version: 1,
        data: { ...keyboard, description: 'Mechanical, 87 keys' },
      },
    ]);
  });

  it('trims text and treats a missing or blank description as none', () => {
    const { productId, name, priceCents, currency, stock } = keyboard;
    const [withoutDescription] = decideAddProduct({
      productId,
      sku: ' KB-01 ',
      name,
      priceCents,
      currency,
      stock,
    });
    const [blankDescription] = decideAddProduct({ ...keyboard, name: ' Keyboard\n', description: '  ' });

    expect(withoutDescription.data).toMatchObject({ sku: 'KB-01', description: null });
    expect(blankDescription.data).toMatchObject({ name: 'Keyboard', description: null });
  });

  it('accepts a free product and one with nothing on hand', () => {
    expect(decideAddProduct({ ...keyboard, priceCents: 0, stock: 0 })[0].data).toMatchObject({
      priceCents: 0,
      stock: 0,
    });
  });

  it.each([
    ['sku', { sku: ' ' }],
    ['sku', { sku: 'K'.repeat(65) }],
    ['name', { name: '' }],
    ['priceCents', { priceCents: -1 }],
    ['priceCents', { priceCents: 49.99 }],
    ['priceCents', { priceCents: Number.NaN }],
    ['currency', { currency: 'eur' }],
    ['currency', { currency: 'EURO' }],
    ['currency', { currency: 'E1R' }],
    ['stock', { stock: -1 }],
    ['stock', { stock: 2.5 }],
  ] as const)('rejects a product whose %s is invalid (%j)', (field, change) => {
    const error = domainErrorOf('invalid-value', () => decideAddProduct({ ...keyboard, ...change }));
    expect(error.details.field).toBe(field);
  });

  it('explains what a valid currency looks like', () => {
    expect(
      domainErrorOf('invalid-value', () => decideAddProduct({ ...keyboard, currency: 'eur' })).message,
    ).toBe('currency must be an ISO 4217 code of three upper-case letters, e.g. EUR');
  });
});

describe('changing a price', () => {
  it('records the old and new price in the product currency, one version later', () => {
    const product = the(given(productAdded({ priceCents: 4_999 })).products, KEYBOARD);

    expect(decideChangePrice({ productId: KEYBOARD, priceCents: 3_999 }, product)).toEqual([
      {
        type: 'ProductPriceChanged',
        aggregateType: 'product',
        aggregateId: KEYBOARD,
        version: 2,
        data: { productId: KEYBOARD, previousPriceCents: 4_999, priceCents: 3_999, currency: 'EUR' },
      },
    ]);
  });

  it('changes nothing when the price is already the one asked for', () => {
    const product = the(given(productAdded({ priceCents: 4_999 })).products, KEYBOARD);
    expect(decideChangePrice({ productId: KEYBOARD, priceCents: 4_999 }, product)).toEqual([]);
  });

  it('rejects a negative or fractional price', () => {
    const product = the(given(productAdded()).products, KEYBOARD);
    for (const priceCents of [-100, 0.5]) {
      expect(
        domainErrorOf('invalid-value', () => decideChangePrice({ productId: KEYBOARD, priceCents }, product))
          .details.field,
      ).toBe('priceCents');
    }
  });

  it('rejects a change to an unknown product as not found', () => {
    const error = domainErrorOf('not-found', () =>
      decideChangePrice({ productId: KEYBOARD, priceCents: 1 }, undefined),
    );
    expect(error.details).toEqual({ aggregateType: 'product', id: KEYBOARD });
    expect(error.message).toBe(`product ${KEYBOARD} does not exist`);
  });
});

describe('restocking', () => {
  it('adds the units and records the stock after, one version later', () => {
    const product = the(given(productAdded({ stock: 3 })).products, KEYBOARD);

    expect(decideRestock({ productId: KEYBOARD, quantity: 7 }, product)).toEqual([
      {
        type: 'ProductRestocked',
        aggregateType: 'product',
        aggregateId: KEYBOARD,
        version: 2,
        data: { productId: KEYBOARD, quantity: 7, stock: 10 },
      },
    ]);
  });

  it.each([0, -1, 1.5])('rejects restocking %d units', (quantity) => {
    const product = the(given(productAdded()).products, KEYBOARD);
    const error = domainErrorOf('invalid-value', () =>
      decideRestock({ productId: KEYBOARD, quantity }, product),
    );
    expect(error.details.field).toBe('quantity');
  });

  it('refuses a restock that would raise the stock beyond what the write model can hold, as a conflict with the stock on hand', () => {
    const product = the(given(productAdded({ stock: 2_147_483_000 })).products, KEYBOARD);
    const error = domainErrorOf('stock-limit', () =>
      decideRestock({ productId: KEYBOARD, quantity: 1_000 }, product),
    );
    expect(error.message).toBe('quantity would raise the stock above 2147483647 units');
    expect(error.details).toEqual({
      productId: KEYBOARD,
      stock: 2_147_483_000,
      quantity: 1_000,
      limit: 2_147_483_647,
    });
  });

  it('rejects restocking an unknown product as not found', () => {
    expect(
      domainErrorOf('not-found', () => decideRestock({ productId: KEYBOARD, quantity: 1 }, undefined))
        .details,
    ).toEqual({ aggregateType: 'product', id: KEYBOARD });
  });
});

describe('the product state', () => {
  it('follows every product event and counts one version per event', () => {
    const world = given(
      productAdded({ stock: 10, priceCents: 4_999, description: 'Mechanical' }),
      domainEvent('ProductRestocked', 2, { productId: KEYBOARD, quantity: 5, stock: 15 }),
      domainEvent('StockReserved', 3, { productId: KEYBOARD, orderId: ORDER, quantity: 4, stock: 11 }),
      domainEvent('ProductPriceChanged', 4, {
        productId: KEYBOARD,
        previousPriceCents: 4_999,
        priceCents: 5_499,
        currency: 'EUR',
      }),
      domainEvent('StockReleased', 5, { productId: KEYBOARD, orderId: ORDER, quantity: 4, stock: 15 }),
    );

    expect(the(world.products, KEYBOARD)).toEqual({
      productId: KEYBOARD,
      sku: 'KB-01',
      name: 'Keyboard',
      description: 'Mechanical',
      priceCents: 5_499,
      currency: 'EUR',
      stock: 15,
      version: 5,
    });
  });

  it('evolves by exactly the events a decision returns', () => {
    const world = given(productAdded({ stock: 1 }));
    const events = decideRestock({ productId: KEYBOARD, quantity: 2 }, the(world.products, KEYBOARD));
    expect(the(after(world, events).products, KEYBOARD)).toMatchObject({ stock: 3, version: 2 });
  });

  it('refuses an event numbered for another version, so a lost update cannot go unnoticed', () => {
    const product = evolveProduct(undefined, productAdded());
    const stale = domainEvent('ProductRestocked', 1, { productId: KEYBOARD, quantity: 1, stock: 11 });
    expect(() => evolveProduct(product, stale)).toThrow(
      `ProductRestocked for product ${KEYBOARD} has version 1, expected 2`,
    );
  });

  it('refuses events for a product that was never added', () => {
    const restocked = domainEvent('ProductRestocked', 2, { productId: KEYBOARD, quantity: 1, stock: 11 });
    expect(() => evolveProduct(undefined, restocked)).toThrow('which was never added');
  });
});
