import { randomUUID } from 'node:crypto';
import { FingerprintSet } from '../src/fingerprint-set.js';

describe('FingerprintSet', () => {
  it('knows every id added, before and after growing, and no other', () => {
    const set = new FingerprintSet();
    const added = Array.from({ length: 5_000 }, () => randomUUID());
    for (const id of added.slice(0, 10)) set.add(id);
    expect(set.has(added[3] ?? '')).toBe(true);
    for (const id of added.slice(10)) set.add(id);
    expect(added.every((id) => set.has(id))).toBe(true);
    expect(Array.from({ length: 5_000 }, () => randomUUID()).some((id) => set.has(id))).toBe(false);
  });

  it('tells ids apart by every character, case included', () => {
    const set = new FingerprintSet();
    set.add('b0000000-0000-4000-8000-00000000000a');
    expect(set.has('b0000000-0000-4000-8000-00000000000A')).toBe(false);
    expect(set.has('')).toBe(false);
  });

  it('is empty to begin with', () => {
    expect(new FingerprintSet().has('anything')).toBe(false);
  });
});
