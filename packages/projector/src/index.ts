export { DEAD_LETTER_HEADERS, Projector } from './projector.js';
export type { PartitionLag, ProjectorOptions, ProjectorStatus, RedriveResult } from './projector.js';
export { StoreUnavailableError } from './types.js';
export type { ApplyOutcome, ApplyRejection, ParkedAggregates, ProjectedEvent, Projection } from './types.js';
export { projectionRoutes, projectorSection, startProjectorService } from './service.js';
export type { ProjectorServiceOptions } from './service.js';
