import { SharedRequests } from '../src/shared-requests.js';

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
    const shared = new SharedRequests(store.send, 3);

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
});
