import { type Access, mayTouch } from '@cqrs-shop/auth';
import { HttpProblem } from '@cqrs-shop/http';
import type { AnalyticsReader, OrderHistoryReader, SearchReader } from '@cqrs-shop/read-models';
import { z } from 'zod';
import type { ReadModelName } from '../store-guard.js';
import type { QueryOperation } from './access.js';
import { decodeCursor, encodeCursor, type Position } from './cursor.js';
import * as schemas from './schemas.js';

/**
 * An answer already rendered as JSON (an order view, say): sent as it is, not serialised again.
 * It must be what the route's response schema describes. `revision`, when given, changes
 * whenever the text does within one read-model version: the answer gets an ETag from the two,
 * and a request whose `If-None-Match` holds it gets 304.
 */
export class JsonText {
  constructor(
    readonly text: string,
    readonly revision?: string,
  ) {}
}

/** The readers of the three read models. */
export interface Readers {
  readonly 'order-history': OrderHistoryReader;
  readonly search: SearchReader;
  readonly analytics: AnalyticsReader;
}

export interface QueryContext {
  readonly readers: Readers;
  readonly defaultCurrency: string;
  /** What the caller may read (see QUERY_ACCESS): a customer, its own orders only. */
  readonly access: Access;
}

/** One query of the API: its route, its inputs, the read model it is served from, its answer. */
interface QueryDefinition<P extends z.ZodType, Q extends z.ZodType> {
  readonly operationId: QueryOperation;
  /** Express path; `:name` segments are path parameters. */
  readonly path: string;
  readonly summary: string;
  readonly readModel: ReadModelName;
  readonly params: P;
  readonly query: Q;
  readonly response: z.ZodType;
  /** Whether it answers 404 for an id it does not know. */
  readonly mayNotFind: boolean;
  /** Whether its answers carry an ETag (see {@link JsonText}), so that `If-None-Match` may get 304. */
  readonly conditional?: boolean;
  readonly run: (
    input: { params: z.output<P>; query: z.output<Q> },
    context: QueryContext,
  ) => Promise<unknown>;
}

/** A query with its input types erased, so that all fit in one table. */
export type QueryRoute = Omit<QueryDefinition<z.ZodType, z.ZodType>, 'run'> & {
  readonly run: (input: { params: unknown; query: unknown }, context: QueryContext) => Promise<unknown>;
};

function query<P extends z.ZodType, Q extends z.ZodType>(definition: QueryDefinition<P, Q>): QueryRoute {
  // The inputs were parsed with the definition's own schemas before `run` is called.
  return definition as unknown as QueryRoute;
}

const withoutPaging = <T extends { limit: number; cursor?: string | undefined }>({
  limit: _limit,
  cursor: _cursor,
  ...filters
}: T) => filters;

/** The customer an order's JSON names (read only for customers, who may see their own alone). */
function ownerOf(orderJson: string): string {
  const { customerId } = JSON.parse(orderJson) as { customerId?: unknown };
  return typeof customerId === 'string' ? customerId : '';
}

const score = z.number();
const keyword = z.string().max(300);

export const QUERY_ROUTES: readonly QueryRoute[] = [
  query({
    operationId: 'getOrder',
    path: '/orders/:orderId',
    summary: 'One order with its lines, customer and status history',
    readModel: 'order-history',
    params: schemas.orderParams,
    query: z.strictObject({}),
    response: schemas.orderDocument,
    mayNotFind: true,
    conditional: true,
    async run({ params }, { readers, access }) {
      const order = await readers['order-history'].orderJson(params.orderId);
      // Only a customer's read needs the owner: staff reads send the text unparsed.
      if (order === undefined || (access.kind !== 'any' && !mayTouch(access, ownerOf(order.json))))
        throw HttpProblem.generic('not-found', `No order ${params.orderId}`);
      return new JsonText(order.json, String(order.rank));
    },
  }),
  query({
    operationId: 'listCustomerOrders',
    path: '/customers/:customerId/orders',
    summary: "A customer's orders, newest first, a page at a time",
    readModel: 'order-history',
    params: schemas.customerParams,
    query: schemas.customerOrdersQuery,
    response: schemas.customerOrdersPage,
    // For a customer asking for another's: the same 404 whether that customer exists or not.
    mayNotFind: true,
    async run({ params, query: q }, { readers, access }) {
      if (!mayTouch(access, params.customerId.toLowerCase()))
        throw HttpProblem.generic('not-found', `No orders of customer ${params.customerId} to show`);
      const filters = { customerId: params.customerId };
      const after = decodeCursor(q.cursor, filters, z.tuple([keyword, keyword]));
      const page = await readers['order-history'].customerOrdersJson(
        params.customerId,
        q.limit,
        after && { placedAt: after[0], orderId: after[1] },
      );
      const nextCursor = page.next && encodeCursor(filters, [page.next.placedAt, page.next.orderId]);
      return new JsonText(`{"items":${page.itemsJson},"nextCursor":${JSON.stringify(nextCursor)}}`);
    },
  }),
  query({
    operationId: 'searchOrders',
    path: '/search/orders',
    summary: 'Orders by words, status, currency, total and placement time',
    readModel: 'search',
    params: schemas.noParams,
    query: schemas.orderSearchQuery,
    response: schemas.orderSearchPage,
    mayNotFind: false,
    async run({ query: q }, { readers }) {
      const filters = withoutPaging(q);
      const shape = q.q ? z.tuple([score, score, keyword]) : z.tuple([score, keyword]);
      const after = decodeCursor<Position>(q.cursor, filters, shape);
      const page = await readers.search.searchOrders({ ...filters, limit: q.limit, after });
      return {
        total: page.total,
        items: page.items,
        nextCursor: page.next && encodeCursor(filters, page.next),
      };
    },
  }),
  query({
    operationId: 'searchProducts',
    path: '/search/products',
    summary: 'Products by words of their name or description, or SKU',
    readModel: 'search',
    params: schemas.noParams,
    query: schemas.productSearchQuery,
    response: schemas.productSearchPage,
    mayNotFind: false,
    async run({ query: q }, { readers }) {
      const filters = withoutPaging(q);
      const shape = q.q ? z.tuple([score, keyword, keyword]) : z.tuple([keyword, keyword]);
      const after = decodeCursor<Position>(q.cursor, filters, shape);
      const page = await readers.search.searchProducts({ ...filters, limit: q.limit, after });
      return {
        total: page.total,
        items: page.items,
        nextCursor: page.next && encodeCursor(filters, page.next),
      };
    },
  }),
  query({
    operationId: 'getSales',
    path: '/stats/sales',
    summary: 'Orders placed and by status, gross revenue and refunds in one currency',
    readModel: 'analytics',
    params: schemas.noParams,
    query: schemas.salesQuery,
    response: schemas.salesFigures,
    mayNotFind: false,
    run: ({ query: q }, { readers, defaultCurrency }) =>
      readers.analytics.sales(q.currency ?? defaultCurrency),
  }),
  query({
    operationId: 'getTopProducts',
    path: '/stats/products/top',
    summary: 'The best-selling products by units, over orders not cancelled',
    readModel: 'analytics',
    params: schemas.noParams,
    query: schemas.topProductsQuery,
    response: schemas.topProducts,
    mayNotFind: false,
    run: ({ query: q }, { readers }) => readers.analytics.topProducts(q.limit),
  }),
];
