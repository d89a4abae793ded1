import { testIdentity, uniqueName } from '@cqrs-shop/testing';
import { type CommandApiClient, commandApiClient, type PlacedOrder, type Problem } from './support/api.js';
import { type CommandApiUnderTest, readOutbox, startCommandApi } from './support/write-model.js';

/** Every command of the API, by OpenAPI path, with the fields its request body requires. */
const COMMANDS = {
  // The name is required unless givenName and familyName both are given: an anyOf of its own.
  '/customers': { operationId: 'RegisterCustomer', required: ['email'] },
  '/products': { operationId: 'AddProduct', required: ['sku', 'name', 'priceCents', 'currency', 'stock'] },
  '/products/{id}/price': { operationId: 'ChangeProductPrice', required: ['priceCents'] },
  '/products/{id}/restock': { operationId: 'RestockProduct', required: ['quantity'] },
  '/orders': { operationId: 'PlaceOrder', required: ['customerId', 'items'] },
  '/orders/{id}/pay': { operationId: 'PayOrder', required: [] },
  '/orders/{id}/ship': { operationId: 'ShipOrder', required: [] },
  '/orders/{id}/cancel': { operationId: 'CancelOrder', required: [] },
} as const;

/** The parts of the OpenAPI document these tests read. */
interface OpenApiDocument {
  readonly openapi: string;
  readonly components: { readonly securitySchemes: Record<string, unknown> };
  readonly paths: Record<
    string,
    {
      readonly post: {
        readonly operationId: string;
        readonly description: string;
        readonly security: readonly Record<string, readonly string[]>[];
        readonly parameters: readonly { readonly name: string; readonly in: string }[];
        readonly requestBody: {
          readonly content: { readonly 'application/json': { readonly schema: JsonSchema } };
        };
        readonly responses: Record<string, unknown>;
      };
    }
  >;
}

interface JsonSchema {
  readonly type?: string;
  readonly enum?: readonly string[];
  readonly anyOf?: readonly JsonSchema[];
  readonly required?: readonly string[];
  readonly properties?: Record<string, JsonSchema>;
  readonly items?: JsonSchema;
  readonly additionalProperties?: boolean;
}

