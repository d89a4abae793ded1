import { assessHistory, groupForVersion, type TopicHistoryFacts } from '../src';

const topic = (overrides: Partial<TopicHistoryFacts> = {}): TopicHistoryFacts => ({
  topic: 'shop.orders.v1',
  cleanupPolicy: 'delete',
  retentionMs: -1,
  retentionBytes: -1,
  partitions: [
    { partition: 0, earliest: 0, end: 10 },
    { partition: 1, earliest: 0, end: 0 },
  ],
  ...overrides,
});

describe('assessHistory', () => {
  it('accepts topics that keep every event forever', () => {
    expect(assessHistory([topic()])).toEqual({ problems: [], warnings: [] });
  });

  it('refuses a partition whose first events were deleted, naming topic, partition and offset', () => {
    const { problems } = assessHistory([topic({ partitions: [{ partition: 3, earliest: 42, end: 50 }] })]);
    expect(problems).toEqual([
      'shop.orders.v1 partition 3 starts at offset 42: 42 earlier events were deleted',
    ]);
  });

  it('refuses a compacted topic, also when compaction is combined with deletion', () => {
    expect(assessHistory([topic({ cleanupPolicy: 'compact' })]).problems).toHaveLength(1);
    expect(assessHistory([topic({ cleanupPolicy: 'compact,delete' })]).problems[0]).toMatch(
      /is compacted \(cleanup.policy=compact,delete\)/,
    );
  });

  it('warns, without refusing, about a finite retention that has not deleted anything yet', () => {
    const assessed = assessHistory([topic({ retentionMs: 604_800_000, retentionBytes: 1_000 })]);
    expect(assessed.problems).toEqual([]);
    expect(assessed.warnings).toEqual([
      expect.stringContaining('deletes events after 604800000 ms'),
      expect.stringContaining('beyond 1000 bytes'),
    ]);
  });
});

describe('groupForVersion', () => {
  it('swaps the version number into the live group name, or appends one', () => {
    expect(groupForVersion('cqrs-shop.projector-search.v1', 2)).toBe('cqrs-shop.projector-search.v2');
    expect(groupForVersion('cqrs-shop.projector-search.v12', 13)).toBe('cqrs-shop.projector-search.v13');
    expect(groupForVersion('suite-abc.projector-search', 2)).toBe('suite-abc.projector-search.v2');
  });
});
