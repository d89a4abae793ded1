import type { AccessRule } from '@cqrs-shop/auth';

/**
 * Who may read what: the one place the gateway decides it, by operation. `customer: 'own'`
 * lets a customer read its own orders only; another customer's are answered 404, as if they
 * did not exist.
 */
export const QUERY_ACCESS = {
  getOrder: { staff: true, customer: 'own' },
  listCustomerOrders: { staff: true, customer: 'own' },
  searchOrders: { staff: true },
  searchProducts: { staff: true, customer: 'any' },
  getSales: { staff: true },
  getTopProducts: { staff: true },
} as const satisfies Record<string, AccessRule>;

export type QueryOperation = keyof typeof QUERY_ACCESS;

/** The admin listener's `GET /projections` and the ops page's settings: operators only. */
export const OPS_ACCESS = { ops: true } as const satisfies AccessRule;
