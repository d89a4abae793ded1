export { createLifecycle } from './lifecycle.js';
export type { Closer, Lifecycle } from './lifecycle.js';
export { EXIT_CONFIG, runService } from './run-service.js';
export type { ServiceDefinition } from './run-service.js';
