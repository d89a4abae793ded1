export { createHttpApp } from './app.js';
export type { HttpAppOptions, ReadinessCheck } from './app.js';
export {
  GENERIC_PROBLEMS,
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  problemResponse,
  problemType,
} from './problem.js';
export type { GenericProblemCode, ProblemBody } from './problem.js';
export { listen } from './server.js';
export type { RunningServer } from './server.js';
export { fieldErrors, parseInput } from './validation.js';
export type { FieldError } from './validation.js';
export { TimeoutError, withTimeout } from './timeout.js';
