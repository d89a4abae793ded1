import type { AccessRule } from '@cqrs-shop/auth';

/**
 * Who may send each command: the one place the command API decides it. `customer: 'own'`
 * means a customer acts for itself only: it places orders in its own name, and another
 * customer's order is answered as if it did not exist.
 */
export const COMMAND_ACCESS = {
  RegisterCustomer: { staff: true },
  AddProduct: { staff: true },
  ChangeProductPrice: { staff: true },
  RestockProduct: { staff: true },
  PlaceOrder: { customer: 'own' },
  PayOrder: { customer: 'own' },
  ShipOrder: { staff: true },
  CancelOrder: { staff: true, customer: 'own' },
} as const satisfies Record<string, AccessRule>;

export type CommandType = keyof typeof COMMAND_ACCESS;
