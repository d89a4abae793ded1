// Request and response schemas of the query API. Requests are validated with them; the OpenAPI
// document is generated from the same objects.
import { ORDER_STATUSES } from '@cqrs-shop/projections';
import { CUSTOMER_ORDERS_PAGE_SIZE, VERSION_STATES } from '@cqrs-shop/read-models';
import { z } from 'zod';

const MAX_CENTS = 1e15;
export const MAX_LIMIT = 100;

const id = z.uuid({ error: 'must be a UUID' });
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
/**
 * A whole number in a query string: digits only (an empty or signed value, or one with blanks,
 * is refused rather than read as something else); in the document, an integer.
 */
const wholeNumber = (int: z.ZodInt) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value),
    int,
  );
const cents = wholeNumber(
  z
    .int({ error: 'must be a whole number of minor units' })
    .min(0, 'must not be negative')
    .max(MAX_CENTS, `must be at most ${MAX_CENTS}`),
);
const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 time, e.g. 2026-11-24T10:00:00Z',
});
const limit = (fallback: number) =>
  wholeNumber(
    z
      .int({ error: `must be a whole number from 1 to ${MAX_LIMIT}` })
      .min(1, `must be a whole number from 1 to ${MAX_LIMIT}`)
      .max(MAX_LIMIT, `must be a whole number from 1 to ${MAX_LIMIT}`),
  ).default(fallback);
const cursor = z
  .string()
  .max(1_000, 'is not a cursor this API issued')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor this API issued')
  .optional()
  .describe('`nextCursor` of the previous page; opaque');
/** Words to look for; blank is the same as none. */
const text = z
  .string()
  .max(200, 'must be at most 200 characters')
  .transform((value) => value.trim() || undefined);

/** Accepted by every query: read a given version of the read model instead of the live one. */
export const modelVersionQuery = z.strictObject({
  modelVersion: wholeNumber(
    z
      .int({ error: 'must be a read-model version number (GET /projections lists them)' })
      .min(1, 'must be a read-model version number (GET /projections lists them)')
      .max(1_000_000, 'must be a read-model version number (GET /projections lists them)'),
  )
    .optional()
    .describe(
      'Read this version of the read model instead of the live one, e.g. a point-in-time version ' +
        'built with `cqrs projections rebuild <name> --until <time>`; see GET /projections',
    ),
});

/** Where an order was placed; UNKNOWN stands for a channel newer than this gateway. */
const salesChannel = z.enum(['WEB', 'MOBILE_APP', 'MARKETPLACE', 'PHONE', 'UNKNOWN']);

export const orderParams = z.strictObject({ orderId: id });
export const customerParams = z.strictObject({ customerId: id });
export const noParams = z.strictObject({});

export const customerOrdersQuery = z.strictObject({ limit: limit(CUSTOMER_ORDERS_PAGE_SIZE), cursor });

/** Ranges whose ends cross (`from` after `to`, say) are empty: they match no order, not a 400. */
export const orderSearchQuery = z.strictObject({
  q: text.optional().describe('Words of the customer name or product names, a SKU, an order or customer id'),
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }).optional(),
  currency: currency.optional(),
  minTotalCents: cents.optional(),
  maxTotalCents: cents.optional(),
  from: instant.optional().describe('Placed at or after'),
  to: instant.optional().describe('Placed before'),
  limit: limit(20),
  cursor,
});

export const productSearchQuery = z.strictObject({
  q: text.optional().describe('Words of the name or description, or a SKU'),
  limit: limit(20),
  cursor,
});

export const salesQuery = z.strictObject({
  currency: currency.optional().describe('The currency of the money figures; defaults to the shop’s'),
});

export const topProductsQuery = z.strictObject({ limit: limit(10) });

const statusCounts = z.object(Object.fromEntries(ORDER_STATUSES.map((s) => [s, z.number().int()])));

export const orderDocument = z.object({
  orderId: z.string(),
  customerId: z.string(),
  customer: z.object({ name: z.string(), email: z.string() }).nullable(),
  lines: z.array(
    z.object({
      productId: z.string(),
      sku: z.string(),
      productName: z.string(),
      quantity: z.number().int(),
      unitPriceCents: z.number().int(),
      lineTotalCents: z.number().int(),
    }),
  ),
  totalCents: z.number().int(),
  currency: z.string(),
  channel: salesChannel,
  status: z.enum(ORDER_STATUSES),
  statusHistory: z.array(z.object({ status: z.enum(ORDER_STATUSES), at: z.string() })),
  placedAt: z.string(),
  updatedAt: z.string(),
  refundCents: z.number().int().nullable(),
  version: z.number().int(),
});

