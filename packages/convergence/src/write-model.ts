// The write model's aggregates as the checker reads them from MySQL: plain values, no I/O here.
import type { OrderCustomer, OrderHistoryLine, OrderStatus, SalesChannel } from '@cqrs-shop/projections';

/**
 * When an order was placed, as the write model can tell. The read models' placement time is
 * the OrderPlaced event's `occurredAt`, which the command service takes from its own clock when
 * the request arrives; `orders.placed_at` is the database's clock at the insert, later in the
 * same command. The two are close but not equal, so only the event's time is exact, and only
 * the outbox keeps it (until the relay purges published rows).
 */
export interface Placement {
  /** `orders.placed_at` as ISO 8601 UTC with milliseconds. */
  readonly recordedAt: string;
  /** The OrderPlaced event's `occurredAt`, while the outbox still holds the event; else null. */
  readonly eventOccurredAt: string | null;
}

export interface WriteOrder {
  readonly orderId: string;
  readonly customerId: string;
  /** The customer's name and email from `customers`; null only if the row is missing. */
  readonly customer: OrderCustomer | null;
  readonly status: OrderStatus;
  readonly totalCents: number;
  readonly currency: string;
  /** `orders.channel`: WEB for orders placed before channels (the migration's default). */
  readonly channel: SalesChannel;
  readonly refundCents: number | null;
  readonly version: number;
  /** In `line_no` order. */
  readonly lines: readonly OrderHistoryLine[];
  readonly placement: Placement;
}

export interface WriteProduct {
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly description: string | null;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
  readonly version: number;
}
