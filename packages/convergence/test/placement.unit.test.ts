import { expectedPlacedHour, hoursAround, sqlTimeToIso } from '../src/placement.js';

describe('sqlTimeToIso', () => {
  it('writes a DATETIME(6) as Date#toISOString does, cutting microseconds to milliseconds', () => {
    expect(sqlTimeToIso('2026-11-24T10:15:00.123456')).toBe('2026-11-24T10:15:00.123Z');
    expect(sqlTimeToIso('2026-11-24T10:15:00.889000')).toBe(
      new Date('2026-11-24T10:15:00.889Z').toISOString(),
    );
  });

  it('refuses anything else', () => {
    expect(() => sqlTimeToIso('2026-11-24 10:15:00')).toThrow(RangeError);
  });
});

describe('hoursAround', () => {
  it('is one hour away from the top of an hour, two across it', () => {
    expect(hoursAround('2026-11-24T10:30:00.000Z', 300_000)).toEqual(['2026-11-24T10']);
    expect(hoursAround('2026-11-24T11:00:00.002Z', 300_000)).toEqual(['2026-11-24T10', '2026-11-24T11']);
    expect(hoursAround('2026-11-24T23:58:00.000Z', 300_000)).toEqual(['2026-11-24T23', '2026-11-25T00']);
  });
});

describe('expectedPlacedHour', () => {
  const nearTheHour = { recordedAt: '2026-11-24T11:00:00.002Z', eventOccurredAt: null };

  it('takes the OrderPlaced event’s hour when the outbox still holds it, whatever is stored', () => {
    const placement = { recordedAt: '2026-11-24T11:00:00.002Z', eventOccurredAt: '2026-11-24T10:59:59.998Z' };
    expect(expectedPlacedHour(placement, '2026-11-24T11', 300_000)).toBe('2026-11-24T10');
  });

  it('accepts the stored hour when placed_at allows it, since the event may have come just before the hour', () => {
    expect(expectedPlacedHour(nearTheHour, '2026-11-24T10', 300_000)).toBe('2026-11-24T10');
    expect(expectedPlacedHour(nearTheHour, '2026-11-24T11', 300_000)).toBe('2026-11-24T11');
  });

  it('falls back to the hour of placed_at when the stored hour is out of reach or absent', () => {
    expect(expectedPlacedHour(nearTheHour, '2026-11-24T08', 300_000)).toBe('2026-11-24T11');
    expect(expectedPlacedHour(nearTheHour, undefined, 300_000)).toBe('2026-11-24T11');
    expect(expectedPlacedHour(nearTheHour, '2026-11-24T10', 0)).toBe('2026-11-24T11');
  });
});
