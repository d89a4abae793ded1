import { HttpProblem } from '@cqrs-shop/http';
import { StoreGuard } from '../src/store-guard';

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
    const guard = new StoreGuard('search', 500, 2_000, undefined, () => now);
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
    const guard = new StoreGuard('order-history', 500, 2_000);
    await problemOf(guard.call(() => Promise.reject(new Error('slow'))));
    await guard.call(() => Promise.resolve('ok'));
    await problemOf(guard.call(() => Promise.reject(new Error('slow'))));
    await problemOf(guard.call(() => Promise.reject(new Error('slow'))));
    expect(guard.available).toBe(true);
  });

  it('gives up on a call that takes longer than its time limit', async () => {
    const guard = new StoreGuard('analytics', 20, 1_000);
    const problem = await problemOf(guard.call(() => new Promise(() => undefined)));
    expect(problem.message).toContain('did not answer within 20 ms');
  });

  it('passes on problems of the request itself and errors that are no outage, staying available', async () => {
    const guard = new StoreGuard('search', 500, 1_000, (error) => !(error instanceof RangeError));
    const notFound = HttpProblem.generic('not-found', 'No order');
    await expect(guard.call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    await expect(guard.call(() => Promise.reject(new RangeError('bad request')))).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(guard.available).toBe(true);
  });
});
