import { createHash, randomUUID } from 'node:crypto';
import { type Access, actorOf, authorize, principalOf } from '@cqrs-shop/auth';
import { type ConsistencyTokens, isTraceparent } from '@cqrs-shop/events';
import { HttpProblem, parseInput, PROBLEM_CONTENT_TYPE } from '@cqrs-shop/http';
import { traceIdsOf } from '@cqrs-shop/telemetry';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { PoolConnection } from 'mysql2/promise';
import type { z } from 'zod';
import { isWriteModelUnavailable } from '../adapters/mysql/transactions.js';
import type { CommandExecutor, CommandMetadata } from '../application/execute.js';
import * as handlers from '../application/handlers.js';
import type { Effect, ExpectedVersion } from '../application/handlers.js';
import { COMMAND_ACCESS, type CommandType } from './access.js';
import * as schemas from './schemas.js';

/** One command of the API: the route, its body, how it runs and what it answers. */
/** The state a command leaves its aggregate in: at least its version. */
type Versioned = { readonly version: number };

interface CommandDefinition<B extends z.ZodType, S extends Versioned> {
  readonly commandType: CommandType;
  readonly path: string;
  readonly summary: string;
  readonly status: 200 | 201;
  readonly body: B;
  readonly response: z.ZodType;
  /** Whether the command acts on an existing aggregate (and so accepts If-Match). */
  readonly existing: boolean;
  /** Whether it names aggregates that may not exist (and so may answer 404). */
  readonly mayNotFind: boolean;
  /** The customer the command acts for, when its body names one (checked against a customer's token). */
  readonly actsFor?: (body: z.output<B>) => string;
  readonly run: (connection: PoolConnection, input: CommandInput<z.output<B>>) => Promise<Effect<S>>;
  readonly present: (effect: Effect<S>) => Record<string, unknown>;
}

/** What one command runs with: its body, the aggregate it names, and its caller's limits. */
interface CommandInput<B> {
  readonly body: B;
  readonly id: string;
  readonly expected: ExpectedVersion;
  /** The customer whose orders alone the caller may touch; undefined when it may touch any. */
  readonly owner: string | undefined;
}

/** A command with its types erased, so that the routes of all commands fit in one table. */
export interface CommandRoute extends Omit<
  CommandDefinition<z.ZodType, Versioned>,
  'run' | 'present' | 'actsFor'
> {
  readonly actsFor?: (body: unknown) => string;
  readonly run: (connection: PoolConnection, input: CommandInput<unknown>) => Promise<Effect<Versioned>>;
  readonly present: (effect: Effect<Versioned>) => Record<string, unknown>;
}

function route<B extends z.ZodType, S extends Versioned>(definition: CommandDefinition<B, S>): CommandRoute {
  const { actsFor, ...rest } = definition;
  return {
    ...rest,
    // The body was parsed with `definition.body`, and the effect came from `definition.run`.
    run: (connection, input) => definition.run(connection, { ...input, body: input.body as z.output<B> }),
    ...(actsFor ? { actsFor: (body: unknown) => actsFor(body as z.output<B>) } : {}),
    present: (effect) => definition.present(effect as Effect<S>),
  };
}

// Each answer gets its consistencyToken, signed, when it is sent (see mountCommandRoutes).
const productAnswer = (effect: Effect<{ productId: string; version: number }>) => ({
  productId: effect.state.productId,
  version: effect.state.version,
});

const orderAnswer = (effect: Effect<{ orderId: string; status: string; version: number }>) => ({
  orderId: effect.state.orderId,
  status: effect.state.status,
  version: effect.state.version,
});

