/**
 * Makes writes visible to search for reads that carry consistency tokens, at the cost of as
 * few refreshes as possible. A write that was confirmed at time t is visible to search after
 * any refresh that *started* after t; so concurrent reads share one refresh, and a read whose
 * change was confirmed before a refresh began needs none of its own.
 */
export class SearchVisibility {
  private running: { startedAt: number; done: Promise<void> } | undefined;
  private lastStartedAndDone = 0;

  constructor(
    private readonly refresh: () => Promise<void>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves once a refresh that started at or after `confirmedAt` has completed. */
  async visibleAfter(confirmedAt: number): Promise<void> {
    if (this.lastStartedAndDone >= confirmedAt) return;
    if (this.running && this.running.startedAt >= confirmedAt) return this.running.done;
    // A refresh in flight started too early for this write: wait for it, then start another.
    if (this.running) await this.running.done.catch(() => undefined);
    if (this.lastStartedAndDone >= confirmedAt) return;
    if (!this.running || this.running.startedAt < confirmedAt) this.start();
    return this.running?.done;
  }

  private start(): void {
    const startedAt = this.now();
    const done = this.refresh().then(() => {
      this.lastStartedAndDone = Math.max(this.lastStartedAndDone, startedAt);
    });
    const running = { startedAt, done };
    this.running = running;
    void done
      .catch(() => undefined)
      .finally(() => {
        if (this.running === running) this.running = undefined;
      });
  }
}
