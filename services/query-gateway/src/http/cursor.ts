import { createHash } from 'node:crypto';
import { HttpProblem } from '@cqrs-shop/http';
import { z } from 'zod';

/**
 * Opaque page cursors: where the previous page ended, bound to the query that produced it. A
 * cursor carries a digest of the query's filters, so that reusing it with other filters is a
 * clear 400 rather than a page of something else.
 */
export type Position = readonly (string | number)[];

const encoded = z.object({ q: z.string(), at: z.array(z.union([z.string().max(300), z.number()])).max(4) });

function digest(filters: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(filters)
      .filter((key) => filters[key] !== undefined)
      .sort()
      .map((key) => [key, filters[key]]),
  );
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function encodeCursor(filters: Record<string, unknown>, position: Position): string {
  return Buffer.from(JSON.stringify({ q: digest(filters), at: position }), 'utf8').toString('base64url');
}

/**
 * The position in `cursor`, checked against the filters it must have been issued for and the
 * shape of position the query uses (`shape`: one zod schema per sort value).
 */
export function decodeCursor<T extends Position>(
  cursor: string | undefined,
  filters: Record<string, unknown>,
  shape: z.ZodType<T>,
): T | undefined {
  if (cursor === undefined) return undefined;
  let parsed: z.infer<typeof encoded>;
  try {
    parsed = encoded.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw invalidCursor('is not a cursor this API issued');
  }
  if (parsed.q !== digest(filters)) throw invalidCursor('belongs to a query with other filters');
  const position = shape.safeParse(parsed.at);
  if (!position.success) throw invalidCursor('is not a cursor this API issued');
  return position.data;
}

function invalidCursor(reason: string): HttpProblem {
  return HttpProblem.generic('invalid-request', `The cursor ${reason}`, {
    extensions: { errors: [{ field: 'cursor', message: reason }] },
  });
}
