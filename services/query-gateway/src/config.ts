import { authSection } from '@cqrs-shop/auth';
import { rateLimitSection } from '@cqrs-shop/rate-limit';
import {
  consistencyTokenSection,
  elasticsearchSection,
  type Environment,
  httpSection,
  loadConfig,
  mongodbSection,
  redisSection,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';
import { service, serviceUrlsSection } from '@cqrs-shop/service-registry';

/** How the gateway waits and times out. */
const gatewaySection = section(
  {
    /** How long a read with a consistency token waits for its projection by default. @default 2s */
    GATEWAY_CONSISTENCY_WAIT: variable.duration({ default: 2_000, max: 60_000 }),
    /** The longest wait a client may ask for with `Prefer: wait=<seconds>`. @default 10s */
    GATEWAY_CONSISTENCY_MAX_WAIT: variable.duration({ default: 10_000, max: 60_000 }),
    /** Time one store call may take before the route answers 503. @default 1s */
    GATEWAY_STORE_TIMEOUT: variable.duration({ default: 1_000, max: 60_000 }),
    /** After store calls failed three times in a row, how long routes on that store fail at once. @default 1s */
    GATEWAY_STORE_COOLDOWN: variable.duration({ default: 1_000, max: 60_000 }),
    /**
     * Calls to one store at the same time; the others wait their turn. More lets a store use
     * more cores for cheap reads, and makes an expensive one wait longer for the store. @default 16
     */
    GATEWAY_STORE_CONCURRENCY: variable.integer({ min: 1, max: 10_000, default: 16 }),
    /** Calls waiting their turn per store; one more answers 503 store-busy at once. @default 512 */
    GATEWAY_STORE_QUEUE: variable.integer({ min: 0, max: 100_000, default: 512 }),
    /** The currency of `GET /stats/sales` when the request names none. @default EUR */
    GATEWAY_DEFAULT_CURRENCY: variable.string({ default: 'EUR' }),
    /** How often the projectors' lag is fetched for the freshness headers. @default 1s */
    GATEWAY_LAG_REFRESH: variable.duration({ default: 1_000, max: 60_000 }),
    /** Link from `GET /ops` to a command's trace: a URL with `{commandId}` in it. @default (none) */
    TRACE_SEARCH_URL_TEMPLATE: variable.url({ protocols: ['http:', 'https:'], default: '' }),
  },
  (v) => ({
    consistencyWaitMs: v.GATEWAY_CONSISTENCY_WAIT,
    consistencyMaxWaitMs: v.GATEWAY_CONSISTENCY_MAX_WAIT,
    storeTimeoutMs: v.GATEWAY_STORE_TIMEOUT,
    storeCooldownMs: v.GATEWAY_STORE_COOLDOWN,
    storeConcurrency: v.GATEWAY_STORE_CONCURRENCY,
    storeQueue: v.GATEWAY_STORE_QUEUE,
    defaultCurrency: v.GATEWAY_DEFAULT_CURRENCY,
    lagRefreshMs: v.GATEWAY_LAG_REFRESH,
    traceSearchUrlTemplate: v.TRACE_SEARCH_URL_TEMPLATE === '' ? undefined : v.TRACE_SEARCH_URL_TEMPLATE,
  }),
  (v) => [
    ...(/^[A-Z]{3}$/.test(v.GATEWAY_DEFAULT_CURRENCY)
      ? []
      : [{ variable: 'GATEWAY_DEFAULT_CURRENCY', message: 'must be an ISO 4217 code such as EUR' }]),
    ...(v.GATEWAY_CONSISTENCY_WAIT <= v.GATEWAY_CONSISTENCY_MAX_WAIT
      ? []
      : [
          {
            variable: 'GATEWAY_CONSISTENCY_WAIT',
            message: 'must not be longer than GATEWAY_CONSISTENCY_MAX_WAIT',
          },
        ]),
    ...(v.TRACE_SEARCH_URL_TEMPLATE === '' || v.TRACE_SEARCH_URL_TEMPLATE.includes('{commandId}')
      ? []
      : [
          {
            variable: 'TRACE_SEARCH_URL_TEMPLATE',
            message: 'must contain {commandId}, where the command id goes',
          },
        ]),
  ],
);

export function loadServiceConfig(env: Environment) {
  return loadConfig(
    {
      runtime: runtimeSection,
      http: httpSection(service('query-gateway')),
      mongodb: mongodbSection,
      elasticsearch: elasticsearchSection,
      redis: redisSection,
      gateway: gatewaySection,
      /** Where the projectors (lag, `GET /projections`) and the relay (the outbox backlog) answer. */
      services: serviceUrlsSection({ localDefaults: true }),
      auth: authSection,
      consistencyTokens: consistencyTokenSection,
      rateLimits: rateLimitSection('queries'),
    },
    env,
  );
}

export type GatewayConfig = ReturnType<typeof loadServiceConfig>;
