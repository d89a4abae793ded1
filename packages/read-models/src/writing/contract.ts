import type { EventEnvelope, EventPayloads, EventType } from '@cqrs-shop/events';
import type { VersionCatalog } from '../versions.js';
import { ShopError } from '@cqrs-shop/errors';

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

/** Where a partition's events are applied up to: `next` is the first offset not applied yet. */
export interface Checkpoint {
  readonly topic: string;
  readonly partition: number;
  readonly next: number;
}

/**
 * A checkpoint to move from `from` (what the runtime knows the store holds; null for none) to
 * `next`. The store refuses the move when it holds something else: it lost data, or another
 * writer moved it.
 */
export interface CheckpointMove extends Checkpoint {
  readonly from: number | null;
}

/** One aggregate's events in a batch, oldest first; `key` is `<aggregate type>:<aggregate id>`. */
export interface AggregateEvents {
  readonly key: string;
  readonly events: readonly ProjectedEvent[];
}

/**
 * What folding one aggregate's events gave: the outcome of each event, in order, up to the first
 * one refused (`rejection` is that event's, at index `outcomes.length`). Events after a refused
 * one are not folded: they wait behind it.
 */
export interface AggregateFold {
  readonly outcomes: readonly Exclude<ApplyOutcome, ApplyRejection>[];
  readonly rejection?: ApplyRejection;
}

/** Why an aggregate's change was not written. */
export type Unwritten =
  /** Another writer changed the aggregate since it was read: read and fold again. */
  | { readonly kind: 'conflict' }
  /** The store refused the change; `permanent` when trying again cannot help (park it). */
  | { readonly kind: 'failed'; readonly error: Error; readonly permanent: boolean };

export interface WriteOutcome {
  /** Aggregates whose change was not written; every other one was. */
  readonly unwritten: ReadonlyMap<string, Unwritten>;
  /**
   * Whether the checkpoints were written. Only after every change was, and never when the store
   * held another checkpoint than the move's `from` (see `checkpointMoved`).
   */
  readonly checkpointed: boolean;
  /** The store's checkpoint was not the expected one: the runtime must read from the store's. */
  readonly checkpointMoved: boolean;
}

/** A batch read and folded by a projection, not written yet. */
export interface PreparedBatch {
  /** One fold per aggregate, in the order they were given. */
  readonly folds: readonly AggregateFold[];
  /**
   * Writes every aggregate's folded change (for a refused aggregate, what came before the refused
   * event) in as few requests as the store allows, then — only if all were written — moves the
   * checkpoints. Must resolve only once the store has it all durably.
   */
  write(checkpoints: readonly CheckpointMove[]): Promise<WriteOutcome>;
}

/**
 * A read model as the runtime drives it, a batch at a time: `prepare` reads what the batch's
 * aggregates hold and folds their events with the pure projection functions; the prepared
 * batch's `write` stores one change per aggregate, guarded by the version it was folded from.
 * Throw {@link StoreUnavailableError} (or any error `canRetry` of @cqrs-shop/errors accepts) when the store cannot
 * be reached: the runtime waits and retries without limit. Any other error is retried a few
 * times, aggregate by aggregate, and then parks the aggregate that keeps failing.
 */
export interface Projection {
  prepare(aggregates: readonly AggregateEvents[]): Promise<PreparedBatch>;
  /** The checkpoints the store holds, for the given topics. */
  checkpoints(topics: readonly string[]): Promise<Checkpoint[]>;
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
export class StoreUnavailableError extends ShopError<'read-model.store-unavailable'> {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super('read-model.store-unavailable', message, { canRetry: true, cause: options.cause });
  }
}

/** One version of a read model, opened for writing. */
export interface ProjectionVersion {
  readonly projection: Projection;
  readonly parked: ParkedAggregates;
}

/** A read model's versions: their catalog (pointer and records), and how to write to one. */
export interface ProjectionVersions {
  readonly catalog: VersionCatalog;
  /** The version's writer; `catalog.create(version)` must have made its place first. */
  open(version: number): ProjectionVersion;
}
