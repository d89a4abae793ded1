import { PartitionCursor } from '../src/partition-cursor.js';

describe('PartitionCursor', () => {
  it('writes a checkpoint with a batch at most once per interval, and the trailing one once due', () => {
    const cursor = new PartitionCursor('orders', 2, 10, 1_000, 0);

    expect(cursor.moveWith(15, 400)).toBeUndefined();
    cursor.advanced(15, undefined, 400);
    expect([cursor.applied, cursor.stored, cursor.uncommitted]).toEqual([15, 10, undefined]);
    expect(cursor.pendingMove(900)).toBeUndefined();
    expect(cursor.pendingMove(900, true)).toEqual({ topic: 'orders', partition: 2, from: 10, next: 15 });

    const move = cursor.moveWith(20, 1_000);
    expect(move).toEqual({ topic: 'orders', partition: 2, from: 10, next: 20 });
    cursor.advanced(20, move, 1_000);
    expect([cursor.applied, cursor.stored, cursor.uncommitted]).toEqual([20, 20, 20]);
    expect(cursor.pendingMove(5_000)).toBeUndefined();

    cursor.advanced(23, cursor.moveWith(23, 1_500), 1_500);
    expect(cursor.pendingMove(2_000)).toEqual({ topic: 'orders', partition: 2, from: 20, next: 23 });
  });

  it('with an interval of 0, moves the checkpoint with every batch', () => {
    const cursor = new PartitionCursor('orders', 0, null, 0, 0);
    const move = cursor.moveWith(1, 0);
    expect(move).toEqual({ topic: 'orders', partition: 0, from: null, next: 1 });
    cursor.advanced(1, move, 0);
    expect(cursor.moveWith(2, 0)).toEqual({ topic: 'orders', partition: 0, from: 1, next: 2 });
  });

  it('tells Kafka only offsets the store has checkpointed', () => {
    const cursor = new PartitionCursor('orders', 0, 10, 1_000, 0);
    cursor.soughtTo(10);
    expect(cursor.uncommitted).toBe(10);
    cursor.uncommitted = undefined;

    cursor.advanced(30, undefined, 100);
    // Sent back to what was applied (after a lost race, say): still ahead of the checkpoint.
    cursor.soughtTo(30);
    expect([cursor.applied, cursor.uncommitted]).toEqual([30, undefined]);
  });

  it('runs the work queued on it one at a time, in order', async () => {
    const cursor = new PartitionCursor('orders', 0, 0, 0, 0);
    const log: string[] = [];
    let release!: () => void;
    const first = cursor.exclusive(async () => {
      log.push('first started');
      await new Promise<void>((resolve) => (release = resolve));
      log.push('first done');
    });
    const second = cursor.exclusive(() => {
      log.push('second');
      return Promise.reject(new Error('refused'));
    });
    const third = cursor.exclusive(() => Promise.resolve(log.push('third')));
    await Promise.resolve();
    expect(log).toEqual(['first started']);

    release();
    await first;
    await expect(second).rejects.toThrow('refused');
    await third;
    await cursor.idle();
    expect(log).toEqual(['first started', 'first done', 'second', 'third']);
  });
});
