import { HttpProblem } from '@cqrs-shop/http';
import { StoreGuard, type StoreLimits } from '../src/store-guard';

const limits = (some: Partial<StoreLimits> = {}): StoreLimits => ({
  timeoutMs: 500,
  cooldownMs: 1_000,
  concurrency: 8,
  queue: 8,
  ...some,
});

/** A store call that ends when the test says so. */
function heldCall() {
  let finish: () => void = () => undefined;
  return {
    work: () =>
      new Promise<string>((resolve) => {
        finish = () => {
          resolve('done');
        };
      }),
    finish: () => {
      finish();
    },
  };
}

/** Lets every promise callback queued so far run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function problemOf(promise: Promise<unknown>): Promise<HttpProblem> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('the store guard', () => {
  it('answers 503 naming the store when calls fail, and fails at once for a cool-down after three in a row', async () => {
    let now = 1_000;
    const guard = new StoreGuard(
      'search',
      limits({ timeoutMs: 500, cooldownMs: 2_000 }),
      undefined,
      () => now,
    );
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9200'));
    };

    const first = await problemOf(guard.call(failing));
    expect(first.status).toBe(503);
    expect(first.code).toBe('store-unavailable');
    expect(first.message).toContain('Elasticsearch');
    expect(first.headers['Retry-After']).toBe('2');
    expect(guard.available).toBe(true);

    await problemOf(guard.call(failing));
    await problemOf(guard.call(failing));
    expect(guard.available).toBe(false);
    now += 1_999;
    await problemOf(guard.call(failing));
    expect(calls).toBe(3);

    now += 1;
    expect(await guard.call(() => Promise.resolve('back'))).toBe('back');
  });

  it('lets one failure among successes fail only itself', async () => {
    const guard = new StoreGuard('order-history', limits({ timeoutMs: 500, cooldownMs: 2_000 }));
    await problemOf(guard.call(() => Promise.reject(new Error('slow'))));
    await guard.call(() => Promise.resolve('ok'));
    await problemOf(guard.call(() => Promise.reject(new Error('slow'))));
    await problemOf(guard.call(() => Promise.reject(new Error('slow'))));
    expect(guard.available).toBe(true);
  });

  it('gives up on a call that takes longer than its time limit', async () => {
    const guard = new StoreGuard('analytics', limits({ timeoutMs: 20 }));
    const problem = await problemOf(guard.call(() => new Promise(() => undefined)));
    expect(problem.message).toContain('did not answer within 20 ms');
  });

  it('passes on problems of the request itself and errors that are no outage, staying available', async () => {
    const guard = new StoreGuard('search', limits(), (error) => !(error instanceof RangeError));
    const notFound = HttpProblem.generic('not-found', 'No order');
    await expect(guard.call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    await expect(guard.call(() => Promise.reject(new RangeError('bad request')))).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(guard.available).toBe(true);
  });

  it('runs at most `concurrency` calls at once, lets the next wait its turn, and refuses only past the queue', async () => {
    const guard = new StoreGuard('order-history', limits({ concurrency: 2, queue: 1, timeoutMs: 60_000 }));
    const calls = [heldCall(), heldCall(), heldCall()];
    const started: number[] = [];
    const results = calls.map((call, i) =>
      guard.call(() => {
        started.push(i);
        return call.work();
      }),
    );
    await settle();
    expect(started).toEqual([0, 1]);
    expect(guard.load).toEqual({ running: 2, waiting: 1 });

    const refused = await problemOf(guard.call(() => Promise.resolve('never')));
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('store-busy');
    expect(refused.headers['Retry-After']).toBe('1');

    calls[0]?.finish();
    expect(await results[0]).toBe('done');
    await settle();
    expect(started).toEqual([0, 1, 2]);
    calls[1]?.finish();
    calls[2]?.finish();
    expect(await Promise.all(results)).toEqual(['done', 'done', 'done']);
    expect(guard.load).toEqual({ running: 0, waiting: 0 });
    // Being busy was no failure: the store is still available.
    expect(guard.available).toBe(true);
  });

  it('does not count the wait for a turn against the time limit', async () => {
    const guard = new StoreGuard('analytics', limits({ concurrency: 1, queue: 4, timeoutMs: 50 }));
    const slow = Array.from({ length: 3 }, () =>
      guard.call(() => new Promise((resolve) => setTimeout(resolve, 30, 'ok'))),
    );
    expect(await Promise.all(slow)).toEqual(['ok', 'ok', 'ok']);
  });
});