export const COMMAND_ROUTES: readonly CommandRoute[] = [
  route({
    commandType: 'RegisterCustomer',
    path: '/customers',
    summary: 'Register a customer',
    status: 201,
    body: schemas.registerCustomerBody,
    response: schemas.customerResponse,
    existing: false,
    mayNotFind: false,
    run: (connection, { body }) =>
      handlers.registerCustomer(connection, { customerId: randomUUID(), ...body }),
    present: (effect) => ({ customerId: effect.state.customerId, version: effect.state.version }),
  }),
  route({
    commandType: 'AddProduct',
    path: '/products',
    summary: 'Add a product to the catalogue',
    status: 201,
    body: schemas.addProductBody,
    response: schemas.productResponse,
    existing: false,
    mayNotFind: false,
    run: (connection, { body }) => handlers.addProduct(connection, { productId: randomUUID(), ...body }),
    present: productAnswer,
  }),
  route({
    commandType: 'ChangeProductPrice',
    path: '/products/:id/price',
    summary: "Change a product's price",
    status: 200,
    body: schemas.changePriceBody,
    response: schemas.productResponse,
    existing: true,
    mayNotFind: true,
    run: (connection, { body, id, expected }) =>
      handlers.changePrice(connection, { productId: id, ...body }, expected),
    present: productAnswer,
  }),
  route({
    commandType: 'RestockProduct',
    path: '/products/:id/restock',
    summary: "Add units to a product's stock",
    status: 200,
    body: schemas.restockBody,
    response: schemas.productResponse,
    existing: true,
    mayNotFind: true,
    run: (connection, { body, id, expected }) =>
      handlers.restock(connection, { productId: id, ...body }, expected),
    present: productAnswer,
  }),
  route({
    commandType: 'PlaceOrder',
    path: '/orders',
    summary: 'Place an order, reserving its stock',
    status: 201,
    body: schemas.placeOrderBody,
    response: schemas.placedOrderResponse,
    existing: false,
    mayNotFind: true,
    actsFor: (body) => body.customerId,
    run: (connection, { body }) => handlers.placeOrder(connection, { orderId: randomUUID(), ...body }),
    present: (effect) => ({
      orderId: effect.state.orderId,
      status: effect.state.status,
      totalCents: effect.state.totalCents,
      currency: effect.state.currency,
      version: effect.state.version,
    }),
  }),
  route({
    commandType: 'PayOrder',
    path: '/orders/:id/pay',
    summary: 'Record that an order was paid',
    status: 200,
    body: schemas.emptyBody,
    response: schemas.orderResponse,
    existing: true,
    mayNotFind: true,
    run: (connection, { id, expected, owner }) => handlers.payOrder(connection, id, expected, owner),
    present: orderAnswer,
  }),
  route({
    commandType: 'ShipOrder',
    path: '/orders/:id/ship',
    summary: 'Record that a paid order was shipped',
    status: 200,
    body: schemas.emptyBody,
    response: schemas.orderResponse,
    existing: true,
    mayNotFind: true,
    run: (connection, { id, expected, owner }) => handlers.shipOrder(connection, id, expected, owner),
    present: orderAnswer,
  }),
  route({
    commandType: 'CancelOrder',
    path: '/orders/:id/cancel',
    summary: 'Cancel an order, releasing its stock and refunding it if paid',
    status: 200,
    body: schemas.emptyBody,
    response: schemas.orderResponse,
    existing: true,
    mayNotFind: true,
    run: (connection, { id, expected, owner }) => handlers.cancelOrder(connection, id, expected, owner),
    present: orderAnswer,
  }),
];

/** The fields every `traceparent` version has (W3C Trace Context, "Versioning"): what the outbox keeps. */
const TRACEPARENT_LENGTH = 55;

function invalidHeader(name: string, message: string): HttpProblem {
  return HttpProblem.generic('invalid-request', `The ${name} header is not valid`, {
    extensions: { errors: [{ field: `(header ${name})`, message }] },
  });
}

function optionalHeader(req: Request, name: keyof typeof schemas.COMMAND_HEADER_LIMITS): string | null {
  const value = req.get(name);
  if (value === undefined) return null;
  const limit = schemas.COMMAND_HEADER_LIMITS[name];
  if (!schemas.HEADER_VALUE.test(value) || value.length > limit)
    throw invalidHeader(name, `must be 1 to ${limit} visible ASCII characters`);
  return value;
}

/**
 * The caller's `traceparent`, checked as the event envelope checks it: the relay publishes it
 * with the events when the command service does not trace, and a value the envelope refused
 * would stop the event at the relay.
 */
function traceparentHeader(req: Request): string | null {
  const value = req.get('traceparent');
  if (value === undefined) return null;
  if (!isTraceparent(value))
    throw invalidHeader(
      'traceparent',
      'must be a W3C traceparent: version-traceid-parentid-flags in lower-case hex, ids not all zeros',
    );
  return value.slice(0, TRACEPARENT_LENGTH);
}

