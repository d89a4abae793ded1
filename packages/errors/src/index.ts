/**
 * The suite's one error convention. Every error it throws on purpose is a {@link ShopError}: a
 * code from its area's closed list, written `<area>.<reason>` in kebab-case (`event.corrupt-body`,
 * `domain.insufficient-stock`), so that a program can switch over it; a message for people;
 * whether trying the same thing again later can help (`canRetry`); and what caused it.
 * {@link canRetry} is the one place that decides whether an error is worth retrying.
 */
export { ShopError } from './shop-error.js';
export type { ShopErrorOptions } from './shop-error.js';
export { canRetry, isTransientStoreError } from './retry.js';
