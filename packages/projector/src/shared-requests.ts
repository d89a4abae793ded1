/**
 * One request to a store for what several callers ask at about the same time. Every partition
 * of a projector prepares and writes its batch on its own, and a store pays mostly per request
 * (Elasticsearch spends more on a one-document `_bulk` than on ten more documents in it), so the
 * writes of all partitions share requests: what is asked while a request is on its way leaves
 * together as soon as it is answered, and the first one at the end of the current turn of the
 * event loop, so that writes made together go together. Nothing waits for company: a lone write
 * goes at once.
 *
 * Each caller gets back the results of its own items, in its order; when the request fails,
 * every caller in it gets the error (and retries on its own terms).
 */
export class SharedRequests<Item, Result> {
  private readonly waiting: {
    readonly items: readonly Item[];
    readonly resolve: (results: Result[]) => void;
    readonly reject: (error: unknown) => void;
  }[] = [];
  private sending = false;

  constructor(
    /** Sends items in one request and answers one result per item, in their order. */
    private readonly send: (items: readonly Item[]) => Promise<readonly Result[]>,
    /** At most this many items to a request (a single caller's larger write still goes whole). */
    private readonly maxItems = 2_000,
  ) {}

  submit(items: readonly Item[]): Promise<Result[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (this.sending) return;
      this.sending = true;
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    for (let first = this.waiting.shift(); first; first = this.waiting.shift()) {
      const taken = [first];
      let count = first.items.length;
      for (
        let next = this.waiting[0];
        next && count + next.items.length <= this.maxItems;
        next = this.waiting[0]
      ) {
        taken.push(next);
        count += next.items.length;
        this.waiting.shift();
      }
      try {
        const results = await this.send(taken.flatMap((caller) => caller.items));
        if (results.length !== count)
          throw new Error(`the store answered ${results.length} results for ${count} items`);
        let from = 0;
        for (const caller of taken) {
          caller.resolve(results.slice(from, from + caller.items.length));
          from += caller.items.length;
        }
      } catch (error) {
        for (const caller of taken) caller.reject(error);
      }
    }
    this.sending = false;
  }
}
