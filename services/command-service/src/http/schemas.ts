import { z } from 'zod';
import { DEFAULT_SALES_CHANNEL, MAX_CENTS, SALES_CHANNELS } from '../domain/index.js';

/**
 * Request and response bodies of the command API. The same schemas validate requests and
 * generate the OpenAPI document, so the two cannot disagree. Objects are strict: an unknown
 * field is an error, not silently ignored.
 */
const id = z.uuid({ error: 'must be a UUID' });
const cents = z.int({ error: 'must be a whole number of cents' }).min(0).max(MAX_CENTS);

// Text the stores downstream cannot all hold, refused here rather than found three hops later
// (PostgreSQL, under the local MongoDB stand-in, refuses NUL; a lone surrogate is no character
// at all): control characters (C0, DEL, C1), by a pattern the OpenAPI document carries, and
// halves of surrogate pairs on their own, which JSON Schema validators working on Unicode
// characters cannot even express (the document says so in words).
/* eslint-disable no-control-regex -- control characters are what these match */
/**
 * One line with at least one character that is not blank. The blanks are listed as JavaScript's
 * trim() knows them, so that the document's pattern and the validation agree in any engine.
 */
const SINGLE_LINE =
  /^[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff][^\u0000-\u001f\u007f-\u009f]*$/;
/** The same, with tab and line breaks allowed. */
const MULTI_LINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/;
/* eslint-enable no-control-regex */
/** With the `u` flag a well-formed pair is one astral character: only a lone half is a Cs. */
const LONE_SURROGATE = /\p{Cs}/u;
const NOT_TEXT = 'must not contain control characters or unpaired surrogates';
const NOT_A_NAME = 'must not be blank or contain control characters or unpaired surrogates';

/** `base`, held to text every store holds. */
const storable = (base: z.ZodString, pattern: RegExp, message = NOT_TEXT) =>
  base
    .regex(pattern, message)
    .refine((value) => !LONE_SURROGATE.test(value), message)
    .meta({ description: 'Unicode text without control characters (and no unpaired surrogates).' });

/** Blanks around it are dropped, after the checks: what the document allows is what is taken. */
const name = storable(z.string().max(200), SINGLE_LINE, NOT_A_NAME).trim();

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The domain checks the same rule (and that "given family" fits); this reports it with the other fields. */
export const registerCustomerBody = z
  .strictObject({
    name: name
      .optional()
      .describe(
        'The display name; may be left out when givenName and familyName are both given, and is then "givenName familyName".',
      ),
    givenName: name.optional().describe('The given (first) name.'),
    familyName: name.optional().describe('The family (last) name.'),
    email: z.email({ error: 'must be an email address' }).max(320),
  })
  .refine(
    (body) => body.name !== undefined || (body.givenName !== undefined && body.familyName !== undefined),
    {
      path: ['name'],
      message: 'is required unless givenName and familyName are both given',
      // Also when other fields are invalid, so that a body missing everything hears about the name too.
      when: (payload) => isObject(payload.value),
    },
  )
  // What the refinement says, in the OpenAPI document.
  .meta({ anyOf: [{ required: ['name'] }, { required: ['givenName', 'familyName'] }] });

export const addProductBody = z.strictObject({
  sku: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, dot, underscore and hyphen'),
  name,
  description: storable(z.string().max(5_000), MULTI_LINE).optional(),
  priceCents: cents,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  stock: z.int({ error: 'must be a whole number' }).min(0).max(1_000_000_000),
});

export const changePriceBody = z.strictObject({ priceCents: cents });

export const restockBody = z.strictObject({
  quantity: z.int({ error: 'must be a whole number' }).min(1).max(1_000_000_000),
});

export const placeOrderBody = z.strictObject({
  customerId: id,
  items: z
    .array(
      z.strictObject({
        productId: id,
        quantity: z.int({ error: 'must be a whole number' }).min(1).max(10_000),
      }),
    )
    .min(1, 'must list at least one item')
    .max(100),
  channel: z
    .enum(SALES_CHANNELS, { error: `must be one of ${SALES_CHANNELS.join(', ')}` })
    .optional()
    .describe(`Where the order was placed; ${DEFAULT_SALES_CHANNEL} when left out.`),
});

export const emptyBody = z.strictObject({});

/**
 * Free-form request headers kept with a command, and the most characters each may have: what
 * its column holds (a longer one used to fail the command with a server error).
 */
export const COMMAND_HEADER_LIMITS = {
  'Idempotency-Key': 200,
  'X-Correlation-Id': 128,
} as const;

/** If-Match as the commands take it: the version the aggregate must have, quoted or not. */
export const IF_MATCH = /^(?:W\/)?"?(\d{1,10})"?$/;

/** What such a header may hold: visible ASCII. */
export const HEADER_VALUE = /^[\x21-\x7e]+$/;

export const idParam = id;

const consistencyToken = z
  .string()
  .describe('Pass as X-Consistency-Token to the query gateway to read this change.');
const version = z.int().min(1).describe("The aggregate's version after the command.");

export const customerResponse = z.object({ customerId: id, version, consistencyToken });
export const productResponse = z.object({ productId: id, version, consistencyToken });
export const placedOrderResponse = z.object({
  orderId: id,
  status: z.literal('PLACED'),
  totalCents: cents,
  currency: z.string(),
  version,
  consistencyToken,
});
export const orderResponse = z.object({
  orderId: id,
  status: z.enum(['PLACED', 'PAID', 'SHIPPED', 'CANCELLED']),
  version,
  consistencyToken,
});

export { problemResponse } from '@cqrs-shop/http';
