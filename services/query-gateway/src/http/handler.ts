import { authorize, principalOf } from '@cqrs-shop/auth';
import type { ConsistencyTokens } from '@cqrs-shop/events';
import type { EventStage } from '@cqrs-shop/outbox';
import { HttpProblem } from '@cqrs-shop/http';
import { parseInput } from '@cqrs-shop/http';
import type { RequestLimits } from '@cqrs-shop/rate-limit';
import type { Request, RequestHandler, Response } from 'express';
import {
  awaitApplied,
  CONSISTENCY_HEADER,
  parseConsistencyTokens,
  waitBudgetMs,
  type Unmet,
} from '../consistency.js';
import type { GatewayMetrics } from '../gateway-metrics.js';
import type { ProjectionStatus, ProjectionStatusMonitor } from '../projection-status.js';
import type { ReaderDirectory, VersionChoice } from '../read-model-directory.js';
import type { SearchVisibility } from '../search-visibility.js';
import type { ReadModelName, StoreGuard } from '../store-guard.js';
import { QUERY_ACCESS } from './access.js';
import { ifNoneMatchHolds } from './conditional.js';
import { JsonText, type QueryRoute } from './routes.js';
import { modelVersionQuery } from './schemas.js';

export interface QueryHandlerOptions {
  /** The readers of every version of the read models. */
  readonly directory: ReaderDirectory;
  /** The currency of sales figures when a request names none. */
  readonly defaultCurrency: string;
  /** Shares search refreshes among reads with consistency tokens. */
  readonly searchVisibility: SearchVisibility;
  readonly guards: Readonly<Record<ReadModelName, StoreGuard>>;
  readonly monitor: ProjectionStatusMonitor;
  readonly consistency: {
    readonly waitMs: number;
    readonly maxWaitMs: number;
    /** Checks that a token was signed by the command service. */
    readonly tokens: ConsistencyTokens;
  };
  /**
   * Where a committed event is on its way (asked of the relay) when a consistency wait times
   * out, so the answer can say whether it is still in the outbox or in Kafka, not yet applied.
   */
  readonly eventStage?: (aggregate: string, version: number) => Promise<EventStage | 'unknown'>;
  readonly metrics?: GatewayMetrics;
  /** Caps a caller's concurrent consistency waits; none: no cap. */
  readonly limits?: RequestLimits;
}

/** What each stage of an event's way means for a reader who waits for it. */
const STAGE_TEXT: Record<EventStage | 'unknown', string> = {
  unpublished: 'is still in the outbox, not yet published to Kafka',
  quarantined: 'is held in the outbox quarantine (the relay could not publish it; see cqrs outbox list)',
  published: 'is in Kafka; the projection has not applied it yet',
  'not-committed': 'was never committed (no such version of the aggregate exists)',
  unknown: 'may still be in the outbox (the relay did not answer)',
};

/** Response headers naming the read model that answered and how far behind its projection is. */
export const FRESHNESS_HEADERS = {
  readModel: 'X-Read-Model',
  lagEvents: 'X-Projection-Lag-Events',
  lagSeconds: 'X-Projection-Lag-Seconds',
  /** The version of the read model that answered. */
  modelVersion: 'X-Read-Model-Version',
} as const;

function setFreshness(res: Response, readModel: ReadModelName, status: ProjectionStatus | undefined): void {
  res.set(FRESHNESS_HEADERS.readModel, readModel);
  res.set(FRESHNESS_HEADERS.lagEvents, status?.lagEvents == null ? 'unknown' : String(status.lagEvents));
  res.set(
    FRESHNESS_HEADERS.lagSeconds,
    status?.lagSeconds == null ? 'unknown' : status.lagSeconds.toFixed(3),
  );
}

