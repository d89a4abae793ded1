import { assertVersion, describeVersions, nextVersion, type VersionRecord } from '../src';

const record = (version: number, state: VersionRecord['state']): VersionRecord => ({
  version,
  state,
  groupId: `g.v${version}`,
  createdAt: '2026-11-24T10:00:00.000Z',
  until: null,
  switchedAt: null,
  progress: null,
  note: null,
});

describe('describeVersions', () => {
  it('takes the pointer as the truth: the pointed-at version is live, one recorded live but not pointed at is retired', () => {
    // A crash between moving the pointer (to 2) and updating the records leaves both recorded live.
    const described = describeVersions(
      [record(2, 'caught-up'), record(1, 'live'), record(3, 'rebuilding')],
      2,
    );
    expect(described.map((r) => [r.version, r.state])).toEqual([
      [1, 'retired'],
      [2, 'live'],
      [3, 'rebuilding'],
    ]);
  });

  it('keeps point-in-time and failed versions as they are', () => {
    const described = describeVersions(
      [record(1, 'live'), record(2, 'point-in-time'), record(3, 'failed')],
      1,
    );
    expect(described.map((r) => r.state)).toEqual(['live', 'point-in-time', 'failed']);
  });
});

describe('nextVersion', () => {
  it('is above every recorded version and the live one', () => {
    expect(nextVersion([], null)).toBe(1);
    expect(nextVersion([record(1, 'live'), record(4, 'failed')], 1)).toBe(5);
    expect(nextVersion([record(1, 'retired')], 3)).toBe(4);
  });
});

describe('assertVersion', () => {
  it('accepts positive integers only, naming the bad value', () => {
    expect(() => {
      assertVersion(3);
    }).not.toThrow();
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => {
        assertVersion(bad);
      }).toThrow(`a read-model version is a positive integer, not ${String(bad)}`);
  });
});
