export { createLifecycle } from './lifecycle.js';
export type { Closer, Lifecycle } from './lifecycle.js';
export { EXIT_CONFIG, runService, runTask } from './run-service.js';
export type { ServiceDefinition, TaskDefinition } from './run-service.js';
export { startSweeper, sweepRound } from './sweeper.js';
export type { Sweeper, SweeperOptions } from './sweeper.js';
