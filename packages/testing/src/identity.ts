import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateSigningKey, issueToken, type Role, type SigningJwk } from '@cqrs-shop/auth';
import { ConsistencyTokens } from '@cqrs-shop/events';
import type { JSONWebKeySet } from 'jose';

export const TEST_ISSUER = 'https://identity.cqrs-shop.test/';
export const TEST_AUDIENCE = 'cqrs-shop';

/** Who a token is for: roles, a customer's id, a subject; valid for `ttlSeconds`. */
export interface TokenRequest {
  readonly roles: readonly Role[];
  readonly customerId?: string;
  readonly subject?: string;
  /** Negative for a token that has expired. @default 3600 */
  readonly ttlSeconds?: number;
  /** For tokens meant to be refused. @default TEST_AUDIENCE, TEST_ISSUER */
  readonly audience?: string;
  readonly issuer?: string;
}

const ORDER_ACTION = /^\/orders\/([^/]+)\/(pay|cancel)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The customer a call acts as when the call names no customer of its own. */
const ANY_CUSTOMER = '00000000-0000-4000-8000-00000000c0de';

/**
 * The tests' own identity provider: a signing key whose public half is in a JWKS file that the
 * services under test are pointed at ({@link TestIdentity.env}), and tokens signed with it.
 * It can also act as whichever principal a route needs ({@link TestIdentity.headersFor}), so
 * that tests about something else send the calls a real client would.
 */
export class TestIdentity {
  private signingKey: SigningJwk;
  private keys: JSONWebKeySet;
  private readonly dir = mkdtempSync(join(tmpdir(), 'cqrs-shop-identity-'));
  readonly jwksFile = join(this.dir, 'jwks.json');
  /** The private key, for tools that sign their own tokens (the cqrs CLI's redrive). */
  readonly signingKeyFile = join(this.dir, 'signing-key.json');
  /** The customer of each order placed through {@link TestIdentity.noteAnswer}. */
  private readonly orderCustomers = new Map<string, string>();
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly consistencyKey = randomBytes(32);
  /** Signs and reads consistency tokens as the services under test do (same key). */
  readonly consistencyTokens = new ConsistencyTokens({ current: this.consistencyKey });

  constructor() {
    const { privateJwk, jwks } = generateSigningKey();
    this.signingKey = privateJwk;
    this.keys = jwks;
    this.writeKeys();
    process.once('exit', () => {
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** The settings that make a service trust this identity's tokens (and sign consistency tokens as the tests do). */
  get env(): Record<string, string> {
    return {
      CONSISTENCY_TOKEN_KEY: this.consistencyKey.toString('base64'),
      AUTH_JWKS_FILE: this.jwksFile,
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      // A rotated key is looked for at once, and a retired one dropped within 2 s (the defaults
      // are 30 s and 10 min).
      AUTH_JWKS_COOLDOWN: '0',
      AUTH_JWKS_MAX_AGE: '2s',
      // The cqrs CLI signs its own ops tokens with it, as it does with the local stack's key.
      AUTH_SIGNING_KEY_FILE: this.signingKeyFile,
    };
  }

  /** A token signed with the current key. */
  token(request: TokenRequest): Promise<string> {
    return issueToken(this.signingKey, {
      issuer: request.issuer ?? TEST_ISSUER,
      audience: request.audience ?? TEST_AUDIENCE,
      subject:
        request.subject ??
        `test-${request.roles.join('-')}${request.customerId ? `-${request.customerId}` : ''}`,
      roles: request.roles,
      ...(request.customerId === undefined ? {} : { customerId: request.customerId }),
      ttlSeconds: request.ttlSeconds ?? 3_600,
    });
  }

  /** `Authorization` for a token of these roles (one token per set of roles, reused). */
  async bearer(roles: readonly Role[], customerId?: string): Promise<Record<string, string>> {
    const key = `${roles.join('+')}/${customerId ?? ''}`;
    let token = this.tokens.get(key);
    if (!token) {
      token = this.token({ roles, ...(customerId === undefined ? {} : { customerId }) });
      this.tokens.set(key, token);
    }
    return { Authorization: `Bearer ${await token}` };
  }

  /**
   * Rotates the signing key: later tokens are signed by a new key, which the JWKS file now
   * publishes; the old key stays in it unless `retire` is set.
   */
  rotate(options: { retire?: boolean } = {}): void {
    const { privateJwk, jwks } = generateSigningKey();
    this.signingKey = privateJwk;
    this.keys = { keys: [...(options.retire ? [] : this.keys.keys), ...jwks.keys] };
    this.tokens.clear();
    this.writeKeys();
  }

  /**
   * The `Authorization` a real client of this route would send: the customer of the order for
   * placing, paying and cancelling (known from the orders this identity saw placed), staff and
   * ops for everything else.
   */
  headersFor(method: string, path: string, body?: unknown): Promise<Record<string, string>> {
    if (method === 'POST' && path === '/orders') {
      const customerId = (body as { customerId?: unknown } | undefined)?.customerId;
      // A customer id that is none (a test of validation) gets a customer of its own: the
      // request then fails on its body, as it would for any customer.
      return this.bearer(
        ['customer'],
        typeof customerId === 'string' && UUID.test(customerId) ? customerId : ANY_CUSTOMER,
      );
    }
    const action = method === 'POST' ? ORDER_ACTION.exec(path) : null;
    if (action) {
      const owner = this.orderCustomers.get(action[1] ?? '');
      if (owner !== undefined) return this.bearer(['customer'], owner);
      // Paying is for customers only: an order this identity never saw is paid by some customer
      // (404, as for any order not its own). Staff cancel any order.
      if (action[2] === 'pay') return this.bearer(['customer'], ANY_CUSTOMER);
    }
    return this.bearer(['staff', 'ops']);
  }

  /**
   * What a call sends as `Authorization`: the caller's own value (an empty one: none), or the
   * token of the principal the route needs ({@link TestIdentity.headersFor}).
   */
  async authorization(
    method: string,
    path: string,
    body: unknown,
    explicit: string | undefined,
  ): Promise<Record<string, string>> {
    if (explicit === undefined) return this.headersFor(method, path, body);
    return explicit === '' ? {} : { Authorization: explicit };
  }

  /** Learns which customer an order belongs to from the answer to placing it. */
  noteAnswer(method: string, path: string, body: unknown, answer: unknown): void {
    if (method !== 'POST' || path !== '/orders') return;
    const customerId = (body as { customerId?: unknown } | undefined)?.customerId;
    const orderId = (answer as { orderId?: unknown } | undefined)?.orderId;
    if (typeof customerId === 'string' && typeof orderId === 'string')
      this.orderCustomers.set(orderId, customerId.toLowerCase());
  }

  private writeKeys(): void {
    // Written whole, then renamed: a service reading it never sees half a file.
    const next = `${this.jwksFile}.next`;
    writeFileSync(next, JSON.stringify(this.keys));
    renameSync(next, this.jwksFile);
    writeFileSync(this.signingKeyFile, JSON.stringify(this.signingKey), { mode: 0o600 });
  }
}

let shared: TestIdentity | undefined;

/** The identity every helper of this test process uses, made on first use. */
export function testIdentity(): TestIdentity {
  shared ??= new TestIdentity();
  return shared;
}
