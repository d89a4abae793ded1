import { HttpProblem, TimeoutError, withTimeout } from '@cqrs-shop/http';

/** The read models the gateway serves from, by the projection that keeps each. */
export type ReadModelName = 'order-history' | 'search' | 'analytics';

/** Which store each read model lives in, for messages. */
export const STORE_OF: Readonly<Record<ReadModelName, string>> = {
  'order-history': 'MongoDB',
  search: 'Elasticsearch',
  analytics: 'Redis',
};

/** How much of a store the gateway may use at once, and how long it waits for it. */
export interface StoreLimits {
  /** Time one store call may take, from when it starts (not while it waits its turn). */
  readonly timeoutMs: number;
  /** After failures in a row, how long the store's routes fail at once. */
  readonly cooldownMs: number;
  /** Calls to the store at the same time; the others wait their turn. */
  readonly concurrency: number;
  /** Calls waiting their turn; one more is refused at once with 503 and Retry-After. */
  readonly queue: number;
  /** Failures in a row that start the cool-down. @default 3 */
  readonly failureThreshold?: number;
}

/**
 * Keeps one slow or absent store from taking the gateway down with it. At most `concurrency`
 * calls go to the store at once and the others wait their turn, so that a burst of reads does
 * not slow every read down until each runs out of time: a busy store is not a failing one. Only
 * when more than `queue` calls are waiting is the next refused at once (503 `store-busy`, with
 * Retry-After). Every call gets a time limit once it runs, and after a few failures or timeouts
 * in a row the store's routes answer 503 at once for a cool-down period instead of piling up
 * requests on a store that is not answering. Routes on other stores are untouched.
 */
export class StoreGuard {
  private unavailableUntil = 0;
  private lastError = '';
  private failuresInARow = 0;
  private running = 0;
  /** Calls waiting for a turn, first come first served; a finishing call hands its turn on. */
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly readModel: ReadModelName,
    private readonly limits: StoreLimits,
    /** Whether an error means the store is unavailable, rather than a fault of the request. */
    private readonly isOutage: (error: unknown) => boolean = () => true,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the last call failed less than a cool-down ago. */
  get available(): boolean {
    return this.now() >= this.unavailableUntil;
  }

  /** Calls running and waiting their turn now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs one store call in its turn and within the time limit; a failure becomes a 503 problem. */
  async call<T>(work: () => Promise<T>): Promise<T> {
    if (!this.available) throw this.unavailable(this.lastError);
    await this.turn();
    try {
      // A cool-down may have begun while this call waited.
      if (this.now() < this.unavailableUntil) throw this.unavailable(this.lastError);
      const result = await withTimeout(work(), this.limits.timeoutMs, STORE_OF[this.readModel]);
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      if (error instanceof HttpProblem || !(error instanceof TimeoutError || this.isOutage(error)))
        throw error;
      this.lastError = error instanceof Error ? error.message : String(error);
      if (++this.failuresInARow >= (this.limits.failureThreshold ?? 3)) {
        this.unavailableUntil = this.now() + this.limits.cooldownMs;
        this.failuresInARow = 0;
      }
      throw this.unavailable(this.lastError, error);
    } finally {
      this.handOn();
    }
  }

  private async turn(): Promise<void> {
    if (this.running < this.limits.concurrency) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.limits.queue) throw this.busy();
    // The call that ends hands its turn over: `running` stays as it is.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private handOn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private busy(): HttpProblem {
    const store = STORE_OF[this.readModel];
    return new HttpProblem({
      code: 'store-busy',
      status: 503,
      title: 'The read model behind this route is busy',
      detail:
        `${store} (the ${this.readModel} read model) has ${this.limits.concurrency} reads running and ` +
        `${this.limits.queue} waiting; try again shortly`,
      extensions: { readModel: this.readModel, store },
      headers: { 'Retry-After': '1' },
    });
  }

  private unavailable(reason: string, cause?: unknown): HttpProblem {
    const store = STORE_OF[this.readModel];
    return new HttpProblem(
      {
        code: 'store-unavailable',
        status: 503,
        title: 'The read model behind this route is not available',
        detail: `${store} (the ${this.readModel} read model) is not answering: ${reason}`,
        extensions: { readModel: this.readModel, store },
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(this.limits.cooldownMs / 1_000))) },
      },
      { cause },
    );
  }
}
