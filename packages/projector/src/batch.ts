// The pure part of applying a batch: which events go to the projection, which wait behind a
// parked aggregate, and how a projection's answer turns into outcomes and dead letters.
import type { ApplyRejection, AggregateEvents, AggregateFold, ProjectedEvent } from '@cqrs-shop/read-models';

/** An event as it came off a partition: decoded, or the reason it could not be. */
export type Decoded =
  | { readonly event: ProjectedEvent; readonly aggregateKey: string }
  | { readonly error: string; readonly aggregateKey: string };

/** What became of one event: written, not needed (already there, or not for this model), parked, or past `until`. */
export type EventOutcome = 'applied' | 'skipped' | 'parked' | 'beyond_until';

/** One aggregate's events of a batch, with their places in the batch. */
export interface AggregateGroup {
  readonly key: string;
  readonly indexes: readonly number[];
  readonly events: readonly ProjectedEvent[];
}

/** An event to dead-letter: its place in the batch and why. */
export interface Letter {
  readonly index: number;
  readonly reason: string;
}

export const PARKED_BEHIND = 'parked behind an earlier event of the same aggregate';

export function describeRejection(rejection: ApplyRejection): string {
  const versions =
    rejection.version === undefined
      ? ''
      : ` (event version ${rejection.version}, read model at ${rejection.heldVersion ?? 0})`;
  return `${rejection.kind}${rejection.reason === undefined ? '' : `: ${rejection.reason}`}${versions}`;
}

/**
 * Sorts a batch's events: undecodable ones are dead-lettered and park their aggregate, events
 * after `untilMs` are passed over, events of a parked aggregate wait behind it (dead-lettered);
 * the rest are grouped by aggregate, each group in offset order, groups in first-seen order.
 */
export function sortBatch(
  decoded: readonly Decoded[],
  isParked: (aggregateKey: string) => boolean,
  untilMs?: number,
): {
  outcomes: (EventOutcome | undefined)[];
  letters: Letter[];
  parks: Map<string, string>;
  groups: AggregateGroup[];
} {
  const outcomes: (EventOutcome | undefined)[] = new Array<EventOutcome | undefined>(decoded.length);
  const letters: Letter[] = [];
  const parks = new Map<string, string>();
  const groups = new Map<string, { key: string; indexes: number[]; events: ProjectedEvent[] }>();
  decoded.forEach((item, index) => {
    const key = item.aggregateKey;
    if ('error' in item) {
      const reason = parks.has(key) || isParked(key) ? PARKED_BEHIND : `cannot be decoded: ${item.error}`;
      letters.push({ index, reason });
      if (!parks.has(key)) parks.set(key, reason);
      outcomes[index] = 'parked';
      return;
    }
    if (untilMs !== undefined && Date.parse(item.event.envelope.occurredAt) > untilMs) {
      outcomes[index] = 'beyond_until';
      return;
    }
    if (parks.has(key) || isParked(key)) {
      letters.push({ index, reason: PARKED_BEHIND });
      outcomes[index] = 'parked';
      return;
    }
    const group = groups.get(key) ?? { key, indexes: [], events: [] };
    group.indexes.push(index);
    group.events.push(item.event);
    groups.set(key, group);
  });
  return { outcomes, letters, parks, groups: [...groups.values()] };
}

/** The aggregates of groups, as a projection takes them. */
export const toAggregateEvents = (groups: readonly AggregateGroup[]): AggregateEvents[] =>
  groups.map(({ key, events }) => ({ key, events }));

/**
 * A fold's outcomes as event outcomes, and the dead letters of a refused event and the events
 * behind it (with the reason to park the aggregate for).
 */
export function readFold(
  group: AggregateGroup,
  fold: AggregateFold,
): { outcomes: { index: number; outcome: EventOutcome }[]; letters: Letter[]; parkReason?: string } {
  const outcomes = fold.outcomes.map((outcome, i) => ({
    index: group.indexes[i] ?? -1,
    outcome: outcome === 'applied' ? ('applied' as const) : ('skipped' as const),
  }));
  if (fold.rejection === undefined) {
    if (fold.outcomes.length !== group.events.length)
      throw new Error(
        `the projection folded ${fold.outcomes.length} of ${group.events.length} events of ${group.key} without saying why`,
      );
    return { outcomes, letters: [] };
  }
  const reason = describeRejection(fold.rejection);
  return { outcomes, ...parkRest(group, fold.outcomes.length, reason), parkReason: reason };
}

/** Dead letters for a group's events from `from` on: the first for `reason`, the rest behind it. */
export function parkRest(group: AggregateGroup, from: number, reason: string): { letters: Letter[] } {
  return {
    letters: group.indexes
      .slice(from)
      .map((index, i) => ({ index, reason: i === 0 ? reason : PARKED_BEHIND })),
  };
}
