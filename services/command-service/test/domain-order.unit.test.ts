import { MAX_CENTS } from '../src/domain/index';
import {
  type OrderItem,
  type PlaceOrder,
  decideCancelOrder,
  decidePayOrder,
  decidePlaceOrder,
  decideRestock,
  decideShipOrder,
  domainEvent,
  evolveOrder,
} from '../src/domain/index.js';
import {
  ALICE,
  KEYBOARD,
  MOUSE,
  ORDER,
  OTHER_ORDER,
  type World,
  after,
  customerRegistered,
  domainErrorOf,
  given,
  mouseAdded,
  productAdded,
  the,
} from './domain-fixtures.js';

const shop = (): World => given(customerRegistered(), productAdded(), mouseAdded());

function placeOrder(world: World, items: readonly OrderItem[], orderId = ORDER) {
  const command: PlaceOrder = { orderId, customerId: ALICE, items };
  return decidePlaceOrder(command, world.customers.get(ALICE), world.products);
}

/** A world where ORDER, for 2 keyboards and 1 mouse, has been placed and, for each action, moved on. */
function withOrder(...actions: ('pay' | 'ship' | 'cancel')[]): World {
  let world = after(
    shop(),
    placeOrder(shop(), [
      { productId: KEYBOARD, quantity: 2 },
      { productId: MOUSE, quantity: 1 },
    ]),
  );
  for (const action of actions) {
    const order = world.orders.get(ORDER);
    const events =
      action === 'pay'
        ? decidePayOrder({ orderId: ORDER }, order)
        : action === 'ship'
          ? decideShipOrder({ orderId: ORDER }, order)
          : decideCancelOrder({ orderId: ORDER }, order, world.products);
    world = after(world, events);
  }
  return world;
}

