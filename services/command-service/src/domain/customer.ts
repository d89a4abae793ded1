import { DomainError } from './errors.js';
import { type AggregateEvent, type EventOf, domainEvent, versionAfter } from './events.js';
import { optionalText, requireText } from './validation.js';

/** A registered customer as the write model knows it. */
export interface CustomerState {
  readonly customerId: string;
  /** The display name. */
  readonly name: string;
  /** Null when the customer gave only a display name (and for every customer registered before v2). */
  readonly givenName: string | null;
  readonly familyName: string | null;
  /** Trimmed and lower-cased. */
  readonly email: string;
  readonly version: number;
}

/** Register a new customer under an id the application generated. */
export interface RegisterCustomer {
  readonly customerId: string;
  /** The display name; may be left out when `givenName` and `familyName` are both given. */
  readonly name?: string | undefined;
  readonly givenName?: string | null | undefined;
  readonly familyName?: string | null | undefined;
  readonly email: string;
}

/** The write model's limit for a name and each of its parts, in characters. */
const MAX_NAME_LENGTH = 200;

// One "@", something on both sides, a dot in the domain, no spaces: a typo catcher, not RFC 5322.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Registers a customer with a trimmed name and a trimmed, lower-cased email. The display name is
 * `name` when given, else `givenName familyName`; blank name parts count as none. That the email
 * is not taken yet is checked by the database's unique key, not here.
 * @throws {DomainError} `invalid-value` for an empty or too long name or name part, a missing
 * name without both parts, or a malformed email.
 */
export function decideRegisterCustomer(command: RegisterCustomer): [EventOf<'CustomerRegistered'>] {
  const givenName = optionalText('givenName', command.givenName, MAX_NAME_LENGTH);
  const familyName = optionalText('familyName', command.familyName, MAX_NAME_LENGTH);
  const name =
    command.name === undefined
      ? displayNameOf(givenName, familyName)
      : requireText('name', command.name, MAX_NAME_LENGTH);
  const email = requireText('email', command.email, 320).toLowerCase();
  if (!EMAIL_SHAPE.test(email)) throw DomainError.invalidValue('email', 'must look like name@example.com');
  return [
    domainEvent('CustomerRegistered', 1, {
      customerId: command.customerId,
      name,
      email,
      givenName,
      familyName,
    }),
  ];
}

/** "Given Family", for a customer who gave the name's parts but no display name. */
function displayNameOf(givenName: string | null, familyName: string | null): string {
  if (givenName === null || familyName === null) {
    throw DomainError.invalidValue('name', 'must be given unless givenName and familyName both are');
  }
  const name = `${givenName} ${familyName}`;
  // Each part fits, but both together may not: the customer must then choose a shorter display name.
  if (Array.from(name).length > MAX_NAME_LENGTH) {
    throw DomainError.invalidValue(
      'name',
      `must be given when givenName and familyName together are longer than ${MAX_NAME_LENGTH} characters`,
    );
  }
  return name;
}

/** Applies one customer event: the state after it, one version later. */
export function evolveCustomer(
  state: CustomerState | undefined,
  event: AggregateEvent<'customer'>,
): CustomerState {
  // Registration is the only customer event; this stops compiling once there is another to handle.
  const registered: EventOf<'CustomerRegistered'> = event;
  if (state) throw new Error(`customer ${registered.aggregateId} is already registered`);
  const { customerId, name, givenName, familyName, email } = registered.data;
  return { customerId, name, givenName, familyName, email, version: versionAfter(state, registered) };
}
