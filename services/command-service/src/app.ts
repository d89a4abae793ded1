import { type Authentication, authenticate } from '@cqrs-shop/auth';
import type { ConsistencyTokens } from '@cqrs-shop/events';
import { createHttpApp } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
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
}

/**
 * The command API as an express app: commands (each for the roles of its access rule),
 * `/openapi.json`, `/healthz`, `/readyz` (MySQL) and, given a registry, `/metrics`; all but the
 * commands stay open.
 */
export function createCommandApi(options: CommandApiOptions): Express {
  const executor = createCommandExecutor({
    pool: options.pool,
    logger: options.logger,
    refusal: refusalResponse,
    idempotencyTtlMs: options.idempotencyTtlMs,
    ...(options.metrics ? { metrics: new CommandMetrics(options.metrics) } : {}),
  });
  const openApi = commandApiDocument(API_VERSION);
  return createHttpApp({
    logger: options.logger,
    bodyLimitBytes: options.bodyLimitBytes,
    ...(options.metrics ? { metrics: options.metrics } : {}),
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
      mountCommandRoutes(routes, executor, authenticate(options.authentication), options.consistencyTokens);
    },
  });
}
