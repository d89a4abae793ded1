// Who may do what, over the whole suite: every role against every route of both APIs, tokens
// that must be refused, a signing key rotated while the services run, and text no store can hold.
import { randomUUID } from 'node:crypto';
import type { HttpAnswer } from '@cqrs-shop/testing';
import { TestIdentity, waitFor } from '@cqrs-shop/testing';
import { UnsecuredJWT } from 'jose';
import type { RowDataPacket } from 'mysql2/promise';
import { suiteForTests } from './support';

type Principal = 'nobody' | 'customer' | 'other customer' | 'staff' | 'ops';

const identity = new TestIdentity();
const running = suiteForTests({ identity });

describe('access to the APIs (real processes and stores)', () => {
  let shop: {
    customer: string;
    otherCustomer: string;
    product: string;
    /** The customer's orders: one to pay, one it cancels, one staff cancels, one to ship. */
    orders: { pay: string; cancelOwn: string; cancelStaff: string; ship: string };
  };
  const headersOf = async (principal: Principal): Promise<Record<string, string>> => {
    switch (principal) {
      case 'nobody':
        return { Authorization: '' };
      case 'customer':
        return identity.bearer(['customer'], shop.customer);
      case 'other customer':
        return identity.bearer(['customer'], shop.otherCustomer);
      case 'staff':
        return identity.bearer(['staff']);
      case 'ops':
        return identity.bearer(['ops']);
    }
  };
  const as = async (principal: Principal) => {
    const headers = await headersOf(principal);
    return {
      command: (path: string, body: unknown = {}) => running().command(path, body, headers),
      query: (path: string, extra: Record<string, string> = {}) =>
        running().query(path, { ...headers, ...extra }),
    };
  };
  const created = (answer: HttpAnswer, what: string): Record<string, unknown> => {
    if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };

  beforeAll(async () => {
    const staff = await as('staff');
    const register = async (name: string) =>
      String(
        created(
          await staff.command('/customers', {
            name,
            email: `${name.toLowerCase()}.${randomUUID()}@example.com`,
          }),
          'register',
        ).customerId,
      );
    const customer = await register('Ada');
    const otherCustomer = await register('Grace');
    const product = String(
      created(
        await staff.command('/products', {
          sku: `SEC-${randomUUID().slice(0, 8)}`,
          name: 'Lock',
          priceCents: 1_500,
          currency: 'EUR',
          stock: 100,
        }),
        'add product',
      ).productId,
    );
    shop = {
      customer,
      otherCustomer,
      product,
      orders: { pay: '', cancelOwn: '', cancelStaff: '', ship: '' },
    };
    const asCustomer = await as('customer');
    const place = async () =>
      String(
        created(
          await asCustomer.command('/orders', {
            customerId: customer,
            items: [{ productId: product, quantity: 1 }],
          }),
          'place',
        ).orderId,
      );
    shop.orders = {
      pay: await place(),
      cancelOwn: await place(),
      cancelStaff: await place(),
      ship: await place(),
    };
    created(await asCustomer.command(`/orders/${shop.orders.ship}/pay`), 'pay');
  });

  /** Rows and versions that a refused command must leave as they are. */
  const writeModelState = async () => {
    const connection = running().database.connection;
    const [[outbox]] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM outbox');
    const [orders] = await connection.query<RowDataPacket[]>(
      'SELECT id, status, version FROM orders ORDER BY id',
    );
    const [products] = await connection.query<RowDataPacket[]>(
      'SELECT id, price_cents, stock, version FROM products ORDER BY id',
    );
    const [[customers]] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM customers');
    return { outbox: Number(outbox?.n), customers: Number(customers?.n), orders, products };
  };

  describe('the command API', () => {
    /** Each command, and what each principal gets; the allowed ones run last, after the refusals. */
    const refusals: [string, () => string, () => unknown, Principal, number][] = [
      [
        'register a customer',
        () => '/customers',
        () => ({ name: 'Eve', email: `eve.${randomUUID()}@example.com` }),
        'nobody',
        401,
      ],
      [
        'register a customer',
        () => '/customers',
        () => ({ name: 'Eve', email: `eve.${randomUUID()}@example.com` }),
        'customer',
        403,
      ],
      [
        'register a customer',
        () => '/customers',
        () => ({ name: 'Eve', email: `eve.${randomUUID()}@example.com` }),
        'ops',
        403,
      ],
      [
        'add a product',
        () => '/products',
        () => ({ sku: 'X-1', name: 'X', priceCents: 1, currency: 'EUR', stock: 1 }),
        'customer',
        403,
      ],
      [
        'add a product',
        () => '/products',
        () => ({ sku: 'X-1', name: 'X', priceCents: 1, currency: 'EUR', stock: 1 }),
        'ops',
        403,
      ],
      ['change a price', () => `/products/${shop.product}/price`, () => ({ priceCents: 0 }), 'customer', 403],
      ['change a price', () => `/products/${shop.product}/price`, () => ({ priceCents: 0 }), 'ops', 403],
      ['change a price', () => `/products/${shop.product}/price`, () => ({ priceCents: 0 }), 'nobody', 401],
      ['restock', () => `/products/${shop.product}/restock`, () => ({ quantity: 5 }), 'customer', 403],
      ['restock', () => `/products/${shop.product}/restock`, () => ({ quantity: 5 }), 'ops', 403],
      [
        'place an order for another customer',
        () => '/orders',
        () => ({ customerId: shop.otherCustomer, items: [{ productId: shop.product, quantity: 1 }] }),
        'customer',
        403,
      ],
      [
        'place an order',
        () => '/orders',
        () => ({ customerId: shop.customer, items: [{ productId: shop.product, quantity: 1 }] }),
        'staff',
        403,
      ],
      [
        'place an order',
        () => '/orders',
        () => ({ customerId: shop.customer, items: [{ productId: shop.product, quantity: 1 }] }),
        'ops',
        403,
      ],
      [
        'pay another customer’s order',
        () => `/orders/${shop.orders.pay}/pay`,
        () => ({}),
        'other customer',
        404,
      ],
      ['pay an order', () => `/orders/${shop.orders.pay}/pay`, () => ({}), 'staff', 403],
      ['pay an order', () => `/orders/${shop.orders.pay}/pay`, () => ({}), 'ops', 403],
      ['ship an order', () => `/orders/${shop.orders.ship}/ship`, () => ({}), 'customer', 403],
      ['ship an order', () => `/orders/${shop.orders.ship}/ship`, () => ({}), 'ops', 403],
      [
        'cancel another customer’s order',
        () => `/orders/${shop.orders.cancelOwn}/cancel`,
        () => ({}),
        'other customer',
        404,
      ],
      ['cancel an order', () => `/orders/${shop.orders.cancelOwn}/cancel`, () => ({}), 'ops', 403],
      ['cancel an order', () => `/orders/${shop.orders.cancelOwn}/cancel`, () => ({}), 'nobody', 401],
    ];

    it('refuses every command a role may not send (401, 403, or 404 for another customer’s order), and they change nothing', async () => {
      const before = await writeModelState();
      const outcomes: string[] = [];
      for (const [what, path, body, principal, status] of refusals) {
        const answer = await (await as(principal)).command(path(), body());
        outcomes.push(`${principal} → ${what}: ${answer.status}`);
        expect(answer.headers.get('content-type')).toContain('application/problem+json');
        if (status === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="cqrs-shop"');
        // Another customer's order looks exactly like one that does not exist.
        if (status === 404) expect(answer.body).toMatchObject({ type: 'urn:cqrs-shop:problem:not-found' });
      }
      expect(outcomes).toEqual(
        refusals.map(([what, , , principal, status]) => `${principal} → ${what}: ${status}`),
      );
      expect(await writeModelState()).toEqual(before);
    });

    it('lets each role send what it may', async () => {
      const staff = await as('staff');
      const customer = await as('customer');
      const allowed: [string, Promise<HttpAnswer>, number][] = [
        [
          'staff registers a customer',
          staff.command('/customers', { name: 'Joan', email: `joan.${randomUUID()}@example.com` }),
          201,
        ],
        [
          'staff adds a product',
          staff.command('/products', {
            sku: `OK-${randomUUID().slice(0, 8)}`,
            name: 'Key',
            priceCents: 500,
            currency: 'EUR',
            stock: 3,
          }),
          201,
        ],
      ];
      for (const [what, answer, status] of allowed)
        expect(`${what}: ${(await answer).status}`).toBe(`${what}: ${status}`);
      const sequence: [string, () => Promise<HttpAnswer>, number][] = [
        [
          'staff changes a price',
          () => staff.command(`/products/${shop.product}/price`, { priceCents: 1_600 }),
          200,
        ],
        ['staff restocks', () => staff.command(`/products/${shop.product}/restock`, { quantity: 5 }), 200],
        [
          'the customer places an order',
          () =>
            customer.command('/orders', {
              customerId: shop.customer,
              items: [{ productId: shop.product, quantity: 1 }],
            }),
          201,
        ],
        ['the customer pays its order', () => customer.command(`/orders/${shop.orders.pay}/pay`), 200],
        ['staff ships a paid order', () => staff.command(`/orders/${shop.orders.ship}/ship`), 200],
        [
          'the customer cancels its order',
          () => customer.command(`/orders/${shop.orders.cancelOwn}/cancel`),
          200,
        ],
        ['staff cancels any order', () => staff.command(`/orders/${shop.orders.cancelStaff}/cancel`), 200],
      ];
      for (const [what, send, status] of sequence)
        expect(`${what}: ${(await send()).status}`).toBe(`${what}: ${status}`);
    });
  });

  describe('the query API', () => {
    const reads: [string, () => string, Record<Principal, number>][] = [
      [
        'an order',
        () => `/orders/${shop.orders.ship}`,
        { nobody: 401, customer: 200, 'other customer': 404, staff: 200, ops: 403 },
      ],
      [
        'a customer’s orders',
        () => `/customers/${shop.customer}/orders`,
        { nobody: 401, customer: 200, 'other customer': 404, staff: 200, ops: 403 },
      ],
      [
        'order search',
        () => '/search/orders?q=Ada',
        { nobody: 401, customer: 403, 'other customer': 403, staff: 200, ops: 403 },
      ],
      [
        'product search',
        () => '/search/products?q=Lock',
        { nobody: 401, customer: 200, 'other customer': 200, staff: 200, ops: 403 },
      ],
      [
        'sales',
        () => '/stats/sales',
        { nobody: 401, customer: 403, 'other customer': 403, staff: 200, ops: 403 },
      ],
      [
        'top products',
        () => '/stats/products/top',
        { nobody: 401, customer: 403, 'other customer': 403, staff: 200, ops: 403 },
      ],
    ];

    it('answers each role as its rule says, hiding other customers’ orders as if they did not exist', async () => {
      // The orders must be in the read model first, so that a 404 means hidden, not missing.
      await running().caughtUp(['projector-order-history']);
      const expected: string[] = [];
      const actual: string[] = [];
      for (const [what, path, statuses] of reads)
        for (const [principal, status] of Object.entries(statuses) as [Principal, number][]) {
          expected.push(`${principal} reads ${what}: ${status}`);
          const answer = await (await as(principal)).query(path());
          actual.push(`${principal} reads ${what}: ${answer.status}`);
          if (answer.status === 401)
            expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="cqrs-shop"');
        }
      expect(actual).toEqual(expected);
      const own = await (await as('customer')).query(`/customers/${shop.customer}/orders`);
      expect((own.body as { items: { customerId: string }[] }).items.map((o) => o.customerId)).toEqual(
        Array((own.body as { items: unknown[] }).items.length).fill(shop.customer),
      );
    });
  });

  describe('the admin surface', () => {
    it('is not on the public ports: metrics, projections and the ops page answer 404 there', async () => {
      for (const service of ['command-service', 'query-gateway'] as const)
        for (const path of ['/metrics', '/projections', '/ops', '/ops/settings']) {
          const answer = await fetch(`${running().url(service)}${path}`, { headers: await headersOf('ops') });
          expect(`${service} ${path}: ${answer.status}`).toBe(`${service} ${path}: 404`);
        }
    });

    it('is on each API’s admin port: /metrics for the scraper, projections and the page’s settings for ops only', async () => {
      for (const service of ['command-service', 'query-gateway'] as const) {
        const metrics = await fetch(`${running().adminUrl(service)}/metrics`);
        expect(`${service} /metrics: ${metrics.status}`).toBe(`${service} /metrics: 200`);
        // The API is not served there.
        const api = await fetch(`${running().adminUrl(service)}/openapi.json`);
        expect((await api.json()) as { info: { title: string } }).not.toMatchObject({
          info: { title: expect.stringMatching(/(command|query) API$/) as unknown },
        });
      }
      const admin = running().adminUrl('query-gateway');
      const expected: string[] = [];
      const actual: string[] = [];
      const statuses = { nobody: 401, customer: 403, staff: 403, ops: 200 } as const;
      for (const path of ['/projections', '/ops/settings'])
        for (const [principal, status] of Object.entries(statuses) as [Principal, number][]) {
          expected.push(`${principal} GET ${path}: ${status}`);
          const headers = await headersOf(principal);
          const answer = await fetch(`${admin}${path}`, {
            headers: headers.Authorization ? headers : {},
          });
          actual.push(`${principal} GET ${path}: ${answer.status}`);
        }
      expect(actual).toEqual(expected);
      // The page itself holds no data: it asks for a token.
      expect((await fetch(`${admin}/ops`)).status).toBe(200);
    });
  });

  describe('the projectors’ redrive', () => {
    it('takes a token with the ops role only, and sends it on with the request', async () => {
      const expected: string[] = [];
      const actual: string[] = [];
      const statuses = { nobody: 401, customer: 403, staff: 403, ops: 409 } as const;
      for (const [principal, status] of Object.entries(statuses) as [Principal, number][]) {
        expected.push(`${principal}: ${status}`);
        // An aggregate that is not parked: an ops token gets as far as the redrive (409, not parked).
        const answer = await running().send(
          'projector-order-history',
          'POST',
          '/projection/redrive',
          { aggregate: `order:${randomUUID()}` },
          await headersOf(principal),
        );
        actual.push(`${principal}: ${answer.status}`);
      }
      expect(actual).toEqual(expected);
    });
  });

  describe('tokens', () => {
    const refused = async (authorization: string) => {
      const [read, command] = await Promise.all([
        running().query('/stats/sales', { Authorization: authorization }),
        running().command(
          '/customers',
          { name: 'Mallory', email: `m.${randomUUID()}@example.com` },
          { Authorization: authorization },
        ),
      ]);
      return [read, command].map((answer) => ({
        status: answer.status,
        challenge: answer.headers.get('www-authenticate') ?? '',
      }));
    };

    it('refuses a token signed by another key, expired, for another audience or issuer, unsigned, or malformed', async () => {
      const stranger = new TestIdentity();
      const cases: [string, string, RegExp][] = [
        ['another key', `Bearer ${await stranger.token({ roles: ['staff'] })}`, /does not trust/],
        ['expired', `Bearer ${await identity.token({ roles: ['staff'], ttlSeconds: -120 })}`, /expired/],
        [
          'another audience',
          `Bearer ${await identity.token({ roles: ['staff'], audience: 'billing' })}`,
          /aud claim/,
        ],
        [
          'another issuer',
          `Bearer ${await identity.token({ roles: ['staff'], issuer: 'https://evil.example/' })}`,
          /iss claim/,
        ],
        [
          'alg none',
          `Bearer ${new UnsecuredJWT({ roles: ['staff'] }).setIssuer('https://identity.cqrs-shop.test/').setAudience('cqrs-shop').setSubject('mallory').setExpirationTime('5m').encode()}`,
          /not a well-formed signed JWT|algorithm/,
        ],
        ['not a bearer token', 'Basic bWFsbG9yeTpzZWNyZXQ=', /must be 'Bearer <token>'/],
      ];
      for (const [what, authorization, reason] of cases)
        for (const answer of await refused(authorization)) {
          expect(`${what}: ${answer.status}`).toBe(`${what}: 401`);
          expect(answer.challenge).toMatch(
            /^Bearer realm="cqrs-shop", error="invalid_token", error_description="/,
          );
          expect(answer.challenge).toMatch(reason);
        }
    });

    it('takes tokens of a rotated key without a restart, and stops taking a retired key’s', async () => {
      const before = await identity.token({ roles: ['staff'] });
      identity.rotate();
      const rotated = await identity.token({ roles: ['staff'] });
      for (const answer of await refused(`Bearer ${rotated}`)) expect(answer.status).not.toBe(401);
      for (const answer of await refused(`Bearer ${before}`)) expect(answer.status).not.toBe(401);

      identity.rotate({ retire: true });
      const current = await identity.token({ roles: ['staff'] });
      // Dropped once the services read their key set again (AUTH_JWKS_MAX_AGE, 2 s here).
      await waitFor('the retired keys to be refused', async () =>
        (await refused(`Bearer ${rotated}`)).every((answer) => answer.status === 401),
      );
      for (const answer of await refused(`Bearer ${current}`)) expect(answer.status).not.toBe(401);
    });
  });

  describe('consistency tokens', () => {
    it('are signed: one altered or signed with another key is refused with 400, the genuine one waits and answers', async () => {
      const staff = await as('staff');
      const restocked = await staff.command(`/products/${shop.product}/restock`, { quantity: 1 });
      const genuine = String(restocked.body.consistencyToken);
      const [payload = '', mac = ''] = genuine.split('.');
      const point = Buffer.from(payload, 'base64url').toString();
      const later = Buffer.from(point.replace(/:(\d+)$/, (_, v: string) => `:${Number(v) + 1_000}`)).toString(
        'base64url',
      );
      const forged = new TestIdentity().consistencyTokens.encode({
        aggregateType: 'product',
        aggregateId: shop.product,
        version: 1_000,
      });
      for (const token of [`${later}.${mac}`, forged, payload]) {
        const answer = await staff.query(`/search/products?q=Lock`, { 'X-Consistency-Token': token });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ errors: [{ field: 'X-Consistency-Token' }] });
      }
      expect((await staff.query('/search/products?q=Lock', { 'X-Consistency-Token': genuine })).status).toBe(
        200,
      );
    });
  });

  describe('text no store can hold', () => {
    const bad: [string, Record<string, string>, string][] = [
      ['a name with NUL', { name: 'Ann\u0000Example', email: 'ann@example.com' }, 'name'],
      ['a name with a control character', { name: 'Ann\u001bExample', email: 'ann@example.com' }, 'name'],
      ['a name with a C1 control character', { name: 'Ann\u0085Example', email: 'ann@example.com' }, 'name'],
      ['a name with a lone surrogate', { name: 'Ann\ud800Example', email: 'ann@example.com' }, 'name'],
      ['an e-mail with NUL', { name: 'Ann Example', email: 'ann\u0000@example.com' }, 'email'],
      [
        'an e-mail with a control character',
        { name: 'Ann Example', email: 'ann\u0007@example.com' },
        'email',
      ],
      ['an e-mail with a lone surrogate', { name: 'Ann Example', email: 'ann\udfff@example.com' }, 'email'],
    ];

    it('refuses names and e-mails with NUL, control characters or lone surrogates with 400 naming the field, and nothing reaches the outbox', async () => {
      const staff = await as('staff');
      const before = await writeModelState();
      for (const [what, body, field] of bad) {
        const answer = await staff.command('/customers', body);
        expect(`${what}: ${answer.status}`).toBe(`${what}: 400`);
        expect(answer.body).toMatchObject({ errors: [expect.objectContaining({ field }) as unknown] });
      }
      expect(await writeModelState()).toEqual(before);
    });
  });
});
