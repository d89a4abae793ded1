import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express, RequestHandler, Response } from 'express';

/** What `GET /ops/settings` answers: what the page cannot learn from `GET /projections`. */
export interface OpsSettings {
  /** A URL with `{commandId}` where the command id goes; null when tracing links are off. */
  readonly traceSearchUrlTemplate: string | null;
}

/**
 * The page and its script and style may come from this origin only: no inline code, no
 * framing, no forms sent anywhere. Every value the script shows goes in as text.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * The page's files are plain HTML, CSS and JavaScript, with no build step. The compiler does
 * not copy them, so they are read from the sources: `src/ops/page`, the same folder from
 * `src/ops` and from `dist/ops`.
 */
const PAGE_DIR = join(__dirname, '..', '..', 'src', 'ops', 'page');

const ASSETS = [
  { path: '/ops', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/ops/ops.css', file: 'ops.css', type: 'text/css; charset=utf-8' },
  { path: '/ops/ops.js', file: 'ops.js', type: 'text/javascript; charset=utf-8' },
  // Named by the page, so the browser does not ask for /favicon.ico (a 404).
  { path: '/ops/icon.svg', file: 'icon.svg', type: 'image/svg+xml' },
] as const;

function secure(res: Response): Response {
  return res
    .set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .set('X-Content-Type-Options', 'nosniff')
    .set('Referrer-Policy', 'no-referrer')
    .set('Cache-Control', 'no-cache');
}

/**
 * Mounts the operations page: `GET /ops` (each projection's health, lag, throughput and
 * rebuild progress, refreshed from `GET /projections`, and a link to a command's trace), its
 * script and style, and `GET /ops/settings` behind `guard` (the page itself holds no data: it
 * asks for a token and sends it with its requests). The files are read once, here.
 */
export function mountOpsPage(app: Express, settings: OpsSettings, guard: readonly RequestHandler[]): void {
  for (const asset of ASSETS) {
    const body = readFileSync(join(PAGE_DIR, asset.file), 'utf8');
    app.get(asset.path, (_req, res) => {
      secure(res).type(asset.type).send(body);
    });
  }
  app.get('/ops/settings', ...guard, (_req, res) => {
    secure(res).json(settings);
  });
}