export const customerOrdersPage = z.object({
  items: z.array(orderDocument),
  nextCursor: z.string().nullable(),
});

const orderHit = z.object({
  orderId: z.string(),
  customerId: z.string(),
  customerName: z.string().nullable(),
  customerEmail: z.string().nullable(),
  productNames: z.array(z.string()),
  skus: z.array(z.string()),
  status: z.enum(ORDER_STATUSES),
  totalCents: z.number().int(),
  currency: z.string(),
  channel: salesChannel,
  placedAt: z.string(),
  version: z.number().int(),
});

const productHit = z.object({
  productId: z.string(),
  sku: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  priceCents: z.number().int(),
  currency: z.string(),
  stock: z.number().int(),
  version: z.number().int(),
});

export const orderSearchPage = z.object({
  total: z.number().int(),
  items: z.array(orderHit),
  nextCursor: z.string().nullable(),
});

export const productSearchPage = z.object({
  total: z.number().int(),
  items: z.array(productHit),
  nextCursor: z.string().nullable(),
});

export const salesFigures = z.object({
  ordersPlaced: z.number().int(),
  ordersByStatus: statusCounts,
  grossRevenueCents: z.number().int(),
  refundedCents: z.number().int(),
  currency: z.string(),
});

export const topProducts = z.array(
  z.object({
    productId: z.string(),
    sku: z.string().nullable(),
    name: z.string().nullable(),
    unitsSold: z.number().int(),
    revenueCents: z.number().int(),
  }),
);

const projectionStatus = z.object({
  name: z.enum(['order-history', 'search', 'analytics']),
  healthy: z.boolean(),
  rebuilding: z
    .boolean()
    .describe("Replaying what its store lost from the store's checkpoint: incomplete until false"),
  reachable: z.boolean(),
  error: z.string().optional(),
  lagEvents: z
    .number()
    .int()
    .nullable()
    .describe('Null (unknown) while the projector is not consuming or Kafka has not answered it for 5 s'),
  lagSeconds: z.number().nullable(),
  lastEventAt: z.string().nullable(),
  lagMeasuredAt: z.string().nullable().describe('When the projector last measured its lag against Kafka'),
  applied: z
    .number()
    .int()
    .nullable()
    .describe('Events its projector applied since it started; two samples give its throughput'),
  deadLettered: z.number().int().nullable(),
  parkedAggregates: z.number().int().nullable(),
  partitions: z.array(
    z.object({
      topic: z.string(),
      partition: z.number().int(),
      lagEvents: z.number().int(),
      lagSeconds: z.number(),
      lastEventAt: z.string().nullable(),
    }),
  ),
  version: z
    .number()
    .int()
    .nullable()
    .describe('The version its projector writes into (it follows a switch within a second or so)'),
  liveVersion: z.number().int().nullable().describe('The version of the read model that reads go to'),
  versions: z
    .array(
      z.object({
        version: z.number().int(),
        state: z.enum(VERSION_STATES),
        groupId: z.string(),
        createdAt: z.string(),
        until: z.string().nullable().describe('A point-in-time version holds the events up to this instant'),
        switchedAt: z.string().nullable(),
        progress: z
          .object({
            applied: z.number().int(),
            total: z.number().int(),
            eventsPerSecond: z.number(),
            etaSeconds: z.number().nullable(),
            partitions: z.array(
              z.object({
                topic: z.string(),
                partition: z.number().int(),
                position: z.number().int(),
                end: z.number().int(),
              }),
            ),
            updatedAt: z.string(),
          })
          .nullable()
          .describe('Rebuild progress, as the rebuilding process last recorded it'),
        note: z.string().nullable(),
      }),
    )
    .nullable()
    .describe('Every version of the read model (null while its store does not answer)'),
  checkedAt: z.string(),
});

const outboxStatus = z
  .object({
    known: z.boolean().describe('Whether the relay answered and had counted its backlog within the last 5 s'),
    error: z.string().optional(),
    backlog: z
      .number()
      .int()
      .nullable()
      .describe(
        'Events committed but not yet published to Kafka: behind every projection; null when unknown',
      ),
    oldestUnpublishedAt: z.string().nullable(),
    oldestAgeSeconds: z.number().nullable(),
    quarantined: z
      .number()
      .int()
      .nullable()
      .describe(
        'Rows the relay could not publish and set aside with the later events of their aggregates (`cqrs outbox list`): behind every projection until released; null when unknown',
      ),
    countedAt: z.string().nullable(),
    checkedAt: z.string(),
  })
  .describe('The outbox: what commands committed that no projection can have seen yet');

export const projectionsResponse = z.object({ projections: z.array(projectionStatus), outbox: outboxStatus });

export { problemResponse } from '@cqrs-shop/http';
