import { type Authentication, authenticate, restrictTo } from '@cqrs-shop/auth';
import { createHttpApp } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
import type { MetricsRegistry } from '@cqrs-shop/telemetry';
import type { Express } from 'express';
import { queryHandler, type QueryHandlerOptions } from './http/handler.js';
import { adminApiDocument, queryApiDocument } from './http/openapi.js';
import { OPS_ACCESS } from './http/access.js';
import { QUERY_ROUTES } from './http/routes.js';
import { mountOpsPage } from './ops/index.js';
import type { OutboxStatus } from '@cqrs-shop/outbox';
import type { ProjectionStatusMonitor } from './projection-status.js';

export const API_VERSION = '0.1.0';

export interface QueryApiOptions extends QueryHandlerOptions {
  readonly logger: Logger;
  /** Who may read: verified bearer tokens, or nobody checked ('disabled'). */
  readonly authentication: Authentication;
  readonly monitor: ProjectionStatusMonitor;
  /** The outbox backlog, for `GET /projections`: it is behind every projection. */
  readonly outbox: () => Promise<OutboxStatus>;
  /** Served at `/metrics`, with the request durations added. */
  readonly metricsRegistry?: MetricsRegistry;
  /** `TRACE_SEARCH_URL_TEMPLATE`, for the links of `GET /ops`; unset: no links. */
  readonly traceSearchUrlTemplate?: string | undefined;
  /** See HttpAppOptions.trustedProxies. */
  readonly trustedProxies?: number;
}

/** The gateway's two listeners' apps. */
export interface QueryApps {
  /** The documented API: the queries (each for the roles of its access rule), `/openapi.json`, `/healthz`, `/readyz`. */
  readonly api: Express;
  /**
   * The admin surface, on a port of its own that no Ingress routes: `/metrics` (for the
   * scraper, open), `/openapi.json`, `GET /projections` and the page `GET /ops` with its settings (ops role).
   */
  readonly admin: Express;
}

/**
 * The query API and its admin surface as express apps. Readiness depends on no store: a pod
 * that answers the other routes must stay in service while one store is down (its routes
 * answer 503 on their own).
 */
export function createQueryApi(options: QueryApiOptions): QueryApps {
  const openApi = queryApiDocument(API_VERSION);
  const authenticated = authenticate(options.authentication, options.limits?.beforeUnauthenticated);
  const guards = options.limits?.guarding(options.authentication) ?? [authenticated];
  const api = createHttpApp({
    logger: options.logger,
    bodyLimitBytes: 1_024,
    ...(options.metricsRegistry ? { metrics: options.metricsRegistry, serveMetrics: false } : {}),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    routes: (app) => {
      app.get('/openapi.json', (_req, res) => {
        res.json(openApi);
      });
      for (const route of QUERY_ROUTES) app.get(route.path, ...guards, queryHandler(route, options));
    },
  });
  const adminDocument = adminApiDocument(API_VERSION);
  const opsOnly = [authenticated, restrictTo(OPS_ACCESS, 'see the projections')];
  const admin = createHttpApp({
    logger: options.logger,
    bodyLimitBytes: 1_024,
    ...(options.metricsRegistry ? { metrics: options.metricsRegistry } : {}),
    routes: (app) => {
      app.get('/openapi.json', (_req, res) => {
        res.json(adminDocument);
      });
      app.get('/projections', ...opsOnly, async (_req, res) => {
        const [projections, outbox] = await Promise.all([options.monitor.fetchAll(), options.outbox()]);
        res.json({ projections, outbox });
      });
      mountOpsPage(app, { traceSearchUrlTemplate: options.traceSearchUrlTemplate ?? null }, opsOnly);
    },
  });
  return { api, admin };
}
