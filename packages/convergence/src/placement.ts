// Placement times: which one the read models hold, and what the write model can say about it.
import { hourBucket } from '@cqrs-shop/projections';
import type { Placement } from './write-model.js';

/**
 * How far an order's OrderPlaced `occurredAt` may lie from its `placed_at` when the outbox no
 * longer holds the event: the command's run time (lock waits included) plus clock skew between
 * the command service and the database. @default 5 minutes
 */
export const DEFAULT_PLACEMENT_TOLERANCE_MS = 5 * 60_000;

const HOUR_MS = 3_600_000;
const SQL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/**
 * A MySQL `DATETIME(6)` formatted as `%Y-%m-%dT%H:%i:%s.%f` (UTC, as the write side stores
 * times), as `Date#toISOString()` writes it: microseconds cut to milliseconds, which loses
 * nothing for times that came from a JavaScript `Date`.
 *
 * @throws {RangeError} when `text` is not in that format.
 */
export function sqlTimeToIso(text: string): string {
  if (!SQL_TIME.test(text)) throw new RangeError(`not a DATETIME(6) value: ${JSON.stringify(text)}`);
  return `${text.slice(0, 23)}Z`;
}

/** The read models' `placedAt` when the write model knows it exactly; otherwise null. */
export function exactPlacedAt(placement: Placement): string | null {
  return placement.eventOccurredAt;
}

/** Every UTC hour (`YYYY-MM-DDTHH`) touched by `[instant − toleranceMs, instant + toleranceMs]`. */
export function hoursAround(instant: string, toleranceMs: number): string[] {
  const time = Date.parse(instant);
  if (Number.isNaN(time)) throw new RangeError(`not a time: ${JSON.stringify(instant)}`);
  const first = Math.floor((time - toleranceMs) / HOUR_MS);
  const last = Math.floor((time + toleranceMs) / HOUR_MS);
  const hours: string[] = [];
  for (let hour = first; hour <= last; hour++) hours.push(hourBucket(new Date(hour * HOUR_MS).toISOString()));
  return hours;
}

/**
 * The hour the analytics model should count the order in (`placedHour`): the event's hour when
 * the outbox still holds it; otherwise the stored hour if `placed_at` allows it (within the
 * tolerance, so a correct model is never reported for an order placed near the top of an hour);
 * otherwise the hour of `placed_at`.
 */
export function expectedPlacedHour(
  placement: Placement,
  storedHour: string | undefined,
  toleranceMs: number,
): string {
  if (placement.eventOccurredAt !== null) return hourBucket(placement.eventOccurredAt);
  if (storedHour !== undefined && hoursAround(placement.recordedAt, toleranceMs).includes(storedHour))
    return storedHour;
  return hourBucket(placement.recordedAt);
}
