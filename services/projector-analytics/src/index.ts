/** What the `cqrs` CLI needs to rebuild this read model: its projection and its versions. */
export { ANALYTICS_PROJECTION, analyticsTargets } from './targets.js';
