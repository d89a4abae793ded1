import { DomainError } from './errors.js';

/** Largest value of the write model's INT columns (stock, quantity). */
export const MAX_INT = 2_147_483_647;

/** Trimmed text of 1 to `maxLength` characters (the column's limit), or an `invalid-value` error. */
export function requireText(field: string, value: string, maxLength: number): string {
  const text = value.trim();
  if (text === '') throw DomainError.invalidValue(field, 'must not be empty');
  // Counted in code points, as MySQL counts characters, not in UTF-16 units.
  if (Array.from(text).length > maxLength) {
    throw DomainError.invalidValue(field, `must be at most ${maxLength} characters`);
  }
  return text;
}

/** Trimmed text of at most `maxLength` characters, or null when it is missing or blank. */
export function optionalText(
  field: string,
  value: string | null | undefined,
  maxLength: number,
): string | null {
  const text = value?.trim() ?? '';
  return text === '' ? null : requireText(field, text, maxLength);
}

/** A whole number from `min` to `max`, or an `invalid-value` error. */
export function requireInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw DomainError.invalidValue(field, `must be a whole number ${range} (got ${value})`);
  }
  return value;
}

/**
 * The largest amount of money the shop handles, in minor units: 10^15 (ten trillion euros).
 * Far below 2^53, so prices, line totals and order totals stay exact integers in JavaScript,
 * in MySQL's BIGINT and in Avro's long as avsc reads it.
 */
export const MAX_CENTS = 1_000_000_000_000_000;

/** An amount in minor units from 0 to {@link MAX_CENTS}. */
export function requireCents(field: string, value: number): number {
  return requireInteger(field, value, 0, MAX_CENTS);
}
