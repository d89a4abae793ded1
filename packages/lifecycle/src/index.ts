export { createLifecycle } from './lifecycle.js';
export type { Closer, Lifecycle } from './lifecycle.js';
export { EXIT_CONFIG, runService, runTask } from './run-service.js';
export type { ServiceDefinition, TaskDefinition } from './run-service.js';
