import {
  type CustomerRecord,
  type OrderEventType,
  type OrderHistoryDocument,
  applyCustomerEvent,
  applyOrderEvent,
  isRejection,
  withCustomer,
} from '@cqrs-shop/projections';

import {
  ALICE,
  type Delivery,
  KEYBOARD,
  MOUSE,
  ORDER,
  OTHER_ORDER,
  PLACED_AT,
  customerRegistered,
  orderCancelled,
  orderHistoryTo,
  orderPaid,
  orderPlaced,
  orderShipped,
  project,
} from './builders.js';
import { deliveries, randomLifecycles, seededRandom } from './lifecycles.js';

const applyOrder = (doc: OrderHistoryDocument | undefined, { envelope, payload }: Delivery<OrderEventType>) =>
  applyOrderEvent(doc, envelope, payload);

/** Given: the order's document after these events. */
function orderAfter(events: readonly Delivery<OrderEventType>[]): OrderHistoryDocument {
  const doc = project(applyOrder, events);
  if (doc === undefined) throw new Error('no document');
  return doc;
}

function aliceRecord(): CustomerRecord {
  const { envelope, payload } = customerRegistered();
  const record = applyCustomerEvent(undefined, envelope, payload);
  if (record === undefined || isRejection(record)) throw new Error('customer not applied');
  return record;
}

describe('an order history document', () => {
  it('starts from OrderPlaced with the lines as placed, and no customer until the customer is known', () => {
    const { envelope, payload } = orderPlaced();

    expect(applyOrderEvent(undefined, envelope, payload)).toEqual({
      orderId: ORDER,
      customerId: ALICE,
      customer: null,
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
      status: 'PLACED',
      statusHistory: [{ status: 'PLACED', at: PLACED_AT }],
      placedAt: PLACED_AT,
      updatedAt: PLACED_AT,
      refundCents: null,
      version: 1,
    });
  });

  it.each(['MOBILE_APP', 'MARKETPLACE', 'PHONE', 'UNKNOWN'] as const)(
    'says where the order was placed as OrderPlaced does (%s), and keeps it through later events',
    (channel) => {
      const doc = orderAfter([orderPlaced({ channel }), orderPaid(), orderShipped()]);

      expect(doc).toMatchObject({ channel, status: 'SHIPPED', version: 3 });
    },
  );

  it('follows an order from PLACED through PAID to SHIPPED, recording when each status began', () => {
    const doc = orderAfter(orderHistoryTo('SHIPPED'));

    expect(doc).toMatchObject({
      status: 'SHIPPED',
      statusHistory: [
        { status: 'PLACED', at: PLACED_AT },
        { status: 'PAID', at: '2026-11-24T10:20:00.000Z' },
        { status: 'SHIPPED', at: '2026-11-25T08:00:00.000Z' },
      ],
      placedAt: PLACED_AT,
      updatedAt: '2026-11-25T08:00:00.000Z',
      refundCents: null,
      version: 3,
    });
  });

  it('cancels a placed order without a refund', () => {
    expect(orderAfter(orderHistoryTo('CANCELLED'))).toMatchObject({
      status: 'CANCELLED',
      statusHistory: [
        { status: 'PLACED', at: PLACED_AT },
        { status: 'CANCELLED', at: '2026-11-24T11:00:00.000Z' },
      ],
      refundCents: null,
      version: 2,
    });
  });

  it('records the refund of a paid order that is cancelled', () => {
    const doc = orderAfter(orderHistoryTo('CANCELLED-AFTER-PAYMENT'));

    expect(doc.status).toBe('CANCELLED');
    expect(doc.statusHistory.map(({ status }) => status)).toEqual(['PLACED', 'PAID', 'CANCELLED']);
    expect(doc.refundCents).toBe(11_948);
  });
});

describe('redelivery and replay of order events', () => {
  it('ignores an event delivered a second time: applying it twice is applying it once', () => {
    const paid = orderPaid();
    const once = orderAfter([orderPlaced(), paid]);

    expect(applyOrderEvent(once, paid.envelope, paid.payload)).toBeUndefined();
  });

  it('never lets an older version overwrite a newer one', () => {
    const shipped = orderAfter(orderHistoryTo('SHIPPED'));

    for (const older of [orderPlaced(), orderPaid()]) {
      expect(applyOrder(shipped, older)).toBeUndefined();
    }
  });

  it('leaves a document unchanged when the whole history is replayed into it', () => {
    const history = orderHistoryTo('CANCELLED-AFTER-PAYMENT');
    const doc = orderAfter(history);

    expect(project(applyOrder, history, doc)).toBe(doc);
  });

  it('ends every order as one clean pass leaves it, whatever the redeliveries and replays', () => {
    const random = seededRandom(20261124);
    const lifecycles = randomLifecycles(random, 200);
    const held = new Map<string, OrderHistoryDocument>();

    for (const each of deliveries(random, lifecycles)) {
      const result = applyOrder(held.get(each.envelope.aggregateId), each);
      if (isRejection(result)) throw new Error(`rejected: ${JSON.stringify(result)}`);
      if (result !== undefined) held.set(each.envelope.aggregateId, result);
    }

    for (const lifecycle of lifecycles) {
      expect(held.get(lifecycle.orderId)).toEqual(orderAfter(lifecycle.events));
    }
  });
});

