// Extensionless: Jest loads global setup without the suite's module name mapping.
import { stackEnv } from './stack';

/**
 * Jest global setup for integration tests: puts the local stack's connection settings into
 * the environment the test workers inherit. `npm test` starts the stack before Jest runs.
 */
export default function globalSetup(): void {
  Object.assign(process.env, stackEnv());
}
