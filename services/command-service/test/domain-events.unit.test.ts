import { DOMAIN_ERROR_CODES, DomainError, domainEvent, isDomainError } from '../src/domain/index.js';
import { KEYBOARD, ORDER } from './domain-fixtures.js';

describe('domain events', () => {
  it('belong to the aggregate named by their type, identified by its id in the payload', () => {
    const reserved = domainEvent('StockReserved', 4, {
      productId: KEYBOARD,
      orderId: ORDER,
      quantity: 1,
      stock: 2,
    });
    expect(reserved).toEqual({
      type: 'StockReserved',
      aggregateType: 'product',
      aggregateId: KEYBOARD,
      version: 4,
      data: { productId: KEYBOARD, orderId: ORDER, quantity: 1, stock: 2 },
    });
  });
});

describe('domain errors', () => {
  it('carry a reason from the closed list, its code, structured details and a message for people', () => {
    const error = DomainError.notFound('order', ORDER);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'DomainError',
      reason: 'not-found',
      code: 'domain.not-found',
      details: { aggregateType: 'order', id: ORDER },
      message: `order ${ORDER} does not exist`,
      canRetry: false,
    });
    expect(DOMAIN_ERROR_CODES).toContain(error.reason);
  });

  it('name the taken value when a unique key is hit', () => {
    const error = DomainError.alreadyExists('customer', 'email', 'alice@example.com');
    expect(error.message).toBe('a customer with email alice@example.com already exists');
    expect(error.details).toEqual({ aggregateType: 'customer', field: 'email', value: 'alice@example.com' });
  });

  it('are recognised by reason', () => {
    const error: unknown = DomainError.invalidValue('quantity', 'must be positive');
    expect(isDomainError(error)).toBe(true);
    expect(isDomainError(error, 'invalid-value')).toBe(true);
    expect(isDomainError(error, 'not-found')).toBe(false);
    expect(isDomainError(new Error('quantity must be positive'))).toBe(false);
  });
});
