import type { Admin } from 'kafkajs';
import { partitionKey } from './partition-cursor.js';

/** How far behind one partition is. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Events on the partition not applied yet: its end minus the next offset to apply. */
  readonly lagEvents: number;
  /**
   * While events are waiting, how long ago the last applied event happened (the waiting ones
   * happened after it, so this bounds how far the read model is behind); 0 when caught up.
   */
  readonly lagSeconds: number;
  readonly lastEventAt: string | null;
  /** The next offset to apply, and the partition's first and end offsets. */
  readonly position: number;
  readonly start: number;
  readonly end: number;
  /**
   * Set while the partition is replayed because the store had lost what it had applied: the
   * offset up to which the read model is known to be incomplete.
   */
  readonly recoveringUntil?: number;
}

/**
 * Lag per partition. Partitions this member applies report its own positions as it goes;
 * the others (and all of them before the first batch) are measured from the group's committed
 * offsets, so that a projector stuck on an unavailable store still says how far behind it is.
 */
export class LagTracker {
  private readonly lag = new Map<string, PartitionLag>();
  /** Partitions whose position this member knows better than the committed offsets. */
  private readonly owned = new Set<string>();
  /** When the partitions' ends were last read: lag older than a few seconds is unknown, not 0. */
  measuredAt: Date | null = null;

  constructor(
    private readonly groupId: string,
    private readonly topics: readonly string[],
  ) {}

  partitions(): PartitionLag[] {
    return [...this.lag.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  get(topic: string, partition: number): PartitionLag | undefined {
    return this.lag.get(partitionKey(topic, partition));
  }

  /** Forgets which partitions are applied here (the group was rebalanced). */
  disown(): void {
    this.owned.clear();
  }

  record(
    topic: string,
    partition: number,
    measured: {
      position: number;
      end: number;
      start?: number;
      lastEventAt?: string | null;
      recoveringUntil?: number | null;
    },
    own = true,
  ): void {
    const key = partitionKey(topic, partition);
    if (own) this.owned.add(key);
    const known = this.lag.get(key);
    const at = measured.lastEventAt ?? known?.lastEventAt ?? null;
    const end = Math.max(measured.end, measured.position);
    const lagEvents = Math.max(0, end - measured.position);
    const recovering =
      measured.recoveringUntil === null ? undefined : (measured.recoveringUntil ?? known?.recoveringUntil);
    this.lag.set(key, {
      topic,
      partition,
      lagEvents,
      lagSeconds: lagEvents > 0 && at ? Math.max(0, (Date.now() - Date.parse(at)) / 1_000) : 0,
      lastEventAt: at,
      position: measured.position,
      start: measured.start ?? known?.start ?? 0,
      end,
      ...(recovering !== undefined && measured.position < recovering ? { recoveringUntil: recovering } : {}),
    });
  }

  /** Whether any partition is being replayed after the store lost data. */
  recovering(): boolean {
    return [...this.lag.values()].some((p) => p.recoveringUntil !== undefined);
  }

  async measure(admin: Admin): Promise<void> {
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId: this.groupId, topics: [...this.topics] }),
      Promise.all(
        this.topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })),
      ),
    ]);
    for (const { topic, partitions } of ends) {
      const offsets = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const { partition, high, low } of partitions) {
        const key = partitionKey(topic, partition);
        const known = this.lag.get(key);
        if (this.owned.has(key) && known) {
          this.record(topic, partition, { position: known.position, end: Number(high), start: Number(low) });
          continue;
        }
        const at = offsets.find((o) => o.partition === partition)?.offset ?? '-1';
        // No commit yet: the group starts at the beginning of what the partition holds.
        const position = BigInt(at) < 0n ? BigInt(low) : BigInt(at);
        this.record(
          topic,
          partition,
          { position: Number(position), end: Number(high), start: Number(low) },
          false,
        );
      }
    }
    this.measuredAt = new Date();
  }
}
