import { type Authentication, authenticate } from '@cqrs-shop/auth';
import type { ConsistencyTokens } from '@cqrs-shop/events';
import { createHttpApp } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
import type { RequestLimits } from '@cqrs-shop/rate-limit';
import type { MetricsRegistry } from '@cqrs-shop/telemetry';
import type { Express } from 'express';
import type { Pool } from 'mysql2/promise';
import { CommandMetrics } from './application/command-metrics.js';
import { createCommandExecutor } from './application/execute.js';
import { commandApiDocument } from './http/openapi.js';
import { refusalResponse } from './http/problems.js';
import { mountCommandRoutes } from './http/routes.js';

export const API_VERSION = '0.1.0';

export interface CommandApiOptions {
  readonly pool: Pool;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  /** How long an Idempotency-Key is remembered. */
  readonly idempotencyTtlMs: number;
  /** Who may send commands: verified bearer tokens, or nobody checked ('disabled'). */
  readonly authentication: Authentication;
  /** Signs the consistency token of every answer. */
  readonly consistencyTokens: ConsistencyTokens;
  /** Served at /metrics, with the command series added. */
  readonly metrics?: MetricsRegistry;
  /** The request budgets (per caller, per address without a valid token); none: unlimited. */
  readonly limits?: RequestLimits;
  /** See HttpAppOptions.trustedProxies. */
  readonly trustedProxies?: number;
}

/** The command service's two listeners' apps. */
export interface CommandApps {
  /** The documented API: commands (each for the roles of its access rule), `/openapi.json`, `/healthz`, `/readyz` (MySQL). */
  readonly api: Express;
  /** The admin surface, on a port of its own that no Ingress routes: `/metrics`, given a registry. */
  readonly admin: Express;
}

/** The command API and its admin surface as express apps. */
export function createCommandApi(options: CommandApiOptions): CommandApps {
  const executor = createCommandExecutor({
    pool: options.pool,
    logger: options.logger,
    refusal: refusalResponse,
    idempotencyTtlMs: options.idempotencyTtlMs,
    ...(options.metrics ? { metrics: new CommandMetrics(options.metrics) } : {}),
  });
  const openApi = commandApiDocument(API_VERSION);
  const api = createHttpApp({
    logger: options.logger,
    bodyLimitBytes: options.bodyLimitBytes,
    ...(options.metrics ? { metrics: options.metrics, serveMetrics: false } : {}),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    readiness: [
      {
        name: 'mysql',
        check: async () => {
          await options.pool.query('SELECT 1');
        },
      },
    ],
    routes: (routes) => {
      routes.get('/openapi.json', (_req, res) => {
        res.json(openApi);
      });
      const guards = options.limits?.guarding(options.authentication) ?? [
        authenticate(options.authentication),
      ];
      mountCommandRoutes(routes, executor, guards, options.consistencyTokens);
    },
  });
  const admin = createHttpApp({
    logger: options.logger,
    bodyLimitBytes: 1_024,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return { api, admin };
}
