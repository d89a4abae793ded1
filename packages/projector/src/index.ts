export { DEAD_LETTER_HEADERS, DEAD_LETTER_RETENTION_MS, Projector } from './projector.js';
export type { PartitionLag, ProjectorOptions, ProjectorStatus, RedriveResult } from './projector.js';
export { partitionKey } from './partition-cursor.js';
export {
  projectionRoutes,
  projectorSection,
  projectorServiceSections,
  startProjectorService,
} from './service.js';
export type { ProjectorServiceOptions } from './service.js';
export { LiveVersion, ensureLiveVersion } from './live-version.js';
export { assessHistory, fetchHistoryFacts } from './history.js';
export type { HistoryAssessment, TopicHistoryFacts } from './history.js';
export {
  RebuildRefusedError,
  collectGarbage,
  dropVersion,
  groupForVersion,
  rebuildProjection,
  switchLiveVersion,
} from './rebuild.js';
export type {
  CollectedVersion,
  RebuildOptions,
  RebuildPhase,
  RebuildReport,
  RebuildResult,
} from './rebuild.js';
