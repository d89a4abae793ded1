import { formatOutbox, formatQuarantine } from '../src';

const checkedAt = '2026-12-06T12:00:45.000Z';

describe('the outbox as the cqrs command prints it', () => {
  it('shows the backlog under the projections, the age of its oldest row, and any quarantined rows', () => {
    const status = {
      known: true,
      backlog: 1_446,
      oldestUnpublishedAt: '2026-12-06T12:00:00.000Z',
      oldestAgeSeconds: 45,
      quarantined: 2,
      countedAt: checkedAt,
      checkedAt,
    };
    expect(formatOutbox(status)).toBe(
      'outbox: 1446 events waiting to be published, the oldest written 45s ago; 2 quarantined (see: cqrs outbox list)\n',
    );
    expect(formatOutbox({ ...status, backlog: 0, oldestAgeSeconds: null, quarantined: 0 })).toBe(
      'outbox: 0 events waiting to be published\n',
    );
  });

  it('says the outbox is unknown, and why, rather than showing 0', () => {
    expect(
      formatOutbox({
        known: false,
        error: 'relay: fetch failed',
        backlog: null,
        oldestUnpublishedAt: null,
        oldestAgeSeconds: null,
        quarantined: null,
        countedAt: null,
        checkedAt,
      }),
    ).toBe('outbox: unknown (relay: fetch failed)\n');
  });

  it('lists quarantined rows with their reasons, and says when there is none', () => {
    const at = new Date('2026-12-06T12:00:00.000Z');
    const row = {
      eventId: 'e',
      aggregateType: 'order',
      aggregateId: 'o-1',
      traceparent: null,
      occurredAt: at,
      quarantinedAt: at,
    };
    const listed = formatQuarantine(
      [
        {
          ...row,
          position: 7,
          eventType: 'OrderTeleported',
          aggregateVersion: 1,
          reason: 'unknown event type OrderTeleported',
          heldBehind: null,
        },
        {
          ...row,
          position: 9,
          eventType: 'OrderPaid',
          aggregateVersion: 2,
          reason: 'held behind row 7',
          heldBehind: 7,
        },
      ],
      at.getTime() + 90_000,
    ).split('\n');

    expect(listed[0]).toMatch(/^POSITION\s+EVENT\s+AGGREGATE\s+VERSION\s+QUARANTINED\s+REASON$/);
    expect(listed[1]).toMatch(
      /^7\s+OrderTeleported\s+order o-1\s+1\s+90 s ago\s+unknown event type OrderTeleported$/,
    );
    expect(listed[2]).toMatch(/^9\s+OrderPaid\s+order o-1\s+2\s+90 s ago\s+held behind row 7$/);
    expect(formatQuarantine([])).toBe('the outbox quarantine is empty\n');
  });
});