describe('placing an order', () => {
  it('prices each line from the catalogue and totals the lines on the server', () => {
    const [placed] = placeOrder(shop(), [
      { productId: KEYBOARD, quantity: 2 },
      { productId: MOUSE, quantity: 3 },
    ]);

    expect(placed).toEqual({
      type: 'OrderPlaced',
      aggregateType: 'order',
      aggregateId: ORDER,
      version: 1,
      data: {
        orderId: ORDER,
        customerId: ALICE,
        lines: [
          {
            productId: KEYBOARD,
            sku: 'KB-01',
            productName: 'Keyboard',
            quantity: 2,
            unitPriceCents: 4_999,
            lineTotalCents: 9_998,
          },
          {
            productId: MOUSE,
            sku: 'MS-01',
            productName: 'Mouse',
            quantity: 3,
            unitPriceCents: 1_950,
            lineTotalCents: 5_850,
          },
        ],
        totalCents: 15_848,
        currency: 'EUR',
        channel: 'WEB',
      },
    });
  });

  it.each(['WEB', 'MOBILE_APP', 'MARKETPLACE', 'PHONE'] as const)(
    'records the channel an order was placed through (%s) in the event and the order',
    (channel) => {
      const command: PlaceOrder = {
        orderId: ORDER,
        customerId: ALICE,
        items: [{ productId: KEYBOARD, quantity: 1 }],
        channel,
      };
      const events = decidePlaceOrder(command, shop().customers.get(ALICE), shop().products);

      expect(events[0].data.channel).toBe(channel);
      expect(the(after(shop(), events).orders, ORDER).channel).toBe(channel);
    },
  );

  it.each(['UNKNOWN', 'web', 'KIOSK', ''])('rejects the channel %j', (channel) => {
    const error = domainErrorOf('invalid-value', () =>
      decidePlaceOrder(
        { orderId: ORDER, customerId: ALICE, items: [{ productId: KEYBOARD, quantity: 1 }], channel },
        shop().customers.get(ALICE),
        shop().products,
      ),
    );
    expect(error.details).toEqual({
      field: 'channel',
      reason: 'must be one of WEB, MOBILE_APP, MARKETPLACE, PHONE',
    });
  });

  it("reserves each line's quantity from its product, at the product's next version", () => {
    const world = after(shop(), [
      domainEvent('ProductRestocked', 2, { productId: MOUSE, quantity: 1, stock: 6 }),
    ]);

    const [, ...reservations] = placeOrder(world, [
      { productId: KEYBOARD, quantity: 2 },
      { productId: MOUSE, quantity: 6 },
    ]);

    expect(reservations).toEqual([
      {
        type: 'StockReserved',
        aggregateType: 'product',
        aggregateId: KEYBOARD,
        version: 2,
        data: { productId: KEYBOARD, orderId: ORDER, quantity: 2, stock: 8 },
      },
      {
        type: 'StockReserved',
        aggregateType: 'product',
        aggregateId: MOUSE,
        version: 3,
        data: { productId: MOUSE, orderId: ORDER, quantity: 6, stock: 0 },
      },
    ]);
  });

  it('keeps the price an order was placed at when the catalogue price changes later', () => {
    const world = withOrder();
    const later = after(world, [
      domainEvent('ProductPriceChanged', 3, {
        productId: KEYBOARD,
        previousPriceCents: 4_999,
        priceCents: 9_999,
        currency: 'EUR',
      }),
    ]);

    expect(the(later.orders, ORDER).lines[0]?.unitPriceCents).toBe(4_999);
    expect(the(later.orders, ORDER).totalCents).toBe(2 * 4_999 + 1_950);
  });

  it('rejects an order that would oversell the last unit', () => {
    const world = given(customerRegistered(), productAdded({ stock: 1 }));

    const error = domainErrorOf('insufficient-stock', () =>
      placeOrder(world, [{ productId: KEYBOARD, quantity: 2 }]),
    );

    expect(error.message).toBe(`insufficient stock for product ${KEYBOARD}: requested 2, available 1`);
    expect(error.details).toEqual({ productId: KEYBOARD, sku: 'KB-01', requested: 2, available: 1 });
  });

  it('fails as a whole when any one product lacks stock', () => {
    const world = given(customerRegistered(), productAdded({ stock: 10 }), mouseAdded({ stock: 0 }));

    const error = domainErrorOf('insufficient-stock', () =>
      placeOrder(world, [
        { productId: KEYBOARD, quantity: 1 },
        { productId: MOUSE, quantity: 1 },
      ]),
    );

    expect(error.details).toMatchObject({ productId: MOUSE, requested: 1, available: 0 });
  });

  it('sells the last unit, leaving none on hand', () => {
    const world = given(customerRegistered(), productAdded({ stock: 1 }));
    const events = placeOrder(world, [{ productId: KEYBOARD, quantity: 1 }]);
    expect(the(after(world, events).products, KEYBOARD).stock).toBe(0);
  });

  it('rejects products priced in different currencies', () => {
    const world = given(
      customerRegistered(),
      productAdded({ currency: 'EUR' }),
      mouseAdded({ currency: 'USD' }),
    );

    const error = domainErrorOf('mixed-currencies', () =>
      placeOrder(world, [
        { productId: KEYBOARD, quantity: 1 },
        { productId: MOUSE, quantity: 1 },
      ]),
    );

    expect(error.details).toEqual({ currencies: ['EUR', 'USD'] });
    expect(error.message).toBe('an order is paid in one currency, but its products are priced in EUR, USD');
  });

  it('rejects a product listed twice', () => {
    const error = domainErrorOf('duplicate-product', () =>
      placeOrder(shop(), [
        { productId: KEYBOARD, quantity: 1 },
        { productId: MOUSE, quantity: 1 },
        { productId: KEYBOARD, quantity: 2 },
      ]),
    );
    expect(error.details).toEqual({ productId: KEYBOARD });
  });

  it('rejects an order for an unknown customer as not found', () => {
    const world = given(productAdded());
    const error = domainErrorOf('not-found', () => placeOrder(world, [{ productId: KEYBOARD, quantity: 1 }]));
    expect(error.details).toEqual({ aggregateType: 'customer', id: ALICE });
  });

  it('rejects an order for an unknown product as not found', () => {
    const world = given(customerRegistered(), productAdded());
    const error = domainErrorOf('not-found', () =>
      placeOrder(world, [
        { productId: KEYBOARD, quantity: 1 },
        { productId: MOUSE, quantity: 1 },
      ]),
    );
    expect(error.details).toEqual({ aggregateType: 'product', id: MOUSE });
  });

  it('rejects an order without lines', () => {
    expect(domainErrorOf('invalid-value', () => placeOrder(shop(), [])).message).toBe(
      'items must list at least one product',
    );
  });

  it.each([0, -1, 1.5])('rejects a quantity of %d', (quantity) => {
    const error = domainErrorOf('invalid-value', () =>
      placeOrder(shop(), [
        { productId: KEYBOARD, quantity: 1 },
        { productId: MOUSE, quantity },
      ]),
    );
    expect(error.details.field).toBe('items[1].quantity');
  });

  it('rejects an order whose total could not be counted exactly', () => {
    const world = given(
      customerRegistered(),
      productAdded({ priceCents: MAX_CENTS / 2, stock: 100 }),
      mouseAdded({ priceCents: MAX_CENTS / 2, stock: 100 }),
    );
    const eachLineFits = [
      { productId: KEYBOARD, quantity: 1 },
      { productId: MOUSE, quantity: 1 },
    ];
    expect(placeOrder(world, eachLineFits)).toHaveLength(3);

    const tooMuch = domainErrorOf('invalid-value', () =>
      placeOrder(world, [
        { productId: KEYBOARD, quantity: 2 },
        { productId: MOUSE, quantity: 1 },
      ]),
    );
    expect(tooMuch.message).toBe('items makes the order total too large');
  });
});

