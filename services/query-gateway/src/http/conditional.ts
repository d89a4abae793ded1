/**
 * Whether `If-None-Match` names `etag` (RFC 9110 §13.1.2: weak comparison, `*` matches any).
 * Checked here rather than by Express's `req.fresh`, which says "not fresh" to any request with
 * `Cache-Control: no-cache` — what `fetch` adds to every conditional request — although that
 * directive asks caches to revalidate, which is what an origin's 304 is.
 */
export function ifNoneMatchHolds(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}
