/** The roles of the suite's tokens. */
import { ShopError } from '@cqrs-shop/errors';
export const ROLES = ['customer', 'staff', 'ops'] as const;
export type Role = (typeof ROLES)[number];

/** Who sent a request, as its token says. */
export interface Principal {
  /** The token's `sub`: who the identity provider says this is. */
  readonly subject: string;
  readonly roles: ReadonlySet<Role>;
  /** The customer a `customer` principal acts as (lower-case UUID); null for the others. */
  readonly customerId: string | null;
  /** Only when authentication is switched off: anyone may do anything. */
  readonly unrestricted?: true;
}

/** The principal of every request when authentication is switched off. */
export const UNRESTRICTED: Principal = {
  subject: 'anonymous',
  roles: new Set(ROLES),
  customerId: null,
  unrestricted: true,
};

/** Where a token keeps the roles and the customer id: claim names, dotted for nested claims. */
export interface ClaimNames {
  /** e.g. `roles`, or `realm_access.roles` for Keycloak's realm roles. */
  readonly roles: string;
  readonly customerId: string;
}

/** A valid token that does not make a principal of this suite: answered 403, not 401. */
export class NoRoleGrantedError extends ShopError<'auth.no-role'> {
  constructor(message: string) {
    super('auth.no-role', message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The principal a verified token's claims describe. Roles may be a list or a space-separated
 * string (as OAuth scopes are); names this suite does not know are ignored. A `customer` must
 * name its customer: without it the token grants nothing.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>, names: ClaimNames): Principal {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '')
    throw new NoRoleGrantedError('the token names no subject (sub)');
  const raw = claimAt(claims, names.roles);
  const listed = typeof raw === 'string' ? raw.split(/\s+/) : Array.isArray(raw) ? raw : [];
  const roles = new Set(listed.filter((role): role is Role => ROLES.includes(role as Role)));
  let customerId: string | null = null;
  if (roles.has('customer')) {
    const claimed = claimAt(claims, names.customerId);
    if (typeof claimed !== 'string' || !UUID.test(claimed))
      throw new NoRoleGrantedError(
        `a customer token must name its customer in the ${names.customerId} claim (a UUID)`,
      );
    customerId = claimed.toLowerCase();
  }
  if (roles.size === 0)
    throw new NoRoleGrantedError(
      `the token grants none of the roles ${ROLES.join(', ')} (claim ${names.roles})`,
    );
  return { subject, roles, customerId };
}

/** How a principal's role is written in the audit trail: `staff:alice`, `customer+ops:bob`. */
export function actorOf(principal: Principal): string {
  if (principal.unrestricted) return 'anonymous (authentication off)';
  return `${[...principal.roles].sort().join('+')}:${principal.subject}`;
}
