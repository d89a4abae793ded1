import { convergenceReport, ReadModelTally } from '../src/report.js';
import { formatSummary } from '../src/summary.js';

describe('ReadModelTally and formatSummary', () => {
  it('counts every difference, keeps the first ones, and says how many are not listed', () => {
    const tally = new ReadModelTally('search', 1);
    tally.countCompared(3);
    tally.record([
      {
        kind: 'missing',
        readModel: 'search',
        aggregate: 'product:p1',
        field: 'version',
        expected: 2,
        actual: null,
      },
      {
        kind: 'extra',
        readModel: 'search',
        aggregate: 'order:o9',
        field: 'version',
        expected: null,
        actual: 1,
      },
    ]);
    const clean = new ReadModelTally('order-history', 1);
    clean.countCompared(1);
    const report = convergenceReport([clean.report(), tally.report()]);
    expect(report).toMatchObject({ converged: false, differenceCount: 2 });
    expect(formatSummary(report)).toBe(
      [
        'order-history  1 aggregate compared, 0 differences',
        'search         3 aggregates compared, 2 differences',
        '  product:p1 missing in the read model (write model at version 2)',
        '  … and 1 more (--limit N lists more)',
        '',
        'Not converged: 2 differences.',
        '',
      ].join('\n'),
    );
  });

  it('prints field differences with both values, an absent one as such', () => {
    const tally = new ReadModelTally('analytics', 10);
    tally.record([
      {
        kind: 'field',
        readModel: 'analytics',
        aggregate: 'order:o1',
        field: 'status',
        expected: 'PAID',
        actual: 'PLACED',
      },
      {
        kind: 'field',
        readModel: 'analytics',
        aggregate: 'order:o1',
        field: 'currency',
        expected: 'EUR',
        actual: undefined,
      },
      {
        kind: 'extra',
        readModel: 'analytics',
        aggregate: 'order:o2',
        field: 'version',
        expected: null,
        actual: null,
      },
    ]);
    expect(
      formatSummary(convergenceReport([tally.report()]))
        .split('\n')
        .slice(1, 4),
    ).toEqual([
      '  order:o1 status: expected "PAID", found "PLACED"',
      '  order:o1 currency: expected "EUR", found (absent)',
      '  order:o2 not in the write model',
    ]);
  });

  it('says so when nothing differs', () => {
    expect(formatSummary(convergenceReport([new ReadModelTally('analytics', 5).report()]))).toContain(
      'Converged: every read model checked matches the write model.',
    );
  });
});
