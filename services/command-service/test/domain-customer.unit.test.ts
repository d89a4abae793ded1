import { decideRegisterCustomer, evolveCustomer } from '../src/domain/index.js';
import { ALICE, customerRegistered, domainErrorOf, given, the } from './domain-fixtures.js';

describe('registering a customer', () => {
  it('registers the customer at version 1 with a trimmed name and a trimmed, lower-cased email', () => {
    const events = decideRegisterCustomer({
      customerId: ALICE,
      name: '  Alice Liddell ',
      email: ' Alice@Example.COM ',
    });

    expect(events).toEqual([
      {
        type: 'CustomerRegistered',
        aggregateType: 'customer',
        aggregateId: ALICE,
        version: 1,
        data: {
          customerId: ALICE,
          name: 'Alice Liddell',
          email: 'alice@example.com',
          givenName: null,
          familyName: null,
        },
      },
    ]);
  });

  it('names a customer who gives only the name parts "given family", trimmed', () => {
    const [registered] = decideRegisterCustomer({
      customerId: ALICE,
      givenName: ' Alice ',
      familyName: 'Liddell  ',
      email: 'alice@example.com',
    });

    expect(registered.data).toMatchObject({
      name: 'Alice Liddell',
      givenName: 'Alice',
      familyName: 'Liddell',
    });
  });

  it('keeps the display name a customer gives beside the parts', () => {
    const [registered] = decideRegisterCustomer({
      customerId: ALICE,
      name: 'Dr. A. Liddell',
      givenName: 'Alice',
      email: 'alice@example.com',
    });

    expect(registered.data).toMatchObject({ name: 'Dr. A. Liddell', givenName: 'Alice', familyName: null });
  });

  it.each([
    ['no name at all', {}],
    ['only a given name', { givenName: 'Alice' }],
    ['only a family name', { familyName: 'Liddell' }],
    ['a blank family name', { givenName: 'Alice', familyName: '  ' }],
  ])('rejects a registration without a name and %s', (_, parts) => {
    const error = domainErrorOf('invalid-value', () =>
      decideRegisterCustomer({ customerId: ALICE, email: 'alice@example.com', ...parts }),
    );
    expect(error.details).toEqual({
      field: 'name',
      reason: 'must be given unless givenName and familyName both are',
    });
  });

  it('accepts name parts of 200 characters each but not of 201, as the write model stores them', () => {
    const register = (givenName: string) =>
      decideRegisterCustomer({ customerId: ALICE, name: 'A', givenName, email: 'a@b.io' });
    expect(register('g'.repeat(200))).toHaveLength(1);
    expect(domainErrorOf('invalid-value', () => register('g'.repeat(201))).details.field).toBe('givenName');
  });

  it('asks for a display name when the parts together are too long for one', () => {
    const error = domainErrorOf('invalid-value', () =>
      decideRegisterCustomer({
        customerId: ALICE,
        givenName: 'g'.repeat(100),
        familyName: 'f'.repeat(100),
        email: 'a@b.io',
      }),
    );
    expect(error.details).toEqual({
      field: 'name',
      reason: 'must be given when givenName and familyName together are longer than 200 characters',
    });
  });

  it('rejects a blank name', () => {
    const error = domainErrorOf('invalid-value', () =>
      decideRegisterCustomer({ customerId: ALICE, name: '   ', email: 'alice@example.com' }),
    );
    expect(error.details).toEqual({ field: 'name', reason: 'must not be empty' });
    expect(error.message).toBe('name must not be empty');
  });

  it('accepts a name of 200 characters but not of 201, as the write model stores it', () => {
    expect(
      decideRegisterCustomer({ customerId: ALICE, name: 'a'.repeat(200), email: 'a@b.io' }),
    ).toHaveLength(1);
    expect(
      domainErrorOf('invalid-value', () =>
        decideRegisterCustomer({ customerId: ALICE, name: 'a'.repeat(201), email: 'a@b.io' }),
      ).details.field,
    ).toBe('name');
  });

  it.each(['', 'alice', 'alice@', '@example.com', 'alice@example', 'al ice@example.com', 'a@b@example.com'])(
    'rejects the email %j',
    (email) => {
      const error = domainErrorOf('invalid-value', () =>
        decideRegisterCustomer({ customerId: ALICE, name: 'Alice', email }),
      );
      expect(error.details.field).toBe('email');
    },
  );
});

describe('the customer state', () => {
  it('is what the registration says, at version 1', () => {
    expect(the(given(customerRegistered()).customers, ALICE)).toEqual({
      customerId: ALICE,
      name: 'Alice Liddell',
      givenName: 'Alice',
      familyName: 'Liddell',
      email: 'alice@example.com',
      version: 1,
    });
  });

  it('cannot be registered twice', () => {
    const state = evolveCustomer(undefined, customerRegistered());
    expect(() => evolveCustomer(state, customerRegistered())).toThrow(
      `customer ${ALICE} is already registered`,
    );
  });
});
