import type { EventType } from '@cqrs-shop/events';

import type { EnvelopeOf, OrderEventType, TypedEvent } from './events.js';
import { type InvalidEvent, invalidEvent } from './sequence.js';

/** Where an order is in its life: PLACED → PAID → SHIPPED, or CANCELLED from PLACED or PAID. */
export const ORDER_STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;

/** One of {@link ORDER_STATUSES}. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The order events that move an existing order on: all but its placement. */
export type OrderChangeType = Exclude<OrderEventType, 'OrderPlaced'>;

/** The write side's lifecycle, seen from the events: which statuses each one leaves and enters. */
const TRANSITIONS = {
  OrderPaid: { from: ['PLACED'], to: 'PAID' },
  OrderShipped: { from: ['PAID'], to: 'SHIPPED' },
  OrderCancelled: { from: ['PLACED', 'PAID'], to: 'CANCELLED' },
} as const satisfies Record<OrderChangeType, { from: readonly OrderStatus[]; to: OrderStatus }>;

/**
 * The status an order moves to with `event`, or an {@link InvalidEvent} when the write side could
 * never have emitted it from `order.status`. The write side already enforces the lifecycle; checking
 * again here parks a corrupted stream instead of projecting nonsense.
 */
export function statusAfter(
  order: { readonly status: OrderStatus; readonly version: number },
  envelope: EnvelopeOf<EventType>,
  event: TypedEvent<OrderChangeType>,
): OrderStatus | InvalidEvent {
  const { from, to } = TRANSITIONS[event.type];
  const allowed: readonly OrderStatus[] = from;
  const claimed = event.type === 'OrderCancelled' ? event.payload.previousStatus : order.status;
  if (!allowed.includes(order.status) || claimed !== order.status) {
    return invalidEvent(
      envelope,
      order.version,
      `${event.type} cannot follow an order that is ${order.status}` +
        (claimed === order.status ? '' : ` (the event says it was ${claimed})`),
    );
  }
  return to;
}
