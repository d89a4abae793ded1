import {
  activeContext,
  type Context,
  markFailed,
  type Span,
  startSpan,
  withContext,
} from '@cqrs-shop/telemetry';

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
 *
 * In a trace, a request of one caller is that caller's own store call. A shared request is sent
 * in the first caller's trace, and every caller gets a span `<name> (shared)` for its part: from
 * its submit to the answer, the others' linked to the first's, under which the request's own
 * spans are.
 */
export class SharedRequests<Item, Result> {
  private readonly waiting: Caller<Item, Result>[] = [];
  private sending = false;
  private readonly name: string;
  private readonly maxItems: number;

  constructor(
    /** Sends items in one request and answers one result per item, in their order. */
    private readonly send: (items: readonly Item[]) => Promise<readonly Result[]>,
    options: {
      /** What the request is, in span names (`elasticsearch bulk`). */
      readonly name?: string;
      /** At most this many items to a request (a single caller's larger write still goes whole). */
      readonly maxItems?: number;
    } = {},
  ) {
    this.name = options.name ?? 'store request';
    this.maxItems = options.maxItems ?? 2_000;
  }

  submit(items: readonly Item[]): Promise<Result[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject, context: activeContext(), submittedAt: Date.now() });
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
      const spans = taken.length > 1 ? this.sharedSpans(taken, count) : undefined;
      try {
        const results = await withContext(spans?.first ?? first.context, () =>
          this.send(taken.flatMap((caller) => caller.items)),
        );
        if (results.length !== count)
          throw new Error(`the store answered ${results.length} results for ${count} items`);
        let from = 0;
        for (const caller of taken) {
          caller.resolve(results.slice(from, from + caller.items.length));
          from += caller.items.length;
        }
      } catch (error) {
        for (const span of spans?.all ?? []) markFailed(span, error);
        for (const caller of taken) caller.reject(error);
      } finally {
        for (const span of spans?.all ?? []) span.end();
      }
    }
    this.sending = false;
  }

  /** One span per caller of a shared request, each in its caller's trace (see the class). */
  private sharedSpans(
    taken: readonly Caller<Item, Result>[],
    count: number,
  ): { first: Context; all: Span[] } {
    const attributesOf = (caller: Caller<Item, Result>) => ({
      'request.items': count,
      'request.callers': taken.length,
      'caller.items': caller.items.length,
    });
    const [head, ...rest] = taken as [Caller<Item, Result>, ...Caller<Item, Result>[]];
    const first = startSpan(`${this.name} (shared)`, {
      parent: head.context,
      startTime: head.submittedAt,
      attributes: attributesOf(head),
    });
    const others = rest.map(
      (caller) =>
        startSpan(`${this.name} (shared)`, {
          parent: caller.context,
          startTime: caller.submittedAt,
          links: [{ context: first.span.spanContext() }],
          attributes: attributesOf(caller),
        }).span,
    );
    return { first: first.context, all: [first.span, ...others] };
  }
}

interface Caller<Item, Result> {
  readonly items: readonly Item[];
  readonly resolve: (results: Result[]) => void;
  readonly reject: (error: unknown) => void;
  /** The caller's trace context, to send in or to link from. */
  readonly context: Context;
  readonly submittedAt: number;
}
