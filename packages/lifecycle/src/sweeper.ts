/**
 * Deletes what has outlived its retention, in rounds: every `everyMs`, batches are deleted one
 * after another until one comes back short (nothing more is due) or `budgetMs` is spent. A
 * fixed number of rows per interval falls behind once writes outpace it; rounds that run
 * until done keep up with any rate the database can delete at, while the budget and the small
 * batches keep each round from holding locks long or crowding out the service's own work. A
 * backlog (after a long stop, say) is worked off over a few rounds. Rounds never overlap.
 */
export interface SweeperOptions {
  /** Deletes one batch of at most `batchSize` due rows; returns how many it deleted. */
  readonly sweep: (batchSize: number) => Promise<number>;
  readonly everyMs: number;
  readonly budgetMs: number;
  readonly batchSize: number;
  /** After each round: rows deleted, and whether it stopped at the budget with more due. */
  readonly onRound?: (round: { deleted: number; unfinished: boolean }) => void;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

export interface Sweeper {
  /** Runs a round now (after the one in progress, if any); returns the rows it deleted. */
  sweepNow(): Promise<number>;
  /** Stops the rounds; resolves once the one in progress, if any, has ended. */
  stop(): Promise<void>;
}

/** Runs one round (see {@link SweeperOptions}); returns the rows deleted and whether more are due. */
export async function sweepRound(options: SweeperOptions): Promise<{ deleted: number; unfinished: boolean }> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.budgetMs;
  let deleted = 0;
  for (;;) {
    const batch = await options.sweep(options.batchSize);
    deleted += batch;
    if (batch < options.batchSize) return { deleted, unfinished: false };
    if (now() >= deadline) return { deleted, unfinished: true };
  }
}

export function startSweeper(options: SweeperOptions): Sweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> = Promise.resolve(0);

  const round = (): Promise<number> => {
    running = running.then(async () => {
      try {
        const result = await sweepRound(options);
        options.onRound?.(result);
        return result.deleted;
      } catch (error) {
        options.onError?.(error);
        return 0;
      }
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void round().then(schedule);
    }, options.everyMs);
    timer.unref();
  };
  schedule();

  return {
    sweepNow: round,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
