import type { HttpProblem } from '@cqrs-shop/http';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../src/http/cursor';

const shape = z.tuple([z.number(), z.string()]);

describe('page cursors', () => {
  it('carry the position back for the same filters, whatever their order', () => {
    const cursor = encodeCursor({ status: 'PAID', q: 'mug' }, [1_764_000_000_000, 'order-9']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, { q: 'mug', status: 'PAID' }, shape)).toEqual([1_764_000_000_000, 'order-9']);
  });

  it('refuse use with other filters, or a position of another shape, with a 400 on the cursor', () => {
    const cursor = encodeCursor({ q: 'mug' }, [1, 'a']);
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error as HttpProblem;
      }
      throw new Error('accepted');
    };
    expect(refusal(() => decodeCursor(cursor, { q: 'cup' }, shape)).message).toMatch(/other filters/);
    expect(refusal(() => decodeCursor(cursor, { q: 'mug' }, z.tuple([z.string(), z.string()]))).status).toBe(
      400,
    );
    expect(refusal(() => decodeCursor('bm90LWpzb24', {}, shape)).body()).toMatchObject({
      errors: [{ field: 'cursor' }],
    });
  });

  it('are optional', () => {
    expect(decodeCursor(undefined, {}, shape)).toBeUndefined();
  });
});
