import {
  type CommandApiClient,
  commandApiClient,
  type Problem,
  problemType,
  type RawRequest,
} from './support/api.js';
import {
  type CommandApiUnderTest,
  snapshotWriteModel,
  startCommandApi,
  type WriteModelSnapshot,
} from './support/write-model.js';

/** Ids of aggregates that exist, so that a request is wrong only in the way a case says. */
interface Existing {
  readonly customerId: string;
  readonly productId: string;
  readonly orderId: string;
}

interface InvalidInput {
  readonly name: string;
  readonly path: (existing: Existing) => string;
  readonly request: (existing: Existing) => RawRequest;
  readonly status: number;
  readonly code: string;
  /** The `errors[].field` the problem must list, in order; omitted when it has no `errors`. */
  readonly fields?: readonly string[];
}

const json = (body: unknown, headers: Record<string, string> = {}): RawRequest => ({
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

const validCustomer = { name: 'Ann Example', email: 'ann@example.com' };
const validProduct = { sku: 'KB-1', name: 'Keyboard', priceCents: 1_000, currency: 'EUR', stock: 5 };
const item = ({ productId }: Existing, quantity: unknown) => ({ productId, quantity });

/** Requests refused at the HTTP boundary: before any command runs, so nothing is written, not even audit. */
const BOUNDARY_REJECTIONS: readonly InvalidInput[] = [
  {
    name: 'a price sent as a string ("12")',
    path: () => '/products',
    request: () => json({ ...validProduct, priceCents: '12' }),
    status: 400,
    code: 'invalid-request',
    fields: ['priceCents'],
  },
  {
    name: 'a fractional price',
    path: (e) => `/products/${e.productId}/price`,
    request: () => json({ priceCents: 10.5 }),
    status: 400,
    code: 'invalid-request',
    fields: ['priceCents'],
  },
  {
    name: 'a negative price',
    path: (e) => `/products/${e.productId}/price`,
    request: () => json({ priceCents: -1 }),
    status: 400,
    code: 'invalid-request',
    fields: ['priceCents'],
  },
  {
    name: 'a negative restock quantity',
    path: (e) => `/products/${e.productId}/restock`,
    request: () => json({ quantity: -3 }),
    status: 400,
    code: 'invalid-request',
    fields: ['quantity'],
  },
  {
    name: 'a restock quantity of 0',
    path: (e) => `/products/${e.productId}/restock`,
    request: () => json({ quantity: 0 }),
    status: 400,
    code: 'invalid-request',
    fields: ['quantity'],
  },
  {
    name: 'a negative order quantity',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, -1)] }),
    status: 400,
    code: 'invalid-request',
    fields: ['items[0].quantity'],
  },
  {
    name: 'a fractional order quantity',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, 1.5)] }),
    status: 400,
    code: 'invalid-request',
    fields: ['items[0].quantity'],
  },
  {
    name: 'an order quantity of 0 in the second item',
    path: () => '/orders',
    request: (e) =>
      json({
        customerId: e.customerId,
        items: [item(e, 1), { productId: '3f1b2c4d-0000-4000-8000-000000000001', quantity: 0 }],
      }),
    status: 400,
    code: 'invalid-request',
    fields: ['items[1].quantity'],
  },
  {
    name: 'an order quantity sent as a string',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, '2')] }),
    status: 400,
    code: 'invalid-request',
    fields: ['items[0].quantity'],
  },
  {
    name: 'a customer without name and email',
    path: () => '/customers',
    request: () => json({}),
    status: 400,
    code: 'invalid-request',
    // The name is checked across fields (it may be left out when both parts are given), so it comes last.
    fields: ['email', 'name'],
  },
  {
    name: 'a customer with a given name but neither a family name nor a display name',
    path: () => '/customers',
    request: () => json({ givenName: 'Ann', email: 'ann@example.com' }),
    status: 400,
    code: 'invalid-request',
    fields: ['name'],
  },
  {
    name: 'a blank given name',
    path: () => '/customers',
    request: () => json({ ...validCustomer, givenName: '  ', familyName: 'Example' }),
    status: 400,
    code: 'invalid-request',
    fields: ['givenName'],
  },
  {
    name: 'a family name of 201 characters',
    path: () => '/customers',
    request: () => json({ givenName: 'Ann', familyName: 'e'.repeat(201), email: 'ann@example.com' }),
    status: 400,
    code: 'invalid-request',
    fields: ['familyName'],
  },
  {
    name: 'a family name that is not a string',
    path: () => '/customers',
    request: () => json({ ...validCustomer, familyName: 42 }),
    status: 400,
    code: 'invalid-request',
    fields: ['familyName'],
  },
  {
    name: 'an order channel the API does not know',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, 1)], channel: 'KIOSK' }),
    status: 400,
    code: 'invalid-request',
    fields: ['channel'],
  },
  {
    name: 'the UNKNOWN channel, which only readers of newer events get',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, 1)], channel: 'UNKNOWN' }),
    status: 400,
    code: 'invalid-request',
    fields: ['channel'],
  },
  {
    name: 'a lower-case order channel',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, 1)], channel: 'web' }),
    status: 400,
    code: 'invalid-request',
    fields: ['channel'],
  },
  {
    name: 'an order channel that is not a string',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, 1)], channel: null }),
    status: 400,
    code: 'invalid-request',
    fields: ['channel'],
  },
  {
    name: 'a product missing everything but its SKU',
    path: () => '/products',
    request: () => json({ sku: 'KB-2' }),
    status: 400,
    code: 'invalid-request',
    fields: ['name', 'priceCents', 'currency', 'stock'],
  },
  {
    name: 'an order without items',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId }),
    status: 400,
    code: 'invalid-request',
    fields: ['items'],
  },
  {
    name: 'an unknown field on a customer',
    path: () => '/customers',
    request: () => json({ ...validCustomer, vip: true }),
    status: 400,
    code: 'invalid-request',
    fields: ['vip'],
  },
  {
    name: 'unknown fields in an order item',
    path: () => '/orders',
    request: (e) =>
      json({ customerId: e.customerId, items: [{ ...item(e, 1), discount: 10, note: 'gift' }] }),
    status: 400,
    code: 'invalid-request',
    fields: ['items[0].discount', 'items[0].note'],
  },
  {
    name: 'a body on a command that takes none',
    path: (e) => `/orders/${e.orderId}/pay`,
    request: () => json({ reason: 'paid by card' }),
    status: 400,
    code: 'invalid-request',
    fields: ['reason'],
  },
  {
    name: 'a blank customer name',
    path: () => '/customers',
    request: () => json({ ...validCustomer, name: '   ' }),
    status: 400,
    code: 'invalid-request',
    fields: ['name'],
  },
  {
    name: 'a blank product name',
    path: () => '/products',
    request: () => json({ ...validProduct, name: '' }),
    status: 400,
    code: 'invalid-request',
    fields: ['name'],
  },
  {
    name: 'a malformed email',
    path: () => '/customers',
    request: () => json({ ...validCustomer, email: 'ann.example.com' }),
    status: 400,
    code: 'invalid-request',
    fields: ['email'],
  },
  {
    name: 'a lower-case currency',
    path: () => '/products',
    request: () => json({ ...validProduct, currency: 'eur' }),
    status: 400,
    code: 'invalid-request',
    fields: ['currency'],
  },
  {
    name: 'a four-letter currency',
    path: () => '/products',
    request: () => json({ ...validProduct, currency: 'EURO' }),
    status: 400,
    code: 'invalid-request',
    fields: ['currency'],
  },
  {
    name: 'a SKU with a space',
    path: () => '/products',
    request: () => json({ ...validProduct, sku: 'KB 1' }),
    status: 400,
    code: 'invalid-request',
    fields: ['sku'],
  },
  {
    name: 'an order id that is not a UUID in the path',
    path: () => '/orders/not-a-uuid/pay',
    request: () => ({}),
    status: 400,
    code: 'invalid-request',
    fields: ['(path)'],
  },
  {
    name: 'a product id that is not a UUID in the path',
    path: () => '/products/42/restock',
    request: () => json({ quantity: 1 }),
    status: 400,
    code: 'invalid-request',
    fields: ['(path)'],
  },
  {
    name: 'a customer id that is not a UUID in the body',
    path: () => '/orders',
    request: (e) => json({ customerId: 'customer-1', items: [item(e, 1)] }),
    status: 400,
    code: 'invalid-request',
    fields: ['customerId'],
  },
  {
    name: 'a product id that is not a UUID in an item',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [item(e, 1), { productId: 'kb', quantity: 1 }] }),
    status: 400,
    code: 'invalid-request',
    fields: ['items[1].productId'],
  },
  {
    name: 'an empty list of items',
    path: () => '/orders',
    request: (e) => json({ customerId: e.customerId, items: [] }),
    status: 400,
    code: 'invalid-request',
    fields: ['items'],
  },
  {
    name: 'a JSON array as the body',
    path: () => '/customers',
    request: () => json([validCustomer]),
    status: 400,
    code: 'invalid-request',
    fields: ['(body)'],
  },
  {
    name: 'malformed JSON',
    path: () => '/customers',
    request: () => ({ body: '{"name": "Ann",', headers: { 'content-type': 'application/json' } }),
    status: 400,
    code: 'malformed-json',
  },
  {
    name: 'a JSON string as the body',
    path: () => '/customers',
    request: () => json('Ann'),
    status: 400,
    code: 'malformed-json',
  },
  {
    name: 'a body that is not JSON (text/plain)',
    path: () => '/customers',
    request: () => ({ body: JSON.stringify(validCustomer), headers: { 'content-type': 'text/plain' } }),
    status: 415,
    code: 'unsupported-media-type',
  },
  {
    name: 'a body without a Content-Type',
    path: () => '/customers',
    request: () => ({ body: Buffer.from(JSON.stringify(validCustomer)) }),
    status: 415,
    code: 'unsupported-media-type',
  },
  {
    name: 'a form-encoded body',
    path: (e) => `/products/${e.productId}/restock`,
    request: () => ({
      body: 'quantity=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
    status: 415,
    code: 'unsupported-media-type',
  },
  {
    name: 'a POST to an unknown route',
    path: () => '/refunds',
    request: () => json({ orderId: '3f1b2c4d-0000-4000-8000-000000000001' }),
    status: 404,
    code: 'not-found',
  },
  {
    name: 'a GET of a command route',
    path: () => '/orders',
    request: () => ({ method: 'GET' }),
    status: 405,
    code: 'method-not-allowed',
  },
  {
    name: 'an unknown order action',
    path: (e) => `/orders/${e.orderId}/refund`,
    request: () => ({}),
    status: 404,
    code: 'not-found',
  },
  {
    name: 'an If-Match that is not a version',
    path: (e) => `/orders/${e.orderId}/pay`,
    request: () => ({ headers: { 'If-Match': '"abc"' } }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header If-Match)'],
  },
  {
    name: 'an If-Match of *',
    path: (e) => `/products/${e.productId}/restock`,
    request: () => json({ quantity: 1 }, { 'If-Match': '*' }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header If-Match)'],
  },
  {
    name: 'an If-Match on a command that creates an aggregate',
    path: () => '/customers',
    request: () => json(validCustomer, { 'If-Match': '"1"' }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header If-Match)'],
  },
  {
    name: 'an X-Correlation-Id longer than its column (128 characters)',
    path: () => '/customers',
    request: () => json(validCustomer, { 'X-Correlation-Id': 'c'.repeat(129) }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header X-Correlation-Id)'],
  },
  // Text that a store downstream cannot hold (PostgreSQL refuses NUL) or that is no text at all.
  {
    name: 'a customer name with a NUL character',
    path: () => '/customers',
    request: () => json({ ...validCustomer, name: 'Ann\u0000Example' }),
    status: 400,
    code: 'invalid-request',
    fields: ['name'],
  },
  {
    name: 'a given name with a control character (BEL)',
    path: () => '/customers',
    request: () => json({ givenName: 'Ann\u0007', familyName: 'Example', email: validCustomer.email }),
    status: 400,
    code: 'invalid-request',
    fields: ['givenName'],
  },
  {
    name: 'a family name with a lone surrogate',
    path: () => '/customers',
    request: () => json({ givenName: 'Ann', familyName: 'Ex\ud800ample', email: validCustomer.email }),
    status: 400,
    code: 'invalid-request',
    fields: ['familyName'],
  },
  {
    name: 'an e-mail address with a NUL character',
    path: () => '/customers',
    request: () => json({ ...validCustomer, email: 'ann\u0000@example.com' }),
    status: 400,
    code: 'invalid-request',
    fields: ['email'],
  },
  {
    name: 'an e-mail address with a lone surrogate',
    path: () => '/customers',
    request: () => json({ ...validCustomer, email: 'ann\udc00@example.com' }),
    status: 400,
    code: 'invalid-request',
    fields: ['email'],
  },
  {
    name: 'a product name with a C1 control character',
    path: () => '/products',
    request: () => json({ ...validProduct, name: 'Key\u0085board' }),
    status: 400,
    code: 'invalid-request',
    fields: ['name'],
  },
  {
    name: 'a product description with a NUL character',
    path: () => '/products',
    request: () => json({ ...validProduct, description: 'Line one\nline\u0000two' }),
    status: 400,
    code: 'invalid-request',
    fields: ['description'],
  },
  {
    name: 'an Idempotency-Key longer than 200 characters',
    path: () => '/customers',
    request: () => json(validCustomer, { 'Idempotency-Key': 'k'.repeat(201) }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header Idempotency-Key)'],
  },
  {
    name: 'a traceparent with an all-zero trace id',
    path: () => '/customers',
    request: () =>
      json(validCustomer, { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header traceparent)'],
  },
  {
    name: 'a traceparent in upper-case hex',
    path: () => '/customers',
    request: () =>
      json(validCustomer, { traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01' }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header traceparent)'],
  },
  {
    name: 'a traceparent of the forbidden version ff',
    path: () => '/customers',
    request: () =>
      json(validCustomer, { traceparent: 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header traceparent)'],
  },
  {
    name: 'a traceparent of version 00 with a fifth field',
    path: () => '/customers',
    request: () =>
      json(validCustomer, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra' }),
    status: 400,
    code: 'invalid-request',
    fields: ['(header traceparent)'],
  },
];

describe('command API: invalid input (real MariaDB)', () => {
  let shop: CommandApiUnderTest;
  let api: CommandApiClient;
  let existing: Existing;

  beforeAll(async () => {
    shop = await startCommandApi();
    api = commandApiClient(shop.baseUrl);
    const customer = await api.registerCustomer();
    const product = await api.addProduct({ stock: 5 });
    const order = await api.placeOrder(customer.customerId, [{ productId: product.productId, quantity: 1 }]);
    existing = { customerId: customer.customerId, productId: product.productId, orderId: order.orderId };
  });

  afterAll(() => shop.close());

  function expectProblem(
    response: { status: number; headers: Headers; body: Problem },
    status: number,
    code: string,
  ) {
    expect({ status: response.status, type: response.body.type }).toEqual({
      status,
      type: problemType(code),
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.status).toBe(status);
    expect(typeof response.body.title).toBe('string');
  }

  function expectFieldErrors(body: Problem, fields: readonly string[]) {
    expect(body.errors?.map((error) => error.field)).toEqual(fields);
    for (const error of body.errors ?? []) {
      expect(error.message).toEqual(expect.stringMatching(/\S/));
    }
  }

  /** Asserts the write model is as it was, audit trail included unless `audited` rows were expected. */
  async function expectNothingWritten(before: WriteModelSnapshot, audited = 0) {
    const after = await snapshotWriteModel(shop);
    expect(after).toEqual({
      ...before,
      rowCounts: { ...before.rowCounts, command_audit: before.rowCounts.command_audit + audited },
    });
  }

  it.each(BOUNDARY_REJECTIONS)(
    'rejects $name with $status $code, writing and emitting nothing, not even an audit row',
    async ({ path, request, status, code, fields }) => {
      const before = await snapshotWriteModel(shop);

      const response = await api.send<Problem>(path(existing), request(existing));

      expectProblem(response, status, code);
      if (fields === undefined) expect(response.body.errors).toBeUndefined();
      else expectFieldErrors(response.body, fields);
      await expectNothingWritten(before);
    },
  );

  it('takes text in any script, emoji (surrogate pairs) included, and line breaks and tabs in a description', async () => {
    const customer = await api.send<{ customerId: string }>(
      '/customers',
      json({ givenName: 'Zoë', familyName: '王 🙂', email: 'zoe@example.com' }),
    );
    expect(customer.status).toBe(201);
    const product = await api.send<{ productId: string }>(
      '/products',
      json({
        ...validProduct,
        sku: 'KB-2',
        name: 'Clavier « AZERTY »',
        description: 'Line one\n\tline two\r\n',
      }),
    );
    expect(product.status).toBe(201);
  });

  it('rejects a body one byte over the limit with 413 payload-too-large, and reads one at the limit', async () => {
    const padded = (bytes: number) => {
      const shell = JSON.stringify({ ...validCustomer, name: '' });
      return JSON.stringify({ ...validCustomer, name: 'n'.repeat(bytes - shell.length) });
    };
    const atLimit = padded(shop.bodyLimitBytes);
    const overLimit = padded(shop.bodyLimitBytes + 1);
    expect([Buffer.byteLength(atLimit), Buffer.byteLength(overLimit)]).toEqual([
      shop.bodyLimitBytes,
      shop.bodyLimitBytes + 1,
    ]);
    const headers = { 'content-type': 'application/json' };
    const before = await snapshotWriteModel(shop);

    const over = await api.send<Problem>('/customers', { body: overLimit, headers });
    const at = await api.send<Problem>('/customers', { body: atLimit, headers });

    expectProblem(over, 413, 'payload-too-large');
    // Read and validated: the name is too long for the schema, so a 400 naming it, not a 413.
    expectProblem(at, 400, 'invalid-request');
    expectFieldErrors(at.body, ['name']);
    await expectNothingWritten(before);
  });

  it('audits the refusals the domain makes after validation, still writing nothing else', async () => {
    const before = await snapshotWriteModel(shop);

    const duplicateItem = await api.post<Problem>('/orders', {
      customerId: existing.customerId,
      items: [item(existing, 1), item(existing, 1)],
    });
    const [{ email } = { email: '' }] = await shop.query('SELECT email FROM customers WHERE id = ?', [
      existing.customerId,
    ]);
    const takenEmail = await api.post<Problem>('/customers', {
      name: 'Someone Else',
      email: email as string,
    });
    const tooMany = await api.post<Problem>('/orders', {
      customerId: existing.customerId,
      items: [item(existing, 10_000)],
    });

    expectProblem(duplicateItem, 400, 'invalid-request');
    expectFieldErrors(duplicateItem.body, ['items']);
    expectProblem(takenEmail, 409, 'already-exists');
    expect(takenEmail.body).toMatchObject({ aggregateType: 'customer', field: 'email', value: email });
    expectProblem(tooMany, 409, 'insufficient-stock');
    await expectNothingWritten(before, 3);
    const audited = await shop.query(
      `SELECT command_type, outcome, status_code, problem_code FROM command_audit
       WHERE outcome = 'rejected' ORDER BY received_at`,
    );
    expect(audited.map((row) => [row.command_type, row.outcome, row.status_code, row.problem_code])).toEqual([
      ['PlaceOrder', 'rejected', 400, 'invalid-request'],
      ['RegisterCustomer', 'rejected', 409, 'already-exists'],
      ['PlaceOrder', 'rejected', 409, 'insufficient-stock'],
    ]);
  });
});