describe('the order lifecycle', () => {
  it('pays a placed order for its total, as version 2', () => {
    expect(decidePayOrder({ orderId: ORDER }, the(withOrder().orders, ORDER))).toEqual([
      {
        type: 'OrderPaid',
        aggregateType: 'order',
        aggregateId: ORDER,
        version: 2,
        data: { orderId: ORDER, amountCents: 2 * 4_999 + 1_950, currency: 'EUR' },
      },
    ]);
  });

  it('ships a paid order, as version 3', () => {
    expect(decideShipOrder({ orderId: ORDER }, the(withOrder('pay').orders, ORDER))).toEqual([
      {
        type: 'OrderShipped',
        aggregateType: 'order',
        aggregateId: ORDER,
        version: 3,
        data: { orderId: ORDER },
      },
    ]);
  });

  it('rejects shipping an order that is not paid yet', () => {
    const error = domainErrorOf('invalid-transition', () =>
      decideShipOrder({ orderId: ORDER }, the(withOrder().orders, ORDER)),
    );
    expect(error.message).toBe('cannot ship an order that is PLACED');
    expect(error.details).toEqual({ orderId: ORDER, from: 'PLACED', to: 'SHIPPED' });
  });

  it('rejects paying an order twice', () => {
    expect(
      domainErrorOf('invalid-transition', () =>
        decidePayOrder({ orderId: ORDER }, the(withOrder('pay').orders, ORDER)),
      ).message,
    ).toBe('cannot pay an order that is PAID');
  });

  describe.each([
    ['SHIPPED', ['pay', 'ship']],
    ['CANCELLED', ['cancel']],
  ] as const)('once %s, an order', (status, history) => {
    const world = withOrder(...history);
    const order = the(world.orders, ORDER);

    it.each([
      ['pay', () => decidePayOrder({ orderId: ORDER }, order)],
      ['ship', () => decideShipOrder({ orderId: ORDER }, order)],
      ['cancel', () => decideCancelOrder({ orderId: ORDER }, order, world.products)],
    ])('can no longer %s', (action, decide) => {
      expect(domainErrorOf('invalid-transition', decide).message).toBe(
        `cannot ${action} an order that is ${status}`,
      );
    });
  });

  it.each([
    ['pay', () => decidePayOrder({ orderId: ORDER }, undefined)],
    ['ship', () => decideShipOrder({ orderId: ORDER }, undefined)],
    ['cancel', () => decideCancelOrder({ orderId: ORDER }, undefined, new Map())],
  ])('rejects an attempt to %s an unknown order as not found', (_action, decide) => {
    expect(domainErrorOf('not-found', decide).details).toEqual({ aggregateType: 'order', id: ORDER });
  });
});

