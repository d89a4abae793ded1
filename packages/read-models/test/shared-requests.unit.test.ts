import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { inSpan } from '@cqrs-shop/telemetry';
import { SharedRequests } from '@cqrs-shop/read-models';

/** A store that answers each item with `<item>@<request number>`, and records its requests. */
function recordingStore() {
  const requests: string[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const send = async (items: readonly string[]) => {
    requests.push([...items]);
    if (hold) await new Promise<void>((resolve) => (release = resolve));
    return items.map((item) => `${item}@${requests.length}`);
  };
  return {
    requests,
    send,
    holdNext: () => (hold = true),
    releaseHeld: () => {
      hold = false;
      release?.();
    },
  };
}

describe('SharedRequests', () => {
  it('sends writes made together in one request and gives each caller its own results', async () => {
    const store = recordingStore();
    const shared = new SharedRequests(store.send);

    const [a, b] = await Promise.all([shared.submit(['a1', 'a2']), shared.submit(['b1'])]);

    expect(store.requests).toEqual([['a1', 'a2', 'b1']]);
    expect(a).toEqual(['a1@1', 'a2@1']);
    expect(b).toEqual(['b1@1']);
  });

  it('sends a lone write at once and gathers what comes while it is on its way', async () => {
    const store = recordingStore();
    const shared = new SharedRequests(store.send);
    store.holdNext();
    const first = shared.submit(['x']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.requests).toEqual([['x']]);

    const second = shared.submit(['y']);
    const third = shared.submit(['z']);
    store.releaseHeld();

    expect(await first).toEqual(['x@1']);
    expect(await second).toEqual(['y@2']);
    expect(await third).toEqual(['z@2']);
    expect(store.requests).toEqual([['x'], ['y', 'z']]);
  });

  it('keeps a request within the item limit, but sends a larger single write whole', async () => {
    const store = recordingStore();
    const shared = new SharedRequests(store.send, { maxItems: 3 });

    await Promise.all([
      shared.submit(['a', 'b']),
      shared.submit(['c', 'd']),
      shared.submit(['e', 'f', 'g', 'h']),
    ]);

    expect(store.requests).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f', 'g', 'h'],
    ]);
  });

  it('fails every caller of a failed request, and goes on with the next', async () => {
    let calls = 0;
    const shared = new SharedRequests<string, string>((items) => {
      calls += 1;
      if (calls === 1) return Promise.reject(new Error('store down'));
      return Promise.resolve(items.map((item) => item.toUpperCase()));
    });

    const failed = await Promise.allSettled([shared.submit(['a']), shared.submit(['b'])]);
    const after = await shared.submit(['c']);

    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(failed.map((f) => (f.status === 'rejected' ? (f.reason as Error).message : ''))).toEqual([
      'store down',
      'store down',
    ]);
    expect(after).toEqual(['C']);
  });

  it('refuses a store answer that does not match the items', async () => {
    const shared = new SharedRequests<string, string>(() => Promise.resolve(['only one']));

    await expect(shared.submit(['a', 'b'])).rejects.toThrow('the store answered 1 results for 2 items');
  });

  describe('in a trace', () => {
    const exporter = new InMemorySpanExporter();
    const contextManager = new AsyncLocalStorageContextManager();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    beforeAll(() => {
      context.setGlobalContextManager(contextManager.enable());
      trace.setGlobalTracerProvider(provider);
    });
    afterAll(() => {
      trace.disable();
      context.disable();
    });
    beforeEach(() => {
      exporter.reset();
    });

    /** A store whose request records a span of its own, as an instrumented client does. */
    const tracedStore = (items: readonly string[]) =>
      inSpan('store call', {}, () => Promise.resolve(items.map((item) => `${item}!`)));
    /** The ended spans of that name (their export is asynchronous: flushed first). */
    const named = async (name: string) => {
      await provider.forceFlush();
      return exporter.getFinishedSpans().filter((span) => span.name === name);
    };

    it("puts a lone caller's request in its own trace", async () => {
      const shared = new SharedRequests(tracedStore, { name: 'bulk' });

      await inSpan('apply a', {}, () => shared.submit(['a']));

      const [apply] = await named('apply a');
      const [call] = await named('store call');
      expect(apply).toBeDefined();
      expect(call?.parentSpanContext?.spanId).toBe(apply?.spanContext().spanId);
      expect(await named('bulk (shared)')).toEqual([]);
    });

    it('gives every caller of a shared request a span of its part, the request under the first', async () => {
      const shared = new SharedRequests(tracedStore, { name: 'bulk' });

      await Promise.all([
        inSpan('apply a', {}, () => shared.submit(['a1', 'a2'])),
        inSpan('apply b', {}, () => shared.submit(['b1'])),
      ]);

      const [applyA] = await named('apply a');
      const [applyB] = await named('apply b');
      const parts = await named('bulk (shared)');
      const partOf = (apply: typeof applyA) =>
        parts.find((part) => part.parentSpanContext?.spanId === apply?.spanContext().spanId);
      const [partA, partB] = [partOf(applyA), partOf(applyB)];
      expect(parts).toHaveLength(2);
      expect(partA?.attributes).toEqual({ 'request.items': 3, 'request.callers': 2, 'caller.items': 2 });
      expect(partB?.attributes).toEqual({ 'request.items': 3, 'request.callers': 2, 'caller.items': 1 });
      expect(partB?.links.map((link) => link.context.spanId)).toEqual([partA?.spanContext().spanId]);
      const [call] = await named('store call');
      expect(call?.parentSpanContext?.spanId).toBe(partA?.spanContext().spanId);
      expect(call?.spanContext().traceId).toBe(applyA?.spanContext().traceId);
    });

    it("marks every caller's part failed when the shared request fails", async () => {
      const shared = new SharedRequests<string, string>(() => Promise.reject(new Error('store down')), {
        name: 'bulk',
      });

      await Promise.allSettled([
        inSpan('apply a', {}, () => shared.submit(['a'])),
        inSpan('apply b', {}, () => shared.submit(['b'])),
      ]);

      expect((await named('bulk (shared)')).map((part) => part.status.message)).toEqual([
        'store down',
        'store down',
      ]);
    });
  });
});
