import { HttpProblem, TimeoutError, withTimeout } from '@cqrs-shop/http';

/** The read models the gateway serves from, by the projection that keeps each. */
export type ReadModelName = 'order-history' | 'search' | 'analytics';

/** Which store each read model lives in, for messages. */
export const STORE_OF: Readonly<Record<ReadModelName, string>> = {
  'order-history': 'MongoDB',
  search: 'Elasticsearch',
  analytics: 'Redis',
};

/**
 * Keeps one slow or absent store from taking the gateway down with it: every call gets a time
 * limit, and after a few failures in a row the store's routes answer 503 at once for a
 * cool-down period instead of piling up requests on a store that is not answering. One slow
 * call under load fails only itself. Routes on other stores are untouched.
 */
export class StoreGuard {
  private unavailableUntil = 0;
  private lastError = '';
  private failuresInARow = 0;

  constructor(
    readonly readModel: ReadModelName,
    private readonly timeoutMs: number,
    private readonly cooldownMs: number,
    /** Whether an error means the store is unavailable, rather than a fault of the request. */
    private readonly isOutage: (error: unknown) => boolean = () => true,
    private readonly now: () => number = Date.now,
    /** Failures in a row that start the cool-down. */
    private readonly failureThreshold = 3,
  ) {}

  /** Whether the last call failed less than a cool-down ago. */
  get available(): boolean {
    return this.now() >= this.unavailableUntil;
  }

  /** Runs one store call within the time limit; a failure becomes a 503 problem. */
  async call<T>(work: () => Promise<T>): Promise<T> {
    if (!this.available) throw this.unavailable(this.lastError);
    try {
      const result = await withTimeout(work(), this.timeoutMs, STORE_OF[this.readModel]);
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      if (error instanceof HttpProblem || !(error instanceof TimeoutError || this.isOutage(error)))
        throw error;
      this.lastError = error instanceof Error ? error.message : String(error);
      if (++this.failuresInARow >= this.failureThreshold) {
        this.unavailableUntil = this.now() + this.cooldownMs;
        this.failuresInARow = 0;
      }
      throw this.unavailable(this.lastError, error);
    }
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
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(this.cooldownMs / 1_000))) },
      },
      { cause },
    );
  }
}
