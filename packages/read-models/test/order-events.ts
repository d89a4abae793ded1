import type { EventPayloads } from '@cqrs-shop/events';

const PRODUCT = '5b0e9a42-0000-4000-8000-00000000000b';

/** An order of two keyboards, as its OrderPlaced event says. */
export const placedPayload = (orderId: string, customerId: string): EventPayloads['OrderPlaced'] => ({
  orderId,
  customerId,
  lines: [
    {
      productId: PRODUCT,
      sku: 'KB-01',
      productName: 'Keyboard',
      quantity: 2,
      unitPriceCents: 4_999,
      lineTotalCents: 9_998,
    },
  ],
  totalCents: 9_998,
  currency: 'EUR',
  channel: 'WEB',
});
