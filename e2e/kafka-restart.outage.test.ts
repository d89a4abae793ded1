import { randomUUID } from 'node:crypto';
import { killStackServer, startStackServer, SUITE_SERVICES, waitFor } from '@cqrs-shop/testing';
import { expectConverged, seedCatalogue, startOrderLoad, suiteForTests } from './support';

interface Projections {
  projections: { name: string; healthy: boolean; lagEvents: number | null }[];
  outbox: { known: boolean; backlog: number | null };
}

describe('Kafka killed while orders flow', () => {
  afterAll(() => {
    // Whatever happened, the shared stack is left with Kafka running.
    startStackServer('kafka');
  }, 240_000);
  const running = suiteForTests();

  it('keeps taking commands, shows the backlog and no stale lag meanwhile, and goes on by itself afterwards', async () => {
    const suite = running();
    const { customers, products } = await seedCatalogue(suite, randomUUID().slice(0, 8));
    const load = startOrderLoad(suite, customers, products, 4, 20);
    await waitFor('some orders before the crash', () => load.commands() >= 100, { timeoutMs: 120_000 });

    killStackServer('kafka');
    const atCrash = load.commands();
    // The truth while Kafka is away: the events wait in the outbox, and no projection claims a lag.
    let seen: Projections | undefined;
    await waitFor(
      'the gateway to show the outbox backlog and every lag unknown',
      async () => {
        seen = (await suite.ops<Projections>('/projections')).body;
        return (
          seen.outbox.known &&
          (seen.outbox.backlog ?? 0) > 0 &&
          seen.projections.every((p) => !p.healthy && p.lagEvents === null)
        );
      },
      { timeoutMs: 60_000 },
    );
    await waitFor('commands answered while Kafka is down', () => load.commands() >= atCrash + 50, {
      timeoutMs: 60_000,
    });

    startStackServer('kafka');
    const atRestart = load.commands();
    await waitFor('more orders after Kafka is back', () => load.commands() >= atRestart + 100, {
      timeoutMs: 120_000,
    });
    await load.stop();

    await suite.caughtUp();
    // No service gave up on the broker: each is the process the suite started.
    for (const service of SUITE_SERVICES)
      expect(`${service}: ${suite.process(service)?.child.exitCode}`).toBe(`${service}: null`);
    const after = (await suite.ops<Projections>('/projections')).body;
    expect(after.outbox).toMatchObject({ known: true, backlog: 0 });
    await expectConverged(suite);
  }, 420_000);
});