describe('command API: audit trail and API description (real MariaDB)', () => {
  let shop: CommandApiUnderTest;
  let api: CommandApiClient;

  beforeAll(async () => {
    shop = await startCommandApi();
    api = commandApiClient(shop.baseUrl);
  });

  afterAll(() => shop.close());

  async function auditRow(commandId: string) {
    const rows = await shop.query(
      `SELECT command_type, aggregate_type, aggregate_id, actor, remote_address, user_agent, correlation_id,
         idempotency_key, outcome, status_code, problem_code, detail
       FROM command_audit WHERE command_id = ?`,
      [commandId],
    );
    return rows.map((row) => ({
      commandType: row.command_type as string,
      aggregateType: row.aggregate_type as string | null,
      aggregateId: row.aggregate_id as string | null,
      actor: row.actor as string | null,
      remoteAddress: row.remote_address as string | null,
      userAgent: row.user_agent as string | null,
      correlationId: row.correlation_id as string,
      idempotencyKey: row.idempotency_key as string | null,
      outcome: row.outcome as string,
      statusCode: row.status_code as number,
      problemCode: row.problem_code as string | null,
      detail: row.detail as string | null,
    }));
  }

  describe('command_audit', () => {
    it('records an accepted command once, with its type, outcome, status, actor (from the token, never from X-Actor) and correlation id, and stamps its events with the same ids', async () => {
      const customer = await api.registerCustomer();
      const token = await testIdentity().token({
        roles: ['customer'],
        customerId: customer.customerId,
        subject: 'shopper-17',
      });
      const keyboard = await api.addProduct({ stock: 5 });
      const mouse = await api.addProduct({ stock: 5 });
      const correlationId = uniqueName('checkout');
      const key = uniqueName('key');

      const response = await api.post<PlacedOrder>(
        '/orders',
        {
          customerId: customer.customerId,
          items: [
            { productId: keyboard.productId, quantity: 1 },
            { productId: mouse.productId, quantity: 2 },
          ],
        },
        {
          Authorization: `Bearer ${token}`,
          'X-Actor': 'clerk@shop.example',
          'X-Correlation-Id': correlationId,
          'Idempotency-Key': key,
          'User-Agent': 'audit-test/1.0',
        },
      );

      expect(response.status).toBe(201);
      const commandId = response.headers.get('x-command-id') ?? '';
      expect(commandId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(await auditRow(commandId)).toEqual([
        {
          commandType: 'PlaceOrder',
          aggregateType: 'order',
          aggregateId: response.body.orderId,
          actor: 'customer:shopper-17',
          remoteAddress: expect.stringMatching(/127\.0\.0\.1$/) as unknown,
          userAgent: 'audit-test/1.0',
          correlationId,
          idempotencyKey: key,
          outcome: 'accepted',
          statusCode: 201,
          problemCode: null,
          detail: null,
        },
      ]);

      const events = (await readOutbox(shop)).filter((event) => event.commandId === commandId);
      expect(events.map((e) => [e.eventType, e.aggregateId]).sort()).toEqual(
        [
          ['OrderPlaced', response.body.orderId],
          ['StockReserved', keyboard.productId],
          ['StockReserved', mouse.productId],
        ].sort(),
      );
      for (const event of events) {
        expect({ correlationId: event.correlationId, causationId: event.causationId }).toEqual({
          correlationId,
          causationId: commandId,
        });
      }
    });

    it('records a refused command once, with its problem code and detail, and emits nothing for it', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ stock: 1 });
      const correlationId = uniqueName('checkout');

      const response = await api.post<Problem>(
        '/orders',
        { customerId: customer.customerId, items: [{ productId: product.productId, quantity: 4 }] },
        { 'X-Correlation-Id': correlationId },
      );

      expect(response.status).toBe(409);
      const commandId = response.headers.get('x-command-id') ?? '';
      expect(await auditRow(commandId)).toEqual([
        expect.objectContaining({
          commandType: 'PlaceOrder',
          aggregateType: null,
          aggregateId: null,
          actor: `customer:test-customer-${customer.customerId}`,
          correlationId,
          idempotencyKey: null,
          outcome: 'rejected',
          statusCode: 409,
          problemCode: 'insufficient-stock',
          detail: response.body.detail,
        }),
      ]);
      expect(response.body.detail).toContain(product.productId);
      const outbox = await readOutbox(shop);
      expect(
        outbox.filter((event) => event.commandId === commandId || event.correlationId === correlationId),
      ).toEqual([]);
    });

    it('uses the command id as correlation id when the request brings none, and the staff member as actor', async () => {
      const response = await api.post('/customers', {
        name: 'Nadia Nobody',
        email: `${uniqueName('nadia')}@example.com`,
      });

      expect(response.status).toBe(201);
      const commandId = response.headers.get('x-command-id') ?? '';
      expect(await auditRow(commandId)).toEqual([
        expect.objectContaining({
          correlationId: commandId,
          actor: 'ops+staff:test-staff-ops',
          outcome: 'accepted',
          statusCode: 201,
        }),
      ]);
      const events = (await readOutbox(shop)).filter((event) => event.commandId === commandId);
      expect(events.map((e) => [e.eventType, e.correlationId, e.causationId])).toEqual([
        ['CustomerRegistered', commandId, commandId],
      ]);
    });
  });

  describe('GET /openapi.json', () => {
    let document: OpenApiDocument;

    beforeAll(async () => {
      const response = await api.send<OpenApiDocument>('/openapi.json', { method: 'GET' });
      expect(response.status).toBe(200);
      document = response.body;
    });

    it('is an OpenAPI 3.1 document listing every command path and nothing else', () => {
      expect(document.openapi).toMatch(/^3\.1\.\d+$/);
      expect(Object.keys(document.paths).sort()).toEqual(Object.keys(COMMANDS).sort());
    });

    it.each(Object.entries(COMMANDS))(
      'describes POST %s with its operation id and the fields its request body requires',
      (path, { operationId, required }) => {
        const operation = document.paths[path]?.post;
        expect(operation?.operationId).toBe(operationId);
        const schema = operation?.requestBody.content['application/json'].schema;
        expect(schema?.type).toBe('object');
        expect([...(schema?.required ?? [])].sort()).toEqual([...required].sort());
        // Objects are strict: the document says unknown fields are refused.
        expect(schema?.additionalProperties).toBe(false);
        const parameters = operation?.parameters.map((p) => `${p.in}:${p.name}`) ?? [];
        expect(parameters).toEqual(
          expect.arrayContaining(['header:Idempotency-Key', 'header:X-Correlation-Id']),
        );
        if (path.includes('{id}'))
          expect(parameters).toEqual(expect.arrayContaining(['path:id', 'header:If-Match']));
        else expect(parameters).not.toContain('header:If-Match');
      },
    );

    it('says every command needs a bearer token, which roles may send it, and what a refusal answers', () => {
      expect(document.components.securitySchemes).toEqual({
        bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }) as unknown,
      });
      for (const path of Object.keys(COMMANDS)) {
        const operation = document.paths[path]?.post;
        expect(operation?.security).toEqual([{ bearer: [] }]);
        expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
      }
      expect(document.paths['/orders/{id}/cancel']?.post.description).toBe('For staff, customer (own).');
      expect(document.paths['/products']?.post.description).toBe('For staff.');
    });

    it('describes an order item as a product id and a whole quantity of at least 1', () => {
      const items =
        document.paths['/orders']?.post.requestBody.content['application/json'].schema.properties?.items;
      expect(items?.type).toBe('array');
      expect(items?.items).toMatchObject({
        type: 'object',
        required: ['productId', 'quantity'],
        properties: {
          productId: { type: 'string', format: 'uuid' },
          quantity: { type: 'integer', minimum: 1 },
        },
      });
    });

    it('describes the sales channels an order may name, and a customer named in full or by parts', () => {
      const body = (path: string) =>
        document.paths[path]?.post.requestBody.content['application/json'].schema;
      expect(body('/orders')?.properties?.channel).toMatchObject({
        type: 'string',
        enum: ['WEB', 'MOBILE_APP', 'MARKETPLACE', 'PHONE'],
      });
      expect(body('/customers')).toMatchObject({
        properties: {
          name: { type: 'string', maxLength: 200 },
          givenName: { type: 'string', maxLength: 200 },
          familyName: { type: 'string', maxLength: 200 },
        },
        anyOf: [{ required: ['name'] }, { required: ['givenName', 'familyName'] }],
      });
    });

    it('lists 404 among the answers of POST /orders, which names an existing customer and products', async () => {
      const response = await api.post<Problem>('/orders', {
        customerId: '00000000-0000-4000-8000-000000000001',
        items: [{ productId: '00000000-0000-4000-8000-000000000002', quantity: 1 }],
      });
      expect(response.status).toBe(404);
      expect(Object.keys(document.paths['/orders']?.post.responses ?? {})).toContain('404');
    });
  });
});
