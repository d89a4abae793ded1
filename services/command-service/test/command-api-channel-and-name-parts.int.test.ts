// What event schemas v2 brought to the command API: an order's sales channel and a customer's
// name parts, from the request through MySQL into the outbox, and migration 0004 for old rows.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventSchemas } from '@cqrs-shop/event-codec';
import { createLogger } from '@cqrs-shop/logging';
import { createScratchDatabase, uniqueName } from '@cqrs-shop/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { MIGRATIONS_DIRECTORY, migrate } from '../src/adapters/mysql/migrations.js';
import {
  type CommandApiClient,
  commandApiClient,
  type CreatedCustomer,
  type PlacedOrder,
  type Problem,
  problemType,
} from './support/api.js';
import {
  type CommandApiUnderTest,
  exceptAudit,
  payloadsOf,
  readOutbox,
  snapshotWriteModel,
  startCommandApi,
} from './support/write-model.js';

describe('command API: sales channels and name parts (real MariaDB)', () => {
  let shop: CommandApiUnderTest;
  let api: CommandApiClient;

  beforeAll(async () => {
    shop = await startCommandApi();
    api = commandApiClient(shop.baseUrl);
  });

  afterAll(() => shop.close());

  async function placeOrder(body: Record<string, unknown> = {}): Promise<PlacedOrder> {
    const customer = await api.registerCustomer();
    const product = await api.addProduct({ stock: 5 });
    const response = await api.post<PlacedOrder>('/orders', {
      customerId: customer.customerId,
      items: [{ productId: product.productId, quantity: 1 }],
      ...body,
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function channelRow(orderId: string): Promise<unknown> {
    const [row] = await shop.query('SELECT channel FROM orders WHERE id = ?', [orderId]);
    return row?.channel;
  }

  async function customerRow(customerId: string) {
    const [row] = await shop.query('SELECT name, given_name, family_name FROM customers WHERE id = ?', [
      customerId,
    ]);
    return { name: row?.name, givenName: row?.given_name, familyName: row?.family_name };
  }

  describe('an order', () => {
    it('records the channel it was placed through in its row and in OrderPlaced v2', async () => {
      const { orderId } = await placeOrder({ channel: 'MOBILE_APP' });

      expect(await channelRow(orderId)).toBe('MOBILE_APP');
      const [placed] = await readOutbox(shop, orderId);
      expect(placed?.decoded).toMatchObject({
        eventType: 'OrderPlaced',
        schemaVersion: 2,
        fingerprint: eventSchemas.latest('OrderPlaced').fingerprintHex,
        payload: { orderId, channel: 'MOBILE_APP' },
      });
    });

    it('is a web order when the request names no channel', async () => {
      const { orderId } = await placeOrder();

      expect(await channelRow(orderId)).toBe('WEB');
      expect(payloadsOf(await readOutbox(shop, orderId), 'OrderPlaced')).toEqual([
        expect.objectContaining({ channel: 'WEB' }),
      ]);
    });

    it('keeps its channel when it is paid and cancelled', async () => {
      const { orderId } = await placeOrder({ channel: 'PHONE' });

      await api.moveOrder(orderId, 'pay');
      await api.moveOrder(orderId, 'cancel');

      expect(await channelRow(orderId)).toBe('PHONE');
    });

    it('is refused at the boundary for a channel the API does not take, writing nothing', async () => {
      const customer = await api.registerCustomer();
      const product = await api.addProduct({ stock: 5 });
      const before = await snapshotWriteModel(shop);

      const response = await api.post<Problem>('/orders', {
        customerId: customer.customerId,
        items: [{ productId: product.productId, quantity: 1 }],
        channel: 'UNKNOWN',
      });

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        type: problemType('invalid-request'),
        errors: [{ field: 'channel', message: 'must be one of WEB, MOBILE_APP, MARKETPLACE, PHONE' }],
      });
      expect(await snapshotWriteModel(shop)).toEqual(before);
    });
  });

  describe('a customer', () => {
    const email = () => `${uniqueName('customer')}@example.com`;

    it('registered by name parts alone gets "given family" as the display name', async () => {
      const response = await api.post<CreatedCustomer>('/customers', {
        givenName: 'Grace',
        familyName: 'Hopper',
        email: email(),
      });

      expect(response.status).toBe(201);
      const { customerId } = response.body;
      expect(await customerRow(customerId)).toEqual({
        name: 'Grace Hopper',
        givenName: 'Grace',
        familyName: 'Hopper',
      });
      expect(payloadsOf(await readOutbox(shop, customerId), 'CustomerRegistered')).toEqual([
        expect.objectContaining({ name: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' }),
      ]);
    });

    it('registered by display name alone has no name parts, as before', async () => {
      const response = await api.post<CreatedCustomer>('/customers', { name: 'Ada', email: email() });

      expect(response.status).toBe(201);
      const { customerId } = response.body;
      expect(await customerRow(customerId)).toEqual({ name: 'Ada', givenName: null, familyName: null });
      expect(payloadsOf(await readOutbox(shop, customerId), 'CustomerRegistered')).toEqual([
        expect.objectContaining({ name: 'Ada', givenName: null, familyName: null }),
      ]);
    });

    it('keeps a display name given beside the parts', async () => {
      const response = await api.post<CreatedCustomer>('/customers', {
        name: 'Rear Admiral Hopper',
        givenName: 'Grace',
        email: email(),
      });

      expect(response.status).toBe(201);
      expect(await customerRow(response.body.customerId)).toEqual({
        name: 'Rear Admiral Hopper',
        givenName: 'Grace',
        familyName: null,
      });
    });

    it('is refused with 400 naming `name` when the parts are too long together for a display name', async () => {
      const before = await snapshotWriteModel(shop);

      const response = await api.post<Problem>('/customers', {
        givenName: 'g'.repeat(150),
        familyName: 'f'.repeat(150),
        email: email(),
      });

      expect(response.status).toBe(400);
      expect(response.body.errors?.map((error) => error.field)).toEqual(['name']);
      // Refused by the domain after validation: audited, nothing else written.
      expect(exceptAudit(await snapshotWriteModel(shop))).toEqual(exceptAudit(before));
    });
  });
});

describe('migration 0004 (real MariaDB)', () => {
  it('makes existing orders web orders and leaves existing customers without name parts', async () => {
    const scratch = await createScratchDatabase();
    const earlier = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    const logger = createLogger({ service: 'test', level: 'silent' });
    try {
      for (const file of readdirSync(MIGRATIONS_DIRECTORY).filter((name) => name < '0004')) {
        copyFileSync(path.join(MIGRATIONS_DIRECTORY, file), path.join(earlier, file));
      }
      await migrate(scratch.settings, logger, earlier);
      const customerId = '0c6f4a1e-0000-4000-8000-0000000000a1';
      const orderId = '7d3c1f00-0000-4000-8000-0000000000a1';
      await scratch.connection.query(
        `INSERT INTO customers (id, name, email, version, created_at, updated_at)
         VALUES (?, 'Ada Lovelace', 'ada@example.com', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`,
        [customerId],
      );
      await scratch.connection.query(
        `INSERT INTO orders (id, customer_id, status, total_cents, currency, refund_cents, version, placed_at, updated_at)
         VALUES (?, ?, 'PLACED', 1200, 'EUR', NULL, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`,
        [orderId, customerId],
      );

      expect((await migrate(scratch.settings, logger))[0]).toBe('0004_sales_channel_and_name_parts');

      const [[order]] = await scratch.connection.query<RowDataPacket[]>(
        'SELECT channel FROM orders WHERE id = ?',
        [orderId],
      );
      const [[customer]] = await scratch.connection.query<RowDataPacket[]>(
        'SELECT name, given_name, family_name FROM customers WHERE id = ?',
        [customerId],
      );
      expect(order).toEqual({ channel: 'WEB' });
      expect(customer).toEqual({ name: 'Ada Lovelace', given_name: null, family_name: null });
    } finally {
      rmSync(earlier, { recursive: true, force: true });
      await scratch.drop();
    }
  });
});
