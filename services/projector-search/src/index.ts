/** What the `cqrs` CLI needs to rebuild this read model: its projection and its versions. */
export { SEARCH_PROJECTION, searchTargets } from './targets.js';
