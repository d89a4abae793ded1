import type { Principal } from './principal.js';

/**
 * Who may use one route. `customer: 'own'` lets a customer act on what is its own only (its
 * orders); the route checks ownership with the {@link Access} it is given.
 */
export interface AccessRule {
  readonly staff?: true;
  readonly ops?: true;
  readonly customer?: 'own' | 'any';
}

/** What a principal may do on one route. */
export type Access =
  | { readonly kind: 'any' }
  /** Only what belongs to this customer; anything else is answered as if it did not exist. */
  | { readonly kind: 'own'; readonly customerId: string }
  | { readonly kind: 'refused' };

const ANY: Access = { kind: 'any' };
const REFUSED: Access = { kind: 'refused' };

/** The widest access a principal's roles give it on a route with this rule. */
export function accessFor(principal: Principal, rule: AccessRule): Access {
  if (principal.unrestricted) return ANY;
  if (rule.staff && principal.roles.has('staff')) return ANY;
  if (rule.ops && principal.roles.has('ops')) return ANY;
  if (rule.customer && principal.roles.has('customer') && principal.customerId !== null)
    return rule.customer === 'any' ? ANY : { kind: 'own', customerId: principal.customerId };
  return REFUSED;
}

/** Whether `customerId` is within the access: always for `any`, only its own for `own`. */
export function mayTouch(access: Access, customerId: string): boolean {
  return access.kind === 'any' || (access.kind === 'own' && access.customerId === customerId);
}

/** The roles a rule admits, for error messages and documentation: `staff, customer (own)`. */
export function describeRule(rule: AccessRule): string {
  return [
    ...(rule.staff ? ['staff'] : []),
    ...(rule.customer ? [rule.customer === 'own' ? 'customer (own)' : 'customer'] : []),
    ...(rule.ops ? ['ops'] : []),
  ].join(', ');
}

/** The OpenAPI security scheme of the suite's APIs (`components.securitySchemes.bearer`). */
export const OPENAPI_BEARER_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    'An access token of the identity provider, with the roles of the suite (see README, Security).',
} as const;
