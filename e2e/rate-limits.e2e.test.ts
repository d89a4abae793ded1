// Request budgets over the real suite, with two gateway replicas sharing one Redis: a caller's
// query budget is one budget whichever replica it reaches, commands have their own, calls
// without a valid token spend their address's, and a caller's concurrent consistency waits
// are capped over both replicas.
import { randomUUID } from 'node:crypto';
import { waitFor } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { suiteForTests } from './support';

const QUERY_BUDGET = 10;
const COMMAND_BUDGET = 4;
const ADDRESS_BUDGET = 5;
const WAIT_CAP = 2;

const running = suiteForTests({
  env: {
    'query-gateway': {
      RATE_LIMIT_QUERIES: `${QUERY_BUDGET}/1m`,
      RATE_LIMIT_UNAUTHENTICATED: `${ADDRESS_BUDGET}/1m`,
      RATE_LIMIT_CONSISTENCY_WAITS: String(WAIT_CAP),
    },
    'command-service': { RATE_LIMIT_COMMANDS: `${COMMAND_BUDGET}/1m` },
  },
});

describe('rate limits (real processes, two gateway replicas on one Redis)', () => {
  let replica: string;
  /** A staff caller of its own: every test spends a fresh budget (the suite's own tokens are another subject). */
  const caller = async () => ({
    Authorization: `Bearer ${await running().identity.token({ roles: ['staff'], subject: `staff-${randomUUID()}` })}`,
  });
  const read = async (base: string, headers: Record<string, string>, extra: Record<string, string> = {}) =>
    fetch(`${base}/stats/sales`, { headers: { ...headers, ...extra } });
  const outboxRows = async () => {
    const [rows] = await running().database.connection.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM outbox',
    );
    return Number(rows[0]?.n);
  };

  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(running().env.REDIS_URL ?? '');
    replica = (await running().startReplica('query-gateway')).url;
  }, 90_000);
  afterAll(() => {
    redis.disconnect();
  });

  it('holds a caller to one query budget whichever replica it reaches, with 429, Retry-After and the RateLimit fields', async () => {
    const ada = await caller();
    const gateways = [running().url('query-gateway'), replica];
    const answers: Response[] = [];
    for (let i = 0; i < QUERY_BUDGET + 2; i++) answers.push(await read(gateways[i % 2] ?? '', ada));
    expect(answers.map((a) => a.status)).toEqual([...Array<number>(QUERY_BUDGET).fill(200), 429, 429]);
    expect(answers[0]?.headers.get('ratelimit-policy')).toBe(`"queries";q=${QUERY_BUDGET};w=60`);
    expect(answers[QUERY_BUDGET - 1]?.headers.get('ratelimit')).toMatch(/^"queries";r=0;t=\d+$/);
    const refused = answers[QUERY_BUDGET];
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers.get('retry-after'))).toBeLessThanOrEqual(6);
    expect(refused?.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await refused?.json()).toMatchObject({
      type: 'urn:cqrs-shop:problem:too-many-requests',
      status: 429,
    });
    // Another caller has a budget of its own, on both replicas.
    const grace = await caller();
    for (const gateway of gateways) expect((await read(gateway, grace)).status).toBe(200);
  });

  it('keeps commands to a budget of their own, and a refused command changes nothing', async () => {
    const ada = await caller();
    // Ada's queries are spent …
    for (let i = 0; i < QUERY_BUDGET; i++) await read(running().url('query-gateway'), ada);
    expect((await read(replica, ada)).status).toBe(429);
    // … her commands are not.
    const statuses: number[] = [];
    for (let i = 0; i < COMMAND_BUDGET; i++)
      statuses.push(
        (
          await running().command(
            '/customers',
            { name: `Ada ${i}`, email: `ada.${randomUUID()}@example.com` },
            ada,
          )
        ).status,
      );
    expect(statuses).toEqual(Array<number>(COMMAND_BUDGET).fill(201));
    const before = await outboxRows();
    const refused = await running().command(
      '/customers',
      { name: 'Ada again', email: `ada.${randomUUID()}@example.com` },
      ada,
    );
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe(`"commands";q=${COMMAND_BUDGET};w=60`);
    expect(await outboxRows()).toBe(before);
  });

  it('charges calls without a valid token to their address, on both replicas, and lets valid tokens through', async () => {
    const gateways = [running().url('query-gateway'), replica];
    const statuses: number[] = [];
    for (let i = 0; i < ADDRESS_BUDGET + 1; i++)
      statuses.push((await read(gateways[i % 2] ?? '', { Authorization: 'Bearer not-a-token' })).status);
    expect(statuses).toEqual([...Array<number>(ADDRESS_BUDGET).fill(401), 429]);
    expect((await read(replica, {})).status).toBe(429);
    // The address's budget is for refused tokens only.
    expect((await read(replica, await caller())).status).toBe(200);
  });

  it('caps a caller’s concurrent consistency waits over both replicas: one more is 429 at once', async () => {
    const ada = await caller();
    // A change the read model will never see within the wait: a version far ahead of the order's.
    const token = running().identity.consistencyTokens.encode({
      aggregateType: 'order',
      aggregateId: randomUUID(),
      version: 1_000,
    });
    const waiting = { 'X-Consistency-Token': token, Prefer: 'wait=4' };
    const first = [read(running().url('query-gateway'), ada, waiting), read(replica, ada, waiting)];
    // Both waits are counted in Redis (one set per caller) before a third comes.
    await waitFor('both waits to be counted', async () => {
      const keys = await redis.keys(`${running().names.keyPrefix}waits:*`);
      const counts = await Promise.all(keys.map((key) => redis.zcard(key)));
      return counts.includes(WAIT_CAP);
    });
    const started = Date.now();
    const third = await read(replica, ada, waiting);
    expect(third.status).toBe(429);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await third.json()).toMatchObject({
      detail: expect.stringContaining(`${WAIT_CAP} reads waiting on consistency tokens`) as unknown,
    });
    expect((await Promise.all(first)).map((a) => a.status)).toEqual([503, 503]);
    // Once they ended, the caller may wait again.
    const again = await read(replica, ada, { 'X-Consistency-Token': token, Prefer: 'wait=0' });
    expect(again.status).toBe(503);
  });
});
