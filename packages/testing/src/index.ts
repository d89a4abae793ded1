export { killStackServer, repoRoot, stackEnv, stackHome, startStackServer } from './stack.js';
export { uniqueName, waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
export { startService } from './process.js';
export type { ServiceProcess } from './process.js';
export { readTopics } from './kafka.js';
export type { ConsumedMessage } from './kafka.js';
export { createScratchDatabase } from './database.js';
export type { ScratchDatabase } from './database.js';
export {
  testEnvelope,
  testEventMessage,
  testEventMessageInSchema,
  testEventMessageInUnknownSchema,
} from './events.js';
export { SUITE_SERVICES, deleteTopics, dropIndices, startSuite } from './suite.js';
export type { HttpAnswer, ProjectorService, RunningSuite, SuiteService } from './suite.js';
export { MetricsSnapshot, parsePrometheusText, scrapeMetrics } from './metrics.js';
export type { MetricSample } from './metrics.js';
export { askTool, runCommand, toolPath } from './tools.js';
export type { CommandOutcome, RunOptions } from './tools.js';
export { TEST_AUDIENCE, TEST_ISSUER, TestIdentity, testIdentity } from './identity.js';
export type { TokenRequest } from './identity.js';
