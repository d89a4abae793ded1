// What the checker reports: differences between the write model and a read model, found by pure
// comparison of plain values.

/** The read models the checker compares with the write model. */
export const READ_MODELS = ['order-history', 'search', 'analytics'] as const;

export type ReadModelName = (typeof READ_MODELS)[number];

export function isReadModelName(name: string): name is ReadModelName {
  return (READ_MODELS as readonly string[]).includes(name);
}

/** What is compared: `order:<id>`, `product:<id>` or `counter:<name>`. */
export type AggregateKey = `order:${string}` | `product:${string}` | `counter:${string}`;

/**
 * - `field`: both sides have the aggregate, but a field differs;
 * - `missing`: the write model has the aggregate, the read model does not (`expected` is the
 *   write model's version, `actual` null);
 * - `extra`: the read model has an aggregate the write model does not (`expected` null,
 *   `actual` the version the read model holds).
 */
export type DifferenceKind = 'field' | 'missing' | 'extra';

export interface Difference {
  readonly kind: DifferenceKind;
  readonly readModel: ReadModelName;
  readonly aggregate: AggregateKey;
  /** A dotted path (`customer.email`, `lines[1].quantity`); `version` for missing and extra. */
  readonly field: string;
  /** What the write model implies. */
  readonly expected: unknown;
  /** What the read model holds; `undefined` (left out of JSON) when the field is absent. */
  readonly actual: unknown;
}

export const orderKey = (orderId: string): AggregateKey => `order:${orderId}`;
export const productKey = (productId: string): AggregateKey => `product:${productId}`;
export const counterKey = (name: string): AggregateKey => `counter:${name}`;

/** A field that differs, without saying where yet. */
export interface FieldDifference {
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/**
 * The leaves in which `actual` differs from `expected`, walking only what `expected` has: the
 * read model may keep fields the write model cannot tell (times of status changes, say), and
 * those are not the checker's to judge. Arrays of different lengths differ as a whole.
 */
export function diffValues(expected: unknown, actual: unknown, path = ''): FieldDifference[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return [{ field: path, expected, actual }];
    return expected.flatMap((item, index) => diffValues(item, actual[index], `${path}[${index}]`));
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return [{ field: path, expected, actual }];
    return Object.entries(expected).flatMap(([key, value]) =>
      diffValues(value, actual[key], path === '' ? key : `${path}.${key}`),
    );
  }
  return Object.is(expected, actual) ? [] : [{ field: path, expected, actual }];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field differences of one aggregate, placed in a read model. */
export function fieldDifferences(
  readModel: ReadModelName,
  aggregate: AggregateKey,
  expected: object,
  actual: unknown,
): Difference[] {
  return diffValues(expected, actual).map(({ field, ...values }) => ({
    kind: 'field',
    readModel,
    aggregate,
    // An empty path means the stored value is not a document at all (unreadable JSON, say).
    field: field === '' ? '(document)' : field,
    ...values,
  }));
}

/** The write model has the aggregate at `version`; the read model has nothing. */
export function missingDifference(
  readModel: ReadModelName,
  aggregate: AggregateKey,
  version: number,
): Difference {
  return { kind: 'missing', readModel, aggregate, field: 'version', expected: version, actual: null };
}

/** The read model has the aggregate (at `version`, when it keeps one); the write model does not. */
export function extraDifference(
  readModel: ReadModelName,
  aggregate: AggregateKey,
  version: unknown,
): Difference {
  return { kind: 'extra', readModel, aggregate, field: 'version', expected: null, actual: version ?? null };
}
