import { createHttpApp } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
import type { Express } from 'express';
import type { Pool } from 'mysql2/promise';
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
}

/** The command API as an express app: commands, `/openapi.json`, `/healthz` and `/readyz` (MySQL). */
export function createCommandApi(options: CommandApiOptions): Express {
  const executor = createCommandExecutor({
    pool: options.pool,
    logger: options.logger,
    refusal: refusalResponse,
    idempotencyTtlMs: options.idempotencyTtlMs,
  });
  const openApi = commandApiDocument(API_VERSION);
  return createHttpApp({
    logger: options.logger,
    bodyLimitBytes: options.bodyLimitBytes,
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
      mountCommandRoutes(routes, executor);
    },
  });
}
