/** What the `cqrs` CLI needs to rebuild this read model: its projection and its versions. */
export { ORDER_HISTORY_PROJECTION, orderHistoryTargets } from './targets.js';
