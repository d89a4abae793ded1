import type { CheckpointMove } from '@cqrs-shop/read-models';

/** `topic:partition`, the key of a partition in maps. */
export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/**
 * Where this member stands on one partition it was given: what the store's checkpoint says, what
 * has been applied beyond it, and what Kafka has been told.
 *
 * The checkpoint may trail what was applied by up to `intervalMs`, so that a store whose
 * checkpoint costs a request of its own (Elasticsearch, MongoDB) writes one a second rather than
 * one per batch. It never goes ahead of the data: it only ever names offsets whose changes the
 * store has acknowledged. A crash replays what lay between, which the version guards absorb.
 * Kafka is told only offsets the store's checkpoint has reached, so that a committed offset
 * beyond the checkpoint still means the store lost data.
 */
export class PartitionCursor {
  /** The checkpoint the store holds: the next offset to apply; null when it holds none. */
  stored: number | null;
  /** The next offset to apply: the stored checkpoint, or beyond it by what was applied since. */
  applied: number | null;
  /** The offset last sought to; a batch starting after it means nothing lies between. */
  sought?: number;
  /** A checkpoint reached but not committed to Kafka yet. */
  uncommitted?: number | undefined;
  private checkpointedAt: number;
  /** Batches and checkpoint writes of the partition, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
    stored: number | null,
    private readonly intervalMs: number,
    now: number,
  ) {
    this.stored = stored;
    this.applied = stored;
    this.checkpointedAt = now;
  }

  /** Runs `work` after everything queued on this partition before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once everything queued so far has finished. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /** The checkpoint move to write with a batch ending before `next`, if one is due at `now`. */
  moveWith(next: number, now: number): CheckpointMove | undefined {
    if (now - this.checkpointedAt < this.intervalMs) return undefined;
    return { topic: this.topic, partition: this.partition, from: this.stored, next };
  }

  /** The checkpoint move for what was applied and is not checkpointed yet (due at `now`, or `always`). */
  pendingMove(now: number, always = false): CheckpointMove | undefined {
    if (this.applied === null || this.applied === this.stored) return undefined;
    if (!always && now - this.checkpointedAt < this.intervalMs) return undefined;
    return { topic: this.topic, partition: this.partition, from: this.stored, next: this.applied };
  }

  /** A batch ending before `next` was applied; `move` if its checkpoint was written with it. */
  advanced(next: number, move: CheckpointMove | undefined, now: number): void {
    this.applied = next;
    if (move) this.checkpointed(move.next, now);
  }

  /** The store's checkpoint now says `next`. */
  checkpointed(next: number, now: number): void {
    this.stored = next;
    this.uncommitted = next;
    this.checkpointedAt = now;
  }

  /** The consumer was sent to `offset` (the store's checkpoint, forward or back). */
  soughtTo(offset: number): void {
    this.sought = offset;
    this.applied = offset;
    // Committed with the next housekeeping even if no batch follows (the store is at the end);
    // never beyond the store's checkpoint.
    if (this.stored === null || offset <= this.stored) this.uncommitted = offset;
  }
}
