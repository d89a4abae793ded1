import { createHash, randomUUID } from 'node:crypto';
import { type Authentication, authenticate, principalOf } from '@cqrs-shop/auth';
import type { Rate } from '@cqrs-shop/config';
import { HttpProblem } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
import { Counter, type MetricsRegistry } from '@cqrs-shop/telemetry';
import type { Request, RequestHandler, Response } from 'express';
import type { RateLimitSettings } from './config.js';
import type { Charge, RateLimiter } from './limiter.js';

/** How often a limiter that cannot reach Redis says so in the log. */
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

const tooMany = (detail: string, headers: Record<string, string>) =>
  HttpProblem.generic('too-many-requests', detail, { headers });

/** A caller's key in Redis: a digest of its subject, so that any subject makes a short, safe key. */
const callerKey = (subject: string) =>
  `sub:${createHash('sha256').update(subject).digest('base64url').slice(0, 22)}`;

/** The fields a 429 carries (draft-ietf-httpapi-ratelimit-headers and RFC 9110), for OpenAPI documents. */
export const OPENAPI_RATE_LIMIT_HEADERS = {
  'Retry-After': { description: 'Seconds until one more request is allowed', schema: { type: 'string' } },
  'RateLimit-Policy': {
    description: 'The budget: `"<name>";q=<requests>;w=<seconds>`',
    schema: { type: 'string' },
  },
  RateLimit: {
    description: 'What is left of it: `"<name>";r=<requests>;t=<seconds>`',
    schema: { type: 'string' },
  },
} as const;

/** The fields of draft-ietf-httpapi-ratelimit-headers: the policy, and what is left of it. */
function rateLimitHeaders(name: string, rate: Rate, charge: Charge): Record<string, string> {
  return {
    'RateLimit-Policy': `"${name}";q=${rate.limit};w=${Math.ceil(rate.windowMs / 1_000)}`,
    RateLimit: `"${name}";r=${charge.remaining};t=${Math.ceil(charge.resetMs / 1_000)}`,
  };
}

/**
 * The request limits of one API, as express middleware: a budget per caller, one per client
 * address for requests that bring no valid token, and a cap on a caller's concurrent
 * consistency waits. When Redis does not answer, requests go through unlimited (and the log
 * and `shop_rate_limit_unavailable_total` say so): a rate limit must not take an API down.
 */
export class RequestLimits {
  private readonly limited: Counter<'budget'>;
  private readonly unavailable: Counter;
  private lastUnavailableLog = 0;

  /**
   * `api` names the budgets (`commands`, `queries`) and the one per address of each API
   * (`unauthenticated-commands`, …): an address spending one API's does not spend the other's.
   */
  constructor(
    private readonly api: 'commands' | 'queries',
    private readonly limiter: RateLimiter,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
    registry: MetricsRegistry,
  ) {
    this.limited = new Counter({
      name: 'shop_rate_limited_total',
      help: 'Requests refused with 429, by budget (commands or queries per caller, unauthenticated-… per address, consistency-waits).',
      labelNames: ['budget'],
      registers: [registry],
    });
    this.unavailable = new Counter({
      name: 'shop_rate_limit_unavailable_total',
      help: 'Requests let through unlimited because Redis did not answer the rate limiter.',
      registers: [registry],
    });
  }

  /**
   * What every route of the API puts first: authentication (a refused token spends its
   * address's budget), then the caller's budget.
   */
  guarding(authentication: Authentication): RequestHandler[] {
    return [
      authenticate(authentication, this.beforeUnauthenticated),
      this.perCaller((res) => principalOf(res).subject),
    ];
  }

  /** After authentication: charges the budget of the caller `subjectOf` names. */
  perCaller(subjectOf: (res: Response) => string): RequestHandler {
    const rate = this.settings.perCaller;
    if (rate === null)
      return (_req, _res, next) => {
        next();
      };
    return async (_req, res, next) => {
      await this.enforce(
        res,
        this.api,
        rate,
        callerKey(subjectOf(res)),
        `Too many ${this.api} from this caller`,
      );
      next();
    };
  }

  /**
   * For a request about to be answered 401: charges its client address, and answers 429
   * instead once the address has spent its budget (guessing tokens costs the guesser).
   */
  readonly beforeUnauthenticated = async (req: Request, res: Response): Promise<void> => {
    const rate = this.settings.unauthenticated;
    if (rate === null) return;
    await this.enforce(
      res,
      `unauthenticated-${this.api}`,
      rate,
      `ip:${req.ip ?? 'unknown'}`,
      'Too many requests without a valid token from this address',
    );
  };

  /**
   * Runs `wait` (a read waiting on consistency tokens) unless the caller has as many waiting
   * already, over every replica; then 429 at once.
   */
  async duringWait<T>(subject: string, longestMs: number, wait: () => Promise<T>): Promise<T> {
    const cap = this.settings.consistencyWaits;
    if (cap === 0) return wait();
    const caller = callerKey(subject);
    const id = randomUUID();
    // A little beyond the longest wait: the entry must outlive the wait it counts.
    const entered = await this.limiter.enter(caller, id, cap, longestMs + 5_000).catch((error: unknown) => {
      this.noteUnavailable(error);
      return null;
    });
    if (entered === false) {
      this.limited.inc({ budget: 'consistency-waits' });
      throw tooMany(`This caller has ${cap} reads waiting on consistency tokens already`, {
        'Retry-After': '1',
      });
    }
    try {
      return await wait();
    } finally {
      if (entered)
        await this.limiter.leave(caller, id).catch((error: unknown) => {
          this.noteUnavailable(error);
        });
    }
  }

  private async enforce(res: Response, name: string, rate: Rate, caller: string, refusal: string) {
    let charge: Charge;
    try {
      charge = await this.limiter.charge(name, rate, caller);
    } catch (error) {
      this.noteUnavailable(error);
      return;
    }
    const headers = rateLimitHeaders(name, rate, charge);
    if (charge.allowed) {
      res.set(headers);
      return;
    }
    this.limited.inc({ budget: name });
    throw tooMany(`${refusal}; retry after the time Retry-After gives`, {
      ...headers,
      'Retry-After': String(Math.max(1, Math.ceil(charge.retryAfterMs / 1_000))),
    });
  }

  private noteUnavailable(error: unknown): void {
    this.unavailable.inc();
    const now = Date.now();
    if (now - this.lastUnavailableLog < UNAVAILABLE_LOG_INTERVAL_MS) return;
    this.lastUnavailableLog = now;
    this.logger.warn({ err: error }, 'rate limits not enforced: Redis does not answer');
  }
}
