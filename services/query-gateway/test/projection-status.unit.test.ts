import { projectionStatusOf, type ProjectorReport } from '../src/projection-status.js';

const report = (changes: Partial<ProjectorReport>): ProjectorReport => ({
  running: true,
  storeAvailable: true,
  recovering: false,
  applied: 10,
  deadLettered: 0,
  lagMeasuredAt: '2026-12-06T12:00:00.000Z',
  partitions: [
    {
      topic: 'shop.orders.v1',
      partition: 0,
      lagEvents: 0,
      lagSeconds: 0,
      lastEventAt: '2026-12-06T11:59:59.000Z',
    },
    { topic: 'shop.orders.v1', partition: 1, lagEvents: 3, lagSeconds: 1.5, lastEventAt: null },
  ],
  version: 1,
  ...changes,
});

describe('projectionStatusOf', () => {
  it('sums the lag of a projector that measured it against Kafka a moment ago', () => {
    const status = projectionStatusOf('analytics', report({}), '2026-12-06T12:00:02.000Z');
    expect(status).toMatchObject({ healthy: true, lagEvents: 3, lagSeconds: 1.5 });
    expect(status.error).toBeUndefined();
  });

  it('calls the lag unknown, not 0, once Kafka has not answered the projector for 5 s', () => {
    const status = projectionStatusOf(
      'analytics',
      report({ partitions: report({}).partitions.map((p) => ({ ...p, lagEvents: 0, lagSeconds: 0 })) }),
      '2026-12-06T12:00:06.000Z',
    );
    expect(status).toMatchObject({ healthy: false, lagEvents: null, lagSeconds: null });
    expect(status.error).toMatch(/not measured against Kafka since 2026-12-06T12:00:00.000Z/);
  });

  it('calls the lag unknown while the projector is not consuming, or has not measured it yet', () => {
    const at = '2026-12-06T12:00:01.000Z';
    expect(projectionStatusOf('search', report({ running: false }), at)).toMatchObject({
      healthy: false,
      lagEvents: null,
      error: 'lag unknown: the projector is not consuming',
    });
    expect(projectionStatusOf('search', report({ lagMeasuredAt: null }), at)).toMatchObject({
      healthy: false,
      lagEvents: null,
    });
  });
});
