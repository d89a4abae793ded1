import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { waitFor } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { expectConverged, seedCatalogue, startOrderLoad, suiteForTests } from './support';

/** How long each store refuses: longer than the runtime's five quick attempts, shorter than its budget. */
const REFUSING_MS = 10_000;

interface ProjectionsAnswer {
  projections: { name: string; deadLettered: number | null; parkedAggregates: number | null }[];
}

/**
 * A store that answers "not now" — Elasticsearch's 429, Redis' BUSY — is waited out, not
 * blamed on the events: for 10 s no aggregate is parked and no event is lost or applied twice.
 * Redis BUSY stops the whole shared server, so these run with the outage tests, one at a time.
 */
describe('a store refusing writes for 10 s while orders flow', () => {
  const running = suiteForTests();
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? '' });
  const redis = new Redis(process.env.REDIS_URL ?? '', { lazyConnect: true });
  let busyThreshold: string | undefined;

  afterAll(async () => {
    // Whatever happened, the shared stack is left as it was.
    const suite = running();
    await es.indices
      .putSettings({
        index: `${suite.env.ELASTICSEARCH_INDEX_PREFIX ?? ''}*`,
        settings: { 'index.blocks.read_only_allow_delete': null },
      })
      .catch(() => undefined);
    if (busyThreshold !== undefined)
      await redis.config('SET', 'busy-reply-threshold', busyThreshold).catch(() => undefined);
    redis.disconnect();
    await es.close();
  }, 60_000);

  /** Runs order load around `refuse`, then expects nothing parked and every read model converged. */
  async function underLoad(refuse: (load: { commands(): number }) => Promise<void>): Promise<void> {
    const suite = running();
    const { customers, products } = await seedCatalogue(suite, randomUUID().slice(0, 8));
    const load = startOrderLoad(suite, customers, products, 4, 20);
    await waitFor('some orders first', () => load.commands() >= 40, { timeoutMs: 60_000 });
    await refuse(load);
    await load.stop();

    await expectConverged(suite);
    const status = await suite.ops<ProjectionsAnswer>('/projections');
    expect(
      status.body.projections.map(({ name, deadLettered, parkedAggregates }) => ({
        name,
        deadLettered,
        parkedAggregates,
      })),
    ).toEqual(
      ['order-history', 'search', 'analytics'].map((name) => ({
        name,
        deadLettered: 0,
        parkedAggregates: 0,
      })),
    );
  }

  /** Waits until the store has refused for REFUSING_MS and orders kept coming meanwhile. */
  async function refusingFor(load: { commands(): number }, since: number): Promise<void> {
    const before = load.commands();
    await waitFor(
      `${REFUSING_MS / 1_000} s of orders while the store refuses`,
      () => Date.now() - since >= REFUSING_MS && load.commands() >= before + 20,
      { timeoutMs: REFUSING_MS + 60_000, intervalMs: 100 },
    );
  }

  it('parks nothing while Elasticsearch answers 429 to every write', async () => {
    await underLoad(async (load) => {
      const prefix = running().env.ELASTICSEARCH_INDEX_PREFIX ?? '';
      const target = `${prefix}*`;
      // The flood-stage block: Elasticsearch answers writes 429 (reads still work) until removed.
      await es.indices.putSettings({
        index: target,
        settings: { 'index.blocks.read_only_allow_delete': true },
      });
      const since = Date.now();
      try {
        const [someIndex] = Object.keys(await es.indices.get({ index: target }));
        const probe = await es.index({ index: someIndex ?? '', id: 'probe', document: { probe: true } }).then(
          () => 200,
          (error: unknown) => (error as { meta?: { statusCode?: number } }).meta?.statusCode,
        );
        expect(probe).toBe(429);
        await refusingFor(load, since);
      } finally {
        await es.indices.putSettings({
          index: target,
          settings: { 'index.blocks.read_only_allow_delete': null },
        });
      }
    });
  }, 300_000);

  it('parks nothing while Redis answers BUSY to every command', async () => {
    await redis.connect();
    await underLoad(async (load) => {
      // Redis answers BUSY to everyone else once a script has run this long (5 s by default).
      busyThreshold = ((await redis.config('GET', 'busy-reply-threshold')) as string[])[1];
      await redis.config('SET', 'busy-reply-threshold', '100');
      const since = Date.now();
      // A read-only script that spins for REFUSING_MS on the server, then ends by itself.
      const spinning = redis.eval(
        `local t = redis.call('TIME')
         local stop = t[1] * 1000000 + t[2] + tonumber(ARGV[1]) * 1000
         while true do
           t = redis.call('TIME')
           if t[1] * 1000000 + t[2] >= stop then return 1 end
         end`,
        0,
        String(REFUSING_MS),
      );
      // Without the ready check: its INFO would be answered BUSY, which ioredis takes for a broken connection.
      const probe = new Redis(process.env.REDIS_URL ?? '', {
        maxRetriesPerRequest: 0,
        enableReadyCheck: false,
      });
      probe.on('error', () => undefined);
      try {
        const answer = await waitFor(
          'Redis to answer BUSY',
          async () =>
            probe.ping().then(
              () => undefined,
              (error: unknown) => (error instanceof Error ? error.message : String(error)),
            ),
          { timeoutMs: 5_000, intervalMs: 20 },
        );
        expect(answer).toMatch(/^BUSY/);
        await refusingFor(load, since);
        expect(await spinning).toBe(1);
      } finally {
        probe.disconnect();
        await spinning.catch(() => undefined);
        await redis.config('SET', 'busy-reply-threshold', busyThreshold ?? '5000');
      }
    });
  }, 300_000);
});