/** If-Match: a version number, quoted or not (an ETag this API sent). */
function expectedVersion(req: Request, allowed: boolean): ExpectedVersion {
  const header = req.get('If-Match');
  if (header === undefined) return undefined;
  const match = schemas.IF_MATCH.exec(header.trim());
  if (!allowed || !match?.[1]) {
    throw HttpProblem.generic(
      'invalid-request',
      'If-Match must be a version number of an existing aggregate',
      {
        extensions: {
          errors: [{ field: '(header If-Match)', message: 'must be a version number such as "3"' }],
        },
      },
    );
  }
  return Number(match[1]);
}

/** JSON with keys sorted, so that the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function metadata(req: Request, res: Response, commandType: string, body: unknown): CommandMetadata {
  const commandId = randomUUID();
  const key = optionalHeader(req, 'Idempotency-Key');
  const actor = actorOf(principalOf(res));
  return {
    commandId,
    commandType,
    correlationId: optionalHeader(req, 'X-Correlation-Id') ?? commandId,
    actor,
    remoteAddress: req.socket.remoteAddress ?? null,
    userAgent: req.get('User-Agent')?.slice(0, 300) ?? null,
    traceparent: traceparentHeader(req),
    receivedAt: new Date(),
    idempotency:
      key === null
        ? null
        : {
            key,
            // The caller is part of the request: another caller's key replays nothing to it.
            requestHash: createHash('sha256')
              .update(`${actor}\n${req.method} ${req.path}\n${canonicalJson(body)}`)
              .digest('hex'),
          },
  };
}

/**
 * MySQL down or gone mid-request: 503 with Retry-After, not 500 — the client should try again,
 * with the same Idempotency-Key, since a commit cut off may have happened.
 */
function writeModelUnavailable(cause: unknown): HttpProblem {
  return new HttpProblem(
    {
      code: 'write-model-unavailable',
      status: 503,
      title: 'The write model is not available',
      detail:
        'The database did not answer. Send the command again in a moment, with the same Idempotency-Key: if it was committed after all, the first answer is replayed.',
      headers: { 'Retry-After': '2' },
    },
    { cause },
  );
}

const ownerOf = (access: Access): string | undefined =>
  access.kind === 'own' ? access.customerId : undefined;

/**
 * Mounts every command on the app behind `guards` (authentication, rate limits), each for the
 * roles {@link COMMAND_ACCESS} names; each allowed request becomes one call of the executor.
 */
export function mountCommandRoutes(
  app: Express,
  executor: CommandExecutor,
  guards: readonly RequestHandler[],
  tokens: ConsistencyTokens,
): void {
  for (const definition of COMMAND_ROUTES) {
    const rule = COMMAND_ACCESS[definition.commandType];
    const what = definition.summary.charAt(0).toLowerCase() + definition.summary.slice(1);
    app.post(definition.path, ...guards, async (req: Request, res: Response) => {
      const owner = ownerOf(authorize(res, rule, what));
      const id = definition.existing ? parseInput(schemas.idParam, req.params.id, 'path') : '';
      const expected = expectedVersion(req, definition.existing);
      const body = parseInput(definition.body, req.body ?? {});
      // A customer acts in its own name only; naming another is refused before anything runs.
      if (owner !== undefined && definition.actsFor && definition.actsFor(body).toLowerCase() !== owner)
        throw HttpProblem.generic('forbidden', 'A customer may act for itself only', {
          extensions: { errors: [{ field: 'customerId', message: 'must be the customer of the token' }] },
        });
      const meta = metadata(req, res, definition.commandType, body);
      const response = await executor
        .execute(
          meta,
          (connection) => definition.run(connection, { body, id, expected, owner }),
          (effect) => ({
            status: definition.status,
            body: {
              ...definition.present(effect),
              consistencyToken: tokens.encode({
                aggregateType: effect.aggregateType,
                aggregateId: effect.aggregateId,
                version: effect.state.version,
              }),
            },
          }),
        )
        .catch((error: unknown) => {
          throw isWriteModelUnavailable(error) ? writeModelUnavailable(error) : error;
        });
      const answer = response.body as { version?: unknown; status?: unknown };
      if (response.status < 300 && typeof answer.version === 'number') res.set('ETag', `"${answer.version}"`);
      if (response.replayed) res.set('Idempotent-Replayed', 'true');
      if (response.headers) res.set(response.headers);
      res.set('X-Command-Id', meta.commandId);
      // Leads from a response to its trace in the trace backend.
      const traced = traceIdsOf();
      if (traced) res.set('X-Trace-Id', traced.traceId);
      if (response.status >= 400) res.type(PROBLEM_CONTENT_TYPE);
      res.status(response.status).json(response.body);
    });
  }
}
