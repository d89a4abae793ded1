import { currentLogContext, currentLogFields, type Logger, withLogContext } from '@cqrs-shop/logging';
import { Histogram, LATENCY_BUCKETS, type MetricsRegistry, nameHttpRoute } from '@cqrs-shop/telemetry';
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from 'express';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem.js';
import { withTimeout } from './timeout.js';

/** One dependency that must answer for the service to take traffic. */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

export interface HttpAppOptions {
  readonly logger: Logger;
  /** Largest accepted JSON body; larger ones get 413. */
  readonly bodyLimitBytes: number;
  /** Dependencies behind GET /readyz. */
  readonly readiness?: readonly ReadinessCheck[];
  /** Time one readiness check may take. @default 2000 ms */
  readonly readinessTimeoutMs?: number;
  /** Mounts the service's own routes. */
  readonly routes?: (app: Express) => void;
  /** Every request's duration is added to it; served at GET /metrics unless `serveMetrics` is false. */
  readonly metrics?: MetricsRegistry;
  /** False where the registry is served by the admin listener instead. @default true */
  readonly serveMetrics?: boolean;
  /**
   * Proxies in front that add the client's address to `X-Forwarded-For`: `req.ip` is then the
   * address the nearest of them saw. @default 0 (the connection's address)
   */
  readonly trustedProxies?: number;
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * An express app with the suite's conventions: `GET /healthz` (the process is alive),
 * `GET /readyz` (its dependencies answer), JSON bodies only and within a size limit, and every
 * error as `application/problem+json`, never a stack trace.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every body into a weak ETag; ETags here mean aggregate versions only.
  app.disable('etag');
  if (options.trustedProxies) app.set('trust proxy', options.trustedProxies);
  app.use(requestLog(options.logger, options.metrics && requestDurations(options.metrics)));
  if (options.metrics && options.serveMetrics !== false) app.get('/metrics', metricsHandler(options.metrics));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', readinessHandler(options.readiness ?? [], options.readinessTimeoutMs ?? 2_000));
  app.use(requireJsonBody);
  app.use(express.json({ limit: options.bodyLimitBytes, strict: true, type: JSON_TYPES }));
  const methodsByPath = new Map<string, Set<string>>();
  options.routes?.(withNamedRoutes(app, methodsByPath));
  // A path served for other methods answers 405 naming them (RFC 9110 §15.5.6), not 404.
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].join(', ');
    app.all(path, (req) => {
      throw HttpProblem.generic(
        'method-not-allowed',
        `${req.method} is not served at ${req.path}; use ${allow}`,
        {
          headers: { Allow: allow },
        },
      );
    });
  }
  app.use((req) => {
    throw HttpProblem.generic('not-found', `No resource at ${req.method} ${req.path}`);
  });
  app.use(problemHandler(options.logger));
  return app;
}

const ROUTE_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The app, its routes registered so that each first names the request after its path (the trace's
 * server span becomes `GET /orders/:orderId`; see nameHttpRoute); each path's methods are noted
 * in `methodsByPath`.
 */
function withNamedRoutes(app: Express, methodsByPath: Map<string, Set<string>>): Express {
  for (const method of ROUTE_METHODS) {
    const register = app[method].bind(app) as (path: unknown, ...handlers: unknown[]) => Express;
    app[method] = ((path: unknown, ...handlers: unknown[]) => {
      // `app.get(name)` with nothing more reads a setting.
      if (handlers.length === 0 || typeof path !== 'string') return register(path, ...handlers);
      const methods = methodsByPath.get(path) ?? new Set<string>();
      methods.add(method.toUpperCase());
      methodsByPath.set(path, methods);
      const naming: RequestHandler = (_req, _res, next) => {
        nameHttpRoute(path);
        next();
      };
      return register(path, naming, ...handlers);
    }) as Express[typeof method];
  }
  return app;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !req.is(JSON_TYPES)) {
    throw HttpProblem.generic(
      'unsupported-media-type',
      `Content-Type ${req.headers['content-type'] ?? '(none)'} is not accepted; send application/json`,
    );
  }
  next();
};

function readinessHandler(checks: readonly ReadinessCheck[], timeoutMs: number): RequestHandler {
  return async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs, name);
          return { name, ok: true as const };
        } catch (error) {
          return { name, ok: false as const, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const checksBody = Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.error]));
    const failing = results.filter((r) => !r.ok).map((r) => r.name);
    if (failing.length === 0) {
      res.json({ status: 'ready', checks: checksBody });
      return;
    }
    const problem = HttpProblem.generic('not-ready', `Not answering: ${failing.join(', ')}`, {
      extensions: { checks: checksBody },
    });
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).json(problem.body('/readyz'));
  };
}

/** Errors raised by express's JSON body parser carry a `type` naming what went wrong. */
function fromBodyParser(error: unknown): HttpProblem | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.too.large':
      return HttpProblem.generic('payload-too-large', 'The request body exceeds the size limit');
    case 'entity.parse.failed':
      return HttpProblem.generic('malformed-json', 'The request body could not be parsed as JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return HttpProblem.generic('unsupported-media-type', 'The request body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return HttpProblem.generic('invalid-request', 'The request body was incomplete');
    default:
      return undefined;
  }
}

function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let problem = error instanceof HttpProblem ? error : fromBodyParser(error);
    if (!problem) {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
      problem = HttpProblem.generic('internal', 'The request could not be completed');
    }
    res
      .set(problem.headers)
      .status(problem.status)
      .type(PROBLEM_CONTENT_TYPE)
      .json(problem.body(req.originalUrl));
  };
}

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Logs every request when it finishes, with the ids its handling learnt (a command's id, say)
 * and its trace: the request runs in a log context of its own, read again at the end because
 * the finish event fires outside of it. Commands and failed requests are logged at info;
 * answered reads at debug: a gateway serves thousands a second, for which a line each cost more
 * CPU than the read (their durations are in the metrics, their traces sampled).
 */
function requestLog(logger: Logger, durations?: Histogram<'method' | 'route' | 'status'>): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    withLogContext({}, () => {
      const { traceId, spanId } = currentLogFields();
      const ids = currentLogContext();
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        // The route's pattern, not the path, so that ids do not make a series each.
        const route = req.route
          ? `${req.baseUrl}${String((req.route as { path: unknown }).path)}`
          : 'unmatched';
        durations?.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
        const entry = {
          ...ids,
          traceId,
          spanId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: seconds * 1e3,
        };
        const answeredRead = READ_METHODS.has(req.method) && res.statusCode < 400;
        if (QUIET_PATHS.has(req.path) || answeredRead) logger.debug(entry, 'request');
        else logger.info(entry, 'request');
      });
      next();
    });
  };
}

function requestDurations(registry: MetricsRegistry): Histogram<'method' | 'route' | 'status'> {
  const name = 'http_server_request_duration_seconds';
  return (
    (registry.getSingleMetric(name) as Histogram<'method' | 'route' | 'status'> | undefined) ??
    new Histogram({
      name,
      help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    })
  );
}

function metricsHandler(registry: MetricsRegistry): RequestHandler {
  return async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
}
