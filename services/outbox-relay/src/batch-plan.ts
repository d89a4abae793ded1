import type { QuarantineMove } from '@cqrs-shop/outbox';
import type { OutboxRow } from '@cqrs-shop/outbox';

/** A row made ready to publish (its headers), or the reason it cannot be published as it is. */
export type Prepared = { readonly headers: Record<string, string> } | { readonly reason: string };

/** What to do with the rows the outbox gave, in their order. */
export interface BatchPlan {
  /** Rows to publish now, with their headers, within the byte limit. */
  readonly send: readonly { readonly row: OutboxRow; readonly headers: Record<string, string> }[];
  /** Rows to take out of the outbox: bad ones, and the later rows of their aggregates. */
  readonly quarantine: readonly QuarantineMove[];
  /** The bytes of `send`, as {@link messageBytes} counts them. */
  readonly bytes: number;
}

/**
 * The bytes a row takes in a Kafka record batch, near enough to keep a batch under the broker's
 * limit: key, value, headers, and the record's own framing.
 */
export function messageBytes(row: OutboxRow, headers: Record<string, string>): number {
  let bytes = 64 + row.aggregateId.length + row.payload.length;
  for (const [name, value] of Object.entries(headers)) bytes += 4 + name.length + value.length;
  return bytes;
}

/**
 * Splits the oldest pending rows into the ones to publish and the ones to quarantine. A row
 * that cannot be published is quarantined with its reason, and every later row of its
 * aggregate is held behind it (as is a row whose aggregate already has one quarantined), so
 * that an aggregate's events still reach Kafka in version order while the others flow. Rows
 * are taken in order until `maxBytes`; the first one always goes, whatever its size.
 */
export function planBatch(
  rows: readonly OutboxRow[],
  maxBytes: number,
  prepare: (row: OutboxRow) => Prepared,
): BatchPlan {
  const send: { row: OutboxRow; headers: Record<string, string> }[] = [];
  const quarantine: QuarantineMove[] = [];
  const blockedBehind = new Map<string, number>();
  let bytes = 0;
  for (const row of rows) {
    const aggregate = `${row.aggregateType}:${row.aggregateId}`;
    const heldBehind = row.heldBehind ?? blockedBehind.get(aggregate);
    if (heldBehind !== undefined) {
      quarantine.push({ position: row.position, heldBehind });
      continue;
    }
    const prepared = prepare(row);
    if ('reason' in prepared) {
      quarantine.push({ position: row.position, reason: prepared.reason });
      blockedBehind.set(aggregate, row.position);
      continue;
    }
    const size = messageBytes(row, prepared.headers);
    if (send.length > 0 && bytes + size > maxBytes) break;
    send.push({ row, headers: prepared.headers });
    bytes += size;
  }
  return { send, quarantine, bytes };
}
