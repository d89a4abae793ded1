import { type Authentication, authenticate } from '@cqrs-shop/auth';
import { createHttpApp } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
import type { MetricsRegistry } from '@cqrs-shop/telemetry';
import type { Express } from 'express';
import { queryHandler, type QueryHandlerOptions } from './http/handler.js';
import { queryApiDocument } from './http/openapi.js';
import { QUERY_ROUTES } from './http/routes.js';
import { mountOpsPage } from './ops/index.js';
import type { OutboxStatus } from '@cqrs-shop/outbox-relay';
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
}

/**
 * The query API as an express app: the queries (each for the roles of its access rule),
 * `GET /projections`, the page `GET /ops`, `/openapi.json`, `/healthz` and `/readyz`. Readiness depends on no store: a pod that answers
 * the other routes must stay in service while one store is down (its routes answer 503 on their own).
 */
export function createQueryApi(options: QueryApiOptions): Express {
  const openApi = queryApiDocument(API_VERSION);
  return createHttpApp({
    logger: options.logger,
    bodyLimitBytes: 1_024,
    ...(options.metricsRegistry ? { metrics: options.metricsRegistry } : {}),
    routes: (app) => {
      app.get('/openapi.json', (_req, res) => {
        res.json(openApi);
      });
      app.get('/projections', async (_req, res) => {
        const [projections, outbox] = await Promise.all([options.monitor.fetchAll(), options.outbox()]);
        res.json({ projections, outbox });
      });
      mountOpsPage(app, { traceSearchUrlTemplate: options.traceSearchUrlTemplate ?? null });
      const authenticated = authenticate(options.authentication);
      for (const route of QUERY_ROUTES) app.get(route.path, authenticated, queryHandler(route, options));
    },
  });
}
