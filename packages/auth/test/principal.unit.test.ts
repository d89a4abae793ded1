import {
  accessFor,
  actorOf,
  describeRule,
  mayTouch,
  NoRoleGrantedError,
  principalFromClaims,
  UNRESTRICTED,
} from '../src/index.js';

const NAMES = { roles: 'roles', customerId: 'customer_id' };
const CUSTOMER = '0b9e4a3c-6a0f-4d3e-9d7e-2f4c8a1b5e6d';

describe('principalFromClaims', () => {
  it('takes roles from a list or a space-separated string, ignoring names it does not know', () => {
    expect([...principalFromClaims({ sub: 'a', roles: ['staff', 'admin'] }, NAMES).roles]).toEqual(['staff']);
    expect([...principalFromClaims({ sub: 'a', roles: 'openid ops' }, NAMES).roles]).toEqual(['ops']);
  });

  it('reads a nested claim by its dotted name (Keycloak realm roles)', () => {
    const principal = principalFromClaims(
      { sub: 'a', realm_access: { roles: ['offline_access', 'staff'] } },
      { ...NAMES, roles: 'realm_access.roles' },
    );
    expect([...principal.roles]).toEqual(['staff']);
  });

  it('binds a customer to the customer id of its token, in lower case', () => {
    const principal = principalFromClaims(
      { sub: 'c', roles: ['customer'], customer_id: CUSTOMER.toUpperCase() },
      NAMES,
    );
    expect(principal.customerId).toBe(CUSTOMER);
  });

  it('grants nothing without a subject, a known role, or a customer id for a customer', () => {
    expect(() => principalFromClaims({ roles: ['staff'] }, NAMES)).toThrow(NoRoleGrantedError);
    expect(() => principalFromClaims({ sub: 'a', roles: ['admin'] }, NAMES)).toThrow(/none of the roles/);
    expect(() => principalFromClaims({ sub: 'a', roles: ['customer'], customer_id: 'x' }, NAMES)).toThrow(
      /customer_id claim/,
    );
  });

  it('writes the actor as roles and subject', () => {
    expect(actorOf(principalFromClaims({ sub: 'bob', roles: ['staff', 'ops'] }, NAMES))).toBe(
      'ops+staff:bob',
    );
  });
});

describe('accessFor', () => {
  const staff = principalFromClaims({ sub: 's', roles: ['staff'] }, NAMES);
  const ops = principalFromClaims({ sub: 'o', roles: ['ops'] }, NAMES);
  const customer = principalFromClaims({ sub: 'c', roles: ['customer'], customer_id: CUSTOMER }, NAMES);

  it('gives staff everything a staff rule admits, and a customer only its own', () => {
    const rule = { staff: true, customer: 'own' } as const;
    expect(accessFor(staff, rule)).toEqual({ kind: 'any' });
    expect(accessFor(customer, rule)).toEqual({ kind: 'own', customerId: CUSTOMER });
    expect(accessFor(ops, rule)).toEqual({ kind: 'refused' });
    expect(mayTouch(accessFor(customer, rule), CUSTOMER)).toBe(true);
    expect(mayTouch(accessFor(customer, rule), '11111111-1111-4111-8111-111111111111')).toBe(false);
    expect(mayTouch(accessFor(staff, rule), CUSTOMER)).toBe(true);
  });

  it('refuses roles a rule does not name, and lets anyone through with authentication off', () => {
    expect(accessFor(customer, { staff: true })).toEqual({ kind: 'refused' });
    expect(accessFor(staff, { ops: true })).toEqual({ kind: 'refused' });
    expect(accessFor(customer, { customer: 'any' })).toEqual({ kind: 'any' });
    expect(accessFor(UNRESTRICTED, { ops: true })).toEqual({ kind: 'any' });
    expect(describeRule({ staff: true, customer: 'own' })).toBe('staff, customer (own)');
  });
});
