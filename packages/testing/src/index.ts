export { repoRoot, stackEnv, stackHome } from './stack.js';
export { uniqueName, waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
