import { ShopError } from '@cqrs-shop/errors';
import type { AggregateType } from './events.js';

/** Every reason the domain refuses a command; the HTTP layer maps each to one problem type. */
export const DOMAIN_ERROR_CODES = [
  'invalid-value',
  'not-found',
  'already-exists',
  'duplicate-product',
  'mixed-currencies',
  'insufficient-stock',
  'stock-limit',
  'invalid-transition',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** The structured facts behind each code, for problem+json extensions and the audit trail. */
export interface DomainErrorDetails {
  'invalid-value': { field: string; reason: string };
  'not-found': { aggregateType: AggregateType; id: string };
  'already-exists': { aggregateType: AggregateType; field: string; value: string };
  'duplicate-product': { productId: string };
  'mixed-currencies': { currencies: string[] };
  'insufficient-stock': { productId: string; sku: string; requested: number; available: number };
  'stock-limit': { productId: string; stock: number; quantity: number; limit: number };
  'invalid-transition': { orderId: string; from: string; to: string };
}

/**
 * A command refused because it breaks a business rule. `message` is written for people;
 * `reason` (and its code, `domain.<reason>`) and `details` are for programs. The same command
 * against the same state is refused again, so retrying cannot help.
 */
export class DomainError<C extends DomainErrorCode = DomainErrorCode> extends ShopError<`domain.${C}`> {
  constructor(
    readonly reason: C,
    message: string,
    readonly details: Readonly<DomainErrorDetails[C]>,
  ) {
    super(`domain.${reason}`, message);
  }

  /** The aggregate a command names does not exist (the application found nothing to load). */
  static notFound(aggregateType: AggregateType, id: string): DomainError<'not-found'> {
    return new DomainError('not-found', `${aggregateType} ${id} does not exist`, { aggregateType, id });
  }

  /**
   * A unique value is taken. Uniqueness lives in the database, so the application raises this
   * when an insert hits a unique key (a customer's email, a product's SKU).
   */
  static alreadyExists(
    aggregateType: AggregateType,
    field: string,
    value: string,
  ): DomainError<'already-exists'> {
    return new DomainError('already-exists', `a ${aggregateType} with ${field} ${value} already exists`, {
      aggregateType,
      field,
      value,
    });
  }

  /** A command field does not have the required shape. */
  static invalidValue(field: string, reason: string): DomainError<'invalid-value'> {
    return new DomainError('invalid-value', `${field} ${reason}`, { field, reason });
  }
}

/** Whether `error` is a {@link DomainError}, optionally for the given reason (narrows `details`). */
export function isDomainError<C extends DomainErrorCode>(
  error: unknown,
  reason?: C,
): error is DomainError<C> {
  return error instanceof DomainError && (reason === undefined || error.reason === reason);
}
