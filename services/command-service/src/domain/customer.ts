import { DomainError } from './errors.js';
import { type AggregateEvent, type EventOf, domainEvent, versionAfter } from './events.js';
import { requireText } from './validation.js';

/** A registered customer as the write model knows it. */
export interface CustomerState {
  readonly customerId: string;
  readonly name: string;
  /** Trimmed and lower-cased. */
  readonly email: string;
  readonly version: number;
}

/** Register a new customer under an id the application generated. */
export interface RegisterCustomer {
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

// One "@", something on both sides, a dot in the domain, no spaces: a typo catcher, not RFC 5322.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Registers a customer with a trimmed name and a trimmed, lower-cased email. That the email is
 * not taken yet is checked by the database's unique key, not here.
 * @throws {DomainError} `invalid-value` for an empty or too long name or a malformed email.
 */
export function decideRegisterCustomer(command: RegisterCustomer): [EventOf<'CustomerRegistered'>] {
  const name = requireText('name', command.name, 200);
  const email = requireText('email', command.email, 320).toLowerCase();
  if (!EMAIL_SHAPE.test(email)) throw DomainError.invalidValue('email', 'must look like name@example.com');
  return [domainEvent('CustomerRegistered', 1, { customerId: command.customerId, name, email })];
}

/** Applies one customer event: the state after it, one version later. */
export function evolveCustomer(
  state: CustomerState | undefined,
  event: AggregateEvent<'customer'>,
): CustomerState {
  // Registration is the only customer event; this stops compiling once there is another to handle.
  const registered: EventOf<'CustomerRegistered'> = event;
  if (state) throw new Error(`customer ${registered.aggregateId} is already registered`);
  const { customerId, name, email } = registered.data;
  return { customerId, name, email, version: versionAfter(state, registered) };
}
