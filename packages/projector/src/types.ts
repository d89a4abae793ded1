import type { EventEnvelope, EventPayloads, EventType } from '@cqrs-shop/events';
import type { TargetCatalog } from '@cqrs-shop/read-models';

/** One event as a projection receives it: envelope (from the headers) and decoded payload. */
export type ProjectedEvent<T extends EventType = EventType> = {
  [K in T]: {
    readonly envelope: EventEnvelope & { readonly eventType: K };
    readonly payload: EventPayloads[K];
  };
}[T];

/** Why a projection refuses an event (a poison event); it parks the event and its aggregate. */
export interface ApplyRejection {
  readonly kind: string;
  readonly reason?: string;
  /** The event's aggregate version and the one the read model holds, when known. */
  readonly version?: number;
  readonly heldVersion?: number;
}

/** What applying one event did; `ignored`: the event does not concern this read model. */
export type ApplyOutcome = 'applied' | 'already-applied' | 'ignored' | ApplyRejection;

/** A read model as the runtime drives it. */
export interface Projection {
  /**
   * Applies one event durably (resolve only once the store has it), guarded by the aggregate's
   * version. Throw {@link StoreUnavailableError} when the store cannot be reached: the runtime
   * waits and retries without limit. Any other error is retried a few times, then parks the event.
   */
  apply(event: ProjectedEvent): Promise<ApplyOutcome>;
}

/**
 * The aggregates whose events are parked, kept in the read model's own store so that parking
 * survives restarts and moves with the read model.
 */
export interface ParkedAggregates {
  isParked(aggregateKey: string): Promise<boolean>;
  park(aggregateKey: string, reason: string): Promise<void>;
  unpark(aggregateKey: string): Promise<void>;
  list(): Promise<{ aggregateKey: string; reason: string }[]>;
}

/** The read model's store did not answer; retrying later can help. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly retriable = true;
}

/** One version of a read model, opened for writing. */
export interface ProjectionTarget {
  readonly projection: Projection;
  readonly parked: ParkedAggregates;
}

/** A read model's versions: their catalog (pointer and records), and how to write to one. */
export interface ProjectionTargets {
  readonly catalog: TargetCatalog;
  /** The version's writer; `catalog.create(version)` must have made its place first. */
  open(version: number): ProjectionTarget;
}