describe('cancelling an order', () => {
  it('releases the stock of every line, without a refund while unpaid', () => {
    const world = withOrder();

    const events = decideCancelOrder({ orderId: ORDER }, the(world.orders, ORDER), world.products);

    expect(events).toEqual([
      {
        type: 'OrderCancelled',
        aggregateType: 'order',
        aggregateId: ORDER,
        version: 2,
        data: { orderId: ORDER, previousStatus: 'PLACED', refundCents: null, currency: 'EUR' },
      },
      {
        type: 'StockReleased',
        aggregateType: 'product',
        aggregateId: KEYBOARD,
        version: 3,
        data: { productId: KEYBOARD, orderId: ORDER, quantity: 2, stock: 10 },
      },
      {
        type: 'StockReleased',
        aggregateType: 'product',
        aggregateId: MOUSE,
        version: 3,
        data: { productId: MOUSE, orderId: ORDER, quantity: 1, stock: 5 },
      },
    ]);
  });

  it('refunds the total of a paid order', () => {
    const world = withOrder('pay');

    const [cancelled] = decideCancelOrder({ orderId: ORDER }, the(world.orders, ORDER), world.products);

    expect(cancelled.version).toBe(3);
    expect(cancelled.data).toEqual({
      orderId: ORDER,
      previousStatus: 'PAID',
      refundCents: 2 * 4_999 + 1_950,
      currency: 'EUR',
    });
    expect(the(after(world, [cancelled]).orders, ORDER)).toMatchObject({
      status: 'CANCELLED',
      refundCents: 11_948,
    });
  });

  it("gives units back onto the product's current stock, whatever happened to it since", () => {
    let world = withOrder();
    world = after(world, decideRestock({ productId: KEYBOARD, quantity: 5 }, world.products.get(KEYBOARD)));

    const [, keyboardReleased] = decideCancelOrder(
      { orderId: ORDER },
      the(world.orders, ORDER),
      world.products,
    );

    expect(keyboardReleased).toMatchObject({
      aggregateId: KEYBOARD,
      version: 4,
      data: { quantity: 2, stock: 15 },
    });
  });
});

describe('the order state', () => {
  it('follows the order from placement to shipping, one version per event', () => {
    expect(the(withOrder('pay', 'ship').orders, ORDER)).toEqual({
      orderId: ORDER,
      customerId: ALICE,
      lines: [
        {
          productId: KEYBOARD,
          sku: 'KB-01',
          productName: 'Keyboard',
          quantity: 2,
          unitPriceCents: 4_999,
          lineTotalCents: 9_998,
        },
        {
          productId: MOUSE,
          sku: 'MS-01',
          productName: 'Mouse',
          quantity: 1,
          unitPriceCents: 1_950,
          lineTotalCents: 1_950,
        },
      ],
      totalCents: 11_948,
      currency: 'EUR',
      channel: 'WEB',
      status: 'SHIPPED',
      refundCents: null,
      version: 3,
    });
  });

  it('refuses to place the same order twice', () => {
    const [placed] = placeOrder(shop(), [{ productId: KEYBOARD, quantity: 1 }]);
    expect(() => evolveOrder(evolveOrder(undefined, placed), placed)).toThrow(
      `order ${ORDER} was already placed`,
    );
  });
});

describe('versions across aggregates', () => {
  it('numbers each aggregate on its own, one version per event that concerns it', () => {
    let world = shop();
    const firstOrder = placeOrder(world, [{ productId: KEYBOARD, quantity: 3 }]);
    world = after(world, firstOrder);
    const secondOrder = placeOrder(
      world,
      [
        { productId: MOUSE, quantity: 2 },
        { productId: KEYBOARD, quantity: 1 },
      ],
      OTHER_ORDER,
    );
    world = after(world, secondOrder);
    const cancellation = decideCancelOrder({ orderId: ORDER }, world.orders.get(ORDER), world.products);
    world = after(world, cancellation);

    const versions = [...firstOrder, ...secondOrder, ...cancellation].map(
      ({ type, aggregateId, version }) => `${type} ${aggregateId} v${version}`,
    );
    expect(versions).toEqual([
      `OrderPlaced ${ORDER} v1`,
      `StockReserved ${KEYBOARD} v2`,
      `OrderPlaced ${OTHER_ORDER} v1`,
      `StockReserved ${MOUSE} v2`,
      `StockReserved ${KEYBOARD} v3`,
      `OrderCancelled ${ORDER} v2`,
      `StockReleased ${KEYBOARD} v4`,
    ]);
    expect(the(world.products, KEYBOARD)).toMatchObject({ stock: 9, version: 4 });
    expect(the(world.products, MOUSE)).toMatchObject({ stock: 3, version: 2 });
    expect(the(world.orders, ORDER)).toMatchObject({ status: 'CANCELLED', version: 2 });
    expect(the(world.orders, OTHER_ORDER)).toMatchObject({ status: 'PLACED', version: 1 });
  });
});
