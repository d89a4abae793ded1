/**
 * The `cqrs` operator command (cli.ts): list, rebuild, switch, drop and collect the versions of
 * the projections; create-topics.ts creates the suite's topics. Their parts are exported for tests.
 */
export { EXIT, PROJECTION_NAMES, USAGE, UsageError, parseArgs } from './args.js';
export type { Command, ProjectionName } from './args.js';
export { formatOutbox } from './commands.js';
export { formatQuarantine } from './outbox.js';
export {
  bar,
  formatDuration,
  jsonSink,
  partitionLine,
  plainSink,
  summaryLine,
  terminalSink,
} from './progress.js';
export type { ProgressSink } from './progress.js';
export { suiteTopics, topicsSection } from './topics.js';