function notYetApplied(
  readModel: ReadModelName,
  unmet: readonly (Unmet & { stage?: EventStage | 'unknown' })[],
  waitedMs: number,
  status: ProjectionStatus | undefined,
): HttpProblem {
  const retryAfter = Math.min(60, Math.max(1, Math.ceil(status?.lagSeconds ?? 1)));
  const where = unmet
    .flatMap((u) => (u.stage ? [`${u.aggregate} version ${u.version} ${STAGE_TEXT[u.stage]}`] : []))
    .join('; ');
  return new HttpProblem({
    code: 'not-yet-consistent',
    status: 503,
    title: 'The read model has not applied the change yet',
    detail:
      `The ${readModel} projection had not applied ${unmet.map((u) => `${u.aggregate} version ${u.version}`).join(', ')} ` +
      `after ${waitedMs} ms${where === '' ? '' : ` (${where})`}; retry later`,
    extensions: {
      readModel,
      waitedMs,
      unmet,
      lag: { events: status?.lagEvents ?? null, seconds: status?.lagSeconds ?? null },
    },
    headers: { 'Retry-After': String(retryAfter) },
  });
}

/**
 * Serves one query: validates its inputs, waits for the changes named by consistency tokens
 * (or answers 503 when they are not applied in time), runs it against its read model within
 * the store guard, and says how fresh the answer is.
 */
export function queryHandler(route: QueryRoute, options: QueryHandlerOptions): RequestHandler {
  const guard = options.guards[route.readModel];
  const rule = QUERY_ACCESS[route.operationId];
  const what = `read: ${route.summary.charAt(0).toLowerCase()}${route.summary.slice(1)}`;
  const serve = async (req: Request, res: Response) => {
    const access = authorize(res, rule, what);
    const params = parseInput(route.params, req.params, 'path');
    const { modelVersion, ...routeQuery } = req.query;
    const choice: VersionChoice =
      parseInput(modelVersionQuery, { modelVersion }, 'query').modelVersion ?? 'live';
    const query = parseInput(route.query, routeQuery, 'query');
    const points = parseConsistencyTokens(req.get(CONSISTENCY_HEADER), options.consistency.tokens);
    const chosen = await guard.call(() => options.directory.choose(route.readModel, choice));
    const reader = chosen.readers[route.readModel];
    if (points.length > 0) {
      const budget = waitBudgetMs(
        req.get('Prefer'),
        options.consistency.waitMs,
        options.consistency.maxWaitMs,
      );
      const started = Date.now();
      const wait = () => awaitApplied(reader, points, budget, (work) => guard.call(work));
      const unmet = options.limits
        ? await options.limits.duringWait(principalOf(res).subject, budget, wait)
        : await wait();
      options.metrics?.recordWait(unmet.length > 0 ? 'timeout' : 'satisfied', (Date.now() - started) / 1_000);
      if (unmet.length > 0)
        throw notYetApplied(
          route.readModel,
          await withStages(unmet, options.eventStage),
          Date.now() - started,
          options.monitor.cached(route.readModel),
        );
      // Search sees a write only after a refresh; reads by id see it at once.
      const confirmedAt = performance.now();
      if (route.readModel === 'search')
        await guard.call(() => options.searchVisibility.visibleAfter(confirmedAt));
    }
    const context = { readers: chosen.readers, defaultCurrency: options.defaultCurrency, access };
    const body = await guard.call(() => route.run({ params, query }, context));
    setFreshness(res, route.readModel, options.monitor.cached(route.readModel));
    if (chosen.version !== null) res.set(FRESHNESS_HEADERS.modelVersion, String(chosen.version));
    if (!(body instanceof JsonText)) {
      res.json(body);
      return;
    }
    if (body.revision !== undefined) {
      const etag = `"${chosen.version ?? 0}.${body.revision}"`;
      res.set('ETag', etag);
      // A client that holds this very answer is told so, without the body.
      if (ifNoneMatchHolds(req.get('If-None-Match'), etag)) {
        res.status(304).end();
        return;
      }
    }
    res.type('json').send(body.text);
  };
  return async (req: Request, res: Response) => {
    try {
      await serve(req, res);
    } catch (error) {
      if (error instanceof HttpProblem && error.code === 'store-unavailable')
        options.metrics?.recordReadModelError(route.readModel);
      throw error;
    }
  };
}

/** The unmet points, each with where its event is, when the relay can be asked (a few at most). */
async function withStages(
  unmet: readonly Unmet[],
  eventStage: QueryHandlerOptions['eventStage'],
): Promise<(Unmet & { stage?: EventStage | 'unknown' })[]> {
  if (!eventStage) return [...unmet];
  return Promise.all(
    unmet.map(async (point, i) =>
      i < 10 ? { ...point, stage: await eventStage(point.aggregate, point.version) } : point,
    ),
  );
}
