/**
 * The `cqrs` operator command (cli.ts): the projections' versions, the outbox quarantine, local
 * tokens and the convergence check; create-topics.ts creates the suite's topics. Their parts are
 * exported for tests.
 */
export { CHECK_EXIT, EXIT, PROJECTION_NAMES, UsageError, parseArgs } from './args.js';
export type { Command, ProjectionName } from './args.js';
export { formatOutbox } from './commands.js';
export { formatQuarantine } from './outbox.js';
export { formatDuration, jsonSink, partitionLine, plainSink, summaryLine, terminalSink } from './progress.js';
export type { ProgressSink } from './progress.js';
export { loadCreateTopicsConfig, suiteTopics, topicsSection } from './topics.js';
export { loadCliConfig } from './read-models.js';
