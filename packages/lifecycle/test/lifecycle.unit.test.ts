import { createLifecycle } from '@cqrs-shop/lifecycle';
import { createLogger } from '@cqrs-shop/logging';
import { Writable } from 'node:stream';

const silent = createLogger({
  service: 'test',
  level: 'silent',
  destination: new Writable({
    write: (_c, _e, done) => {
      done();
    },
  }),
});

describe('lifecycle', () => {
  it('closes resources in reverse order of registration', async () => {
    const closed: string[] = [];
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 1_000 });
    lifecycle.onStop('pool', () => void closed.push('pool'));
    lifecycle.onStop('consumer', () => Promise.resolve().then(() => void closed.push('consumer')));
    lifecycle.onStop('http server', () => void closed.push('http server'));

    expect(await lifecycle.stop('SIGTERM')).toBe(true);
    expect(closed).toEqual(['http server', 'consumer', 'pool']);
  });

  it('is idempotent: a second stop returns the first one and closes nothing twice', async () => {
    let closes = 0;
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 1_000 });
    lifecycle.onStop('pool', () => {
      closes++;
    });
    const first = lifecycle.stop('SIGTERM');
    const second = lifecycle.stop('SIGINT');
    expect(second).toBe(first);
    await first;
    expect(closes).toBe(1);
    expect(lifecycle.stopping).toBe(true);
  });

  it('keeps closing the others when one resource fails, and reports an unclean stop', async () => {
    const closed: string[] = [];
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 1_000 });
    lifecycle.onStop('pool', () => void closed.push('pool'));
    lifecycle.onStop('broken', () => Promise.reject(new Error('socket already closed')));
    expect(await lifecycle.stop('SIGTERM')).toBe(false);
    expect(closed).toEqual(['pool']);
  });

  it('gives up after the timeout when a resource never closes', async () => {
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 50 });
    lifecycle.onStop('stuck', () => new Promise<void>(() => undefined));
    expect(await lifecycle.stop('SIGTERM')).toBe(false);
  });
});
