// Budgets and wait caps against the real Redis: shared by limiters on separate connections (as
// replicas are), refilled with time, and out of the way when Redis does not answer.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp } from '@cqrs-shop/http';
import { createLogger } from '@cqrs-shop/logging';
import { createMetricsRegistry } from '@cqrs-shop/telemetry';
import { scrapeMetrics, uniqueName, waitFor } from '@cqrs-shop/testing';
import { RateLimiter, RequestLimits } from '../src/index.js';

const logger = createLogger({ service: 'rate-limit-test', level: 'silent' });
const redisUrl = () => process.env.REDIS_URL ?? '';

describe('RateLimiter on Redis', () => {
  const prefix = `${uniqueName('ratelimit')}:`;
  // Two connections: two replicas charging one budget.
  const limiters = [
    RateLimiter.connect(redisUrl(), prefix, logger),
    RateLimiter.connect(redisUrl(), prefix, logger),
  ];
  afterAll(() => {
    for (const limiter of limiters) limiter.close();
  });
  const [one, other] = limiters as [RateLimiter, RateLimiter];

  it('allows the budget at once, then refuses until a request’s share of the window has passed, across replicas', async () => {
    const rate = { limit: 6, windowMs: 60_000 };
    const charges = [];
    for (let i = 0; i < 7; i++)
      charges.push(await (i % 2 === 0 ? one : other).charge('queries', rate, 'ada'));
    expect(charges.map((c) => c.allowed)).toEqual([true, true, true, true, true, true, false]);
    expect(charges.map((c) => c.remaining)).toEqual([5, 4, 3, 2, 1, 0, 0]);
    const refused = charges[6];
    // One request's share of the window: 10 s (Redis's clock moved a little meanwhile).
    expect(refused?.retryAfterMs).toBeGreaterThan(9_000);
    expect(refused?.retryAfterMs).toBeLessThanOrEqual(10_000);
    expect(refused?.resetMs).toBeGreaterThan(59_000);
    // Another caller, and another budget of the same caller, are untouched.
    expect((await one.charge('queries', rate, 'grace')).remaining).toBe(5);
    expect((await one.charge('commands', rate, 'ada')).remaining).toBe(5);
  });

  it('gives a request back for each share of the window that passes', async () => {
    const rate = { limit: 2, windowMs: 1_000 };
    expect((await one.charge('refill', rate, 'ada')).allowed).toBe(true);
    expect((await other.charge('refill', rate, 'ada')).allowed).toBe(true);
    const refused = await one.charge('refill', rate, 'ada');
    expect(refused.allowed).toBe(false);
    const started = Date.now();
    // A refused charge spends nothing, so asking again is harmless.
    await waitFor(
      'a request to be allowed again',
      async () => (await one.charge('refill', rate, 'ada')).allowed,
      {
        timeoutMs: 5_000,
        intervalMs: 20,
      },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(refused.retryAfterMs - 100);
  });

  it('caps a caller’s concurrent waits over every replica, and forgets a wait whose replica never ended it', async () => {
    expect(await one.enter('ada', 'w1', 2, 60_000)).toBe(true);
    expect(await other.enter('ada', 'w2', 2, 60_000)).toBe(true);
    expect(await one.enter('ada', 'w3', 2, 60_000)).toBe(false);
    expect(await one.enter('grace', 'w1', 2, 60_000)).toBe(true);
    await other.leave('ada', 'w1');
    expect(await one.enter('ada', 'w3', 2, 300)).toBe(true);
    // w3 is left behind (its replica died): it lapses after its lifetime.
    await one.leave('ada', 'w2');
    expect(await other.enter('ada', 'w4', 2, 60_000)).toBe(true);
    await waitFor('the abandoned wait to lapse', () => one.enter('ada', 'w5', 2, 60_000), {
      timeoutMs: 5_000,
      intervalMs: 50,
    });
  });
});

describe('RequestLimits in an HTTP app', () => {
  const start = async (url: string, limit: number) => {
    const registry = createMetricsRegistry();
    const limiter = RateLimiter.connect(url, `${uniqueName('ratelimit')}:`, logger);
    const limits = new RequestLimits(
      'queries',
      limiter,
      {
        perCaller: { limit, windowMs: 60_000 },
        unauthenticated: null,
        consistencyWaits: 1,
        trustedProxies: 0,
      },
      logger,
      registry,
    );
    const app = createHttpApp({
      logger,
      bodyLimitBytes: 1_024,
      metrics: registry,
      routes: (routes) => {
        routes.get(
          '/thing',
          limits.perCaller(() => 'ada'),
          (_req, res) => {
            res.json({ ok: true });
          },
        );
      },
    });
    const server: Server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const close = () => {
      server.close();
      server.closeAllConnections();
      limiter.close();
    };
    return { base, limits, close };
  };

  it('answers 429 problem+json with Retry-After and the RateLimit fields once the budget is spent', async () => {
    const { base, close } = await start(redisUrl(), 2);
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await fetch(`${base}/thing`));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(answers[0]?.headers.get('ratelimit-policy')).toBe('"queries";q=2;w=60');
      expect(answers[0]?.headers.get('ratelimit')).toMatch(/^"queries";r=1;t=(30|31)$/);
      const refused = answers[2];
      expect(refused?.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(refused?.headers.get('retry-after')).toMatch(/^(29|30)$/);
      expect(refused?.headers.get('ratelimit')).toMatch(/^"queries";r=0;t=(59|60)$/);
      expect(await refused?.json()).toMatchObject({
        type: 'urn:cqrs-shop:problem:too-many-requests',
        status: 429,
      });
      const metrics = await scrapeMetrics(base);
      expect(metrics.sum('shop_rate_limited_total', { budget: 'queries' })).toBe(1);
    } finally {
      close();
    }
  });

  it('lets requests through, and counts them, when Redis does not answer', async () => {
    const { base, limits, close } = await start('redis://127.0.0.1:1', 1);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${base}/thing`)).status);
      expect(statuses).toEqual([200, 200, 200]);
      await expect(limits.duringWait('ada', 1_000, () => Promise.resolve('waited'))).resolves.toBe('waited');
      expect((await scrapeMetrics(base)).sum('shop_rate_limit_unavailable_total')).toBe(4);
    } finally {
      close();
    }
  });
});
