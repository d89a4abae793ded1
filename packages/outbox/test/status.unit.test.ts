import { outboxStatusOf } from '@cqrs-shop/outbox';

describe('outboxStatusOf', () => {
  it('reports the backlog and the age of its oldest row as counted by the relay a moment ago', () => {
    const status = outboxStatusOf(
      {
        backlog: 1_446,
        oldestUnpublishedAt: '2026-12-06T12:00:00.000Z',
        backlogCountedAt: '2026-12-06T12:00:44.000Z',
        quarantined: 3,
      },
      '2026-12-06T12:00:45.000Z',
    );
    expect(status).toMatchObject({ known: true, backlog: 1_446, oldestAgeSeconds: 45, quarantined: 3 });
    expect(status.error).toBeUndefined();
  });

  it('has no oldest row when nothing waits', () => {
    const status = outboxStatusOf(
      { backlog: 0, oldestUnpublishedAt: null, backlogCountedAt: '2026-12-06T12:00:44.000Z' },
      '2026-12-06T12:00:45.000Z',
    );
    expect(status).toMatchObject({
      known: true,
      backlog: 0,
      oldestUnpublishedAt: null,
      oldestAgeSeconds: null,
    });
  });

  it('calls the backlog unknown, not 0, when the relay has not counted it for 5 s (MySQL down)', () => {
    const status = outboxStatusOf(
      { backlog: 0, oldestUnpublishedAt: null, backlogCountedAt: '2026-12-06T12:00:30.000Z' },
      '2026-12-06T12:00:45.000Z',
    );
    expect(status).toMatchObject({
      known: false,
      backlog: null,
      quarantined: null,
      countedAt: '2026-12-06T12:00:30.000Z',
    });
    expect(status.error).toMatch(/not been able to count its backlog since 2026-12-06T12:00:30.000Z/);
  });
});
