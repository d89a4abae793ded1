// Write-model aggregates for the checker's tests.
import type { WriteOrder, WriteProduct } from '../src/write-model.js';

export const MUG = 'a0000000-0000-4000-8000-000000000001';
export const TEE = 'a0000000-0000-4000-8000-000000000002';

export function writeProduct(overrides: Partial<WriteProduct> = {}): WriteProduct {
  return {
    productId: MUG,
    sku: 'MUG-1',
    name: 'Blue coffee mug',
    description: 'Holds coffee.',
    priceCents: 1_200,
    currency: 'EUR',
    stock: 7,
    version: 3,
    ...overrides,
  };
}

/** A paid order of two mugs and a shirt, placed at 10:15 (the outbox still holding the event). */
export function writeOrder(overrides: Partial<WriteOrder> = {}): WriteOrder {
  return {
    orderId: 'b0000000-0000-4000-8000-000000000001',
    customerId: 'c0000000-0000-4000-8000-000000000001',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    status: 'PAID',
    totalCents: 4_900,
    currency: 'EUR',
    // The orders table's default, which rows inserted without a channel get.
    channel: 'WEB',
    refundCents: null,
    version: 2,
    lines: [
      {
        productId: MUG,
        sku: 'MUG-1',
        productName: 'Blue coffee mug',
        quantity: 2,
        unitPriceCents: 1_200,
        lineTotalCents: 2_400,
      },
      {
        productId: TEE,
        sku: 'TEE-1',
        productName: 'Plain cotton shirt',
        quantity: 1,
        unitPriceCents: 2_500,
        lineTotalCents: 2_500,
      },
    ],
    placement: { recordedAt: '2026-11-24T10:15:00.004Z', eventOccurredAt: '2026-11-24T10:15:00.000Z' },
    ...overrides,
  };
}
