/**
 * The convergence checker: compares the MySQL write model with the order-history (MongoDB),
 * search (Elasticsearch) and analytics (Redis) read models and reports every difference.
 * `cqrs check convergence` prints the report ({@link formatSummary}); tests call
 * {@link checkConvergence}.
 */
export { checkConvergence } from './check.js';
export type { ConvergenceOptions, ConvergenceSources } from './check.js';
export { READ_MODELS } from './differences.js';
export type { AggregateKey, Difference, DifferenceKind, ReadModelName } from './differences.js';
export type { ConvergenceReport, ReadModelReport } from './report.js';
export { DEFAULT_PLACEMENT_TOLERANCE_MS } from './placement.js';
export { formatSummary } from './summary.js';