describe('order events that cannot be applied', () => {
  it('parks a change to an order it holds no document of as a missing predecessor', () => {
    const { envelope, payload } = orderPaid();

    expect(applyOrderEvent(undefined, envelope, payload)).toEqual({
      kind: 'missing-predecessor',
      aggregateType: 'order',
      aggregateId: ORDER,
      eventType: 'OrderPaid',
      version: 2,
      heldVersion: 0,
    });
  });

  it('parks an event that would skip a version as a missing predecessor', () => {
    const placed = orderAfter([orderPlaced()]);

    expect(applyOrder(placed, orderShipped({ version: 3 }))).toMatchObject({
      kind: 'missing-predecessor',
      version: 3,
      heldVersion: 1,
    });
  });

  it('rejects a transition the order lifecycle does not allow', () => {
    const placed = orderAfter([orderPlaced()]);

    expect(applyOrder(placed, orderShipped({ version: 2 }))).toMatchObject({
      kind: 'invalid-event',
      reason: 'OrderShipped cannot follow an order that is PLACED',
    });
  });

  it('rejects a cancellation that claims another previous status than the document has', () => {
    const placed = orderAfter([orderPlaced()]);

    expect(applyOrder(placed, orderCancelled({ previousStatus: 'PAID', refundCents: 11_948 }))).toMatchObject(
      {
        kind: 'invalid-event',
        reason: 'OrderCancelled cannot follow an order that is PLACED (the event says it was PAID)',
      },
    );
  });

  it('rejects a second placement of the same order', () => {
    const placed = orderAfter([orderPlaced()]);

    expect(applyOrder(placed, orderPlaced({ version: 2 }))).toMatchObject({
      kind: 'invalid-event',
      reason: 'OrderPlaced can only be the first event of its order, but this is version 2',
    });
  });

  it('rejects a change that claims to be the first event of an order', () => {
    expect(applyOrder(undefined, orderPaid({ version: 1 }))).toMatchObject({
      kind: 'invalid-event',
      heldVersion: 0,
    });
  });

  it('rejects an event whose payload names another order than its envelope', () => {
    const { envelope, payload } = orderPlaced();

    expect(applyOrderEvent(undefined, envelope, { ...payload, orderId: OTHER_ORDER })).toMatchObject({
      kind: 'invalid-event',
      reason: `the payload names order ${OTHER_ORDER}, the envelope ${ORDER}`,
    });
  });
});

describe('the customer join', () => {
  it('keeps a customer record from CustomerRegistered', () => {
    expect(aliceRecord()).toEqual({
      customerId: ALICE,
      name: 'Alice Liddell',
      email: 'alice@example.com',
      version: 1,
    });
  });

  it('ignores a customer registration delivered a second time', () => {
    const { envelope, payload } = customerRegistered();

    expect(applyCustomerEvent(aliceRecord(), envelope, payload)).toBeUndefined();
  });

  it('completes an order placed before its customer was known, once the customer arrives', () => {
    const placedFirst = orderAfter([orderPlaced()]);
    expect(placedFirst.customer).toBeNull();

    const complete = withCustomer(placedFirst, aliceRecord());

    expect(complete).toEqual({
      ...placedFirst,
      customer: { name: 'Alice Liddell', email: 'alice@example.com' },
    });
    expect(complete.version).toBe(1);
  });

  it('gives the same document whichever of order and customer arrived first', () => {
    const customerFirst = project(
      applyOrder,
      [orderPaid()],
      withCustomer(orderAfter([orderPlaced()]), aliceRecord()),
    );
    const orderFirst = withCustomer(orderAfter([orderPlaced(), orderPaid()]), aliceRecord());

    expect(customerFirst).toEqual(orderFirst);
  });

  it('changes nothing when the customer is joined a second time', () => {
    const joined = withCustomer(orderAfter([orderPlaced()]), aliceRecord());

    expect(withCustomer(joined, aliceRecord())).toBe(joined);
  });

  it("refuses to join a customer who is not the order's", () => {
    const other = { ...aliceRecord(), customerId: '0c6f4a1e-0000-4000-8000-000000000b0b' };

    expect(() => withCustomer(orderAfter([orderPlaced()]), other)).toThrow(
      `customer ${other.customerId} is not the customer of order ${ORDER}`,
    );
  });
});
