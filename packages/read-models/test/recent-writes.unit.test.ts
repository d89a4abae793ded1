import { RecentWrites } from '@cqrs-shop/read-models';

describe('RecentWrites', () => {
  it('gives back what was written last under a key, and nothing once forgotten', () => {
    const writes = new RecentWrites<number>();
    writes.set('order:1', 1);
    writes.set('order:1', 2);
    expect(writes.get('order:1')).toBe(2);

    writes.delete('order:1');
    expect(writes.get('order:1')).toBeUndefined();
  });

  it('keeps at most its limit, dropping the least recently written', () => {
    const writes = new RecentWrites<string>(2);
    writes.set('a', 'a1');
    writes.set('b', 'b1');
    writes.set('a', 'a2');
    writes.set('c', 'c1');

    expect([writes.get('a'), writes.get('b'), writes.get('c')]).toEqual(['a2', undefined, 'c1']);
  });
});
