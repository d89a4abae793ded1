import type { AggregateType, EventType } from '@cqrs-shop/events';

import type { EnvelopeOf } from './events.js';

/** What the read model and the event say about where the event belongs. */
interface RejectedEvent {
  readonly aggregateType: AggregateType;
  readonly aggregateId: string;
  readonly eventType: EventType;
  /** The event's aggregate version. */
  readonly version: number;
  /** The aggregate version the read model holds: 0 when it holds nothing of the aggregate yet. */
  readonly heldVersion: number;
}

/**
 * The event needs an earlier event of its aggregate that the read model has not applied: a
 * version gap, or a change to an aggregate the read model holds nothing of. Within one topic an
 * aggregate's events arrive in order, so this means an earlier event was lost or parked; retrying
 * will not help, so the runtime parks the event and makes it visible.
 */
export interface MissingPredecessor extends RejectedEvent {
  readonly kind: 'missing-predecessor';
}

/**
 * The event contradicts the aggregate it claims to belong to (a second creation event, a payload
 * naming another aggregate, a status transition the write side never allows). A poison message.
 */
export interface InvalidEvent extends RejectedEvent {
  readonly kind: 'invalid-event';
  /** What is wrong, for the parking record. */
  readonly reason: string;
}

/** Why a read model cannot apply an event; the runtime parks it rather than retrying. */
export type Rejection = MissingPredecessor | InvalidEvent;

const REJECTION_KINDS: ReadonlySet<unknown> = new Set<Rejection['kind']>([
  'missing-predecessor',
  'invalid-event',
]);

/** Whether an `apply…` result is a {@link Rejection} rather than a change or `undefined`. */
export function isRejection(result: object | undefined): result is Rejection {
  return result !== undefined && REJECTION_KINDS.has((result as { kind?: unknown }).kind);
}

/**
 * What an `apply…` function returns: the changed read-model state; `undefined` when the event was
 * applied before (a redelivery or replay: nothing to write); or why it cannot be applied.
 */
export type ApplyResult<T> = T | undefined | Rejection;

/**
 * The state a read model holds of an event's aggregate, once {@link admit} has let a change (not a
 * creation) through: admit() only does that when something is held.
 */
export function heldState<S>(held: S | undefined, envelope: EnvelopeOf<EventType>): S {
  if (held === undefined) {
    throw new Error(
      `${envelope.eventType} ${envelope.aggregateId} v${envelope.aggregateVersion} was admitted without a held state`,
    );
  }
  return held;
}

/** How an event relates to the version of its aggregate that a read model holds. */
export type Admission = 'apply' | 'already-applied' | Rejection;

/**
 * Decides whether a read model applies an event. Versions are consecutive per aggregate, so only
 * `heldVersion + 1` applies: anything at or below the held version was applied before (a
 * redelivery or replay), and anything above it would skip an event, leaving a document that
 * claims a version whose changes it lacks — which a later redelivery could then never repair.
 *
 * @param heldVersion the version the read model holds, `undefined` when it holds nothing
 * @param rules.creates whether this event type starts an aggregate (version 1)
 * @param rules.payloadAggregateId the aggregate id the payload names, checked against the envelope
 */
export function admit(
  heldVersion: number | undefined,
  envelope: EnvelopeOf<EventType>,
  rules: { readonly creates: boolean; readonly payloadAggregateId: string },
): Admission {
  const { aggregateType, aggregateId, eventType, aggregateVersion: version } = envelope;
  const held = heldVersion ?? 0;
  if (rules.payloadAggregateId !== aggregateId) {
    return invalidEvent(
      envelope,
      heldVersion,
      `the payload names ${aggregateType} ${rules.payloadAggregateId}, the envelope ${aggregateId}`,
    );
  }
  if (version <= held) return 'already-applied';
  if (version > held + 1) {
    return { kind: 'missing-predecessor', aggregateType, aggregateId, eventType, version, heldVersion: held };
  }
  if (heldVersion === undefined && !rules.creates) {
    return invalidEvent(
      envelope,
      heldVersion,
      `${eventType} cannot be the first event of its ${aggregateType}`,
    );
  }
  if (heldVersion !== undefined && rules.creates) {
    return invalidEvent(
      envelope,
      heldVersion,
      `${eventType} can only be the first event of its ${aggregateType}, but this is version ${version}`,
    );
  }
  return 'apply';
}

/** An {@link InvalidEvent} for `envelope`, held at `heldVersion` (undefined when nothing is held). */
export function invalidEvent(
  envelope: EnvelopeOf<EventType>,
  heldVersion: number | undefined,
  reason: string,
): InvalidEvent {
  const { aggregateType, aggregateId, eventType, aggregateVersion: version } = envelope;
  return {
    kind: 'invalid-event',
    aggregateType,
    aggregateId,
    eventType,
    version,
    heldVersion: heldVersion ?? 0,
    reason,
  };
}

/**
 * What folding one aggregate's events gave: the state after the last event applied, the outcome
 * of each event up to the first one refused, and why that one was refused.
 */
export interface Fold<S> {
  readonly state: S | undefined;
  readonly outcomes: readonly ('applied' | 'already-applied')[];
  readonly rejection?: Rejection;
}

/**
 * Applies an aggregate's events in order to the state held of it, with an `apply…` function:
 * the batch form of applying them one by one, so that the runtime writes one change for many
 * events. Stops at the first event refused; the events after it are not folded.
 */
export function foldEvents<S extends object, E>(
  held: S | undefined,
  events: readonly E[],
  apply: (state: S | undefined, event: E) => ApplyResult<S>,
): Fold<S> {
  let state = held;
  const outcomes: ('applied' | 'already-applied')[] = [];
  for (const event of events) {
    const next = apply(state, event);
    if (next === undefined) {
      outcomes.push('already-applied');
      continue;
    }
    if (isRejection(next)) return { state, outcomes, rejection: next };
    state = next;
    outcomes.push('applied');
  }
  return { state, outcomes };
}
