/** Publish lag (commit to Kafka acknowledgement) over the most recent events, and counters. */
export class RelayStats {
  private readonly lags: number[] = [];
  private next = 0;
  published = 0;
  batches = 0;
  backlog = 0;
  /** When the oldest unpublished row was written, as last counted; null when none waits. */
  oldestUnpublishedAt: Date | null = null;
  /** Rows in the outbox's quarantine (see OutboxQuarantine), as last counted. */
  quarantined = 0;
  /** When the backlog was last counted (null: not yet; it stops while MySQL does not answer). */
  backlogCountedAt: Date | null = null;
  leader = false;

  constructor(private readonly window = 10_000) {}

  recordLag(ms: number): void {
    if (this.lags.length < this.window) this.lags.push(ms);
    else this.lags[this.next] = ms;
    this.next = (this.next + 1) % this.window;
  }

  /** The p-th percentile (0..100) of the lags in the window, in ms; undefined before any event. */
  lagPercentile(p: number): number | undefined {
    if (this.lags.length === 0) return undefined;
    const sorted = [...this.lags].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  }

  snapshot() {
    return {
      leader: this.leader,
      backlog: this.backlog,
      oldestUnpublishedAt: this.oldestUnpublishedAt?.toISOString() ?? null,
      backlogCountedAt: this.backlogCountedAt?.toISOString() ?? null,
      quarantined: this.quarantined,
      published: this.published,
      batches: this.batches,
      publishLagMs: {
        p50: this.lagPercentile(50) ?? null,
        p99: this.lagPercentile(99) ?? null,
        samples: this.lags.length,
      },
    };
  }
}
