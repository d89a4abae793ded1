/**
 * The suite's services in one table. Everything that starts, finds, deploys or checks a service
 * (the services' own settings, `scripts/services`, the test harness, the benchmarks, the `cqrs`
 * CLI, the deployment checks) reads it from here, so adding or renaming one is one entry.
 */
export {
  HEALTH_PATHS,
  PROJECTION_NAMES,
  PROJECTORS,
  SERVICES,
  SERVICE_ENTRY_POINT,
  localUrl,
  projectorOf,
  service,
} from './services.js';
export type {
  PortSetting,
  ProjectionEntry,
  ProjectionName,
  ProjectorEntry,
  ProjectorName,
  ServiceEntry,
  ServiceName,
} from './services.js';
export { serviceUrlsSection } from './urls.js';
