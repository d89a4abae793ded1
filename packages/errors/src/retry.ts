import { ShopError } from './shop-error.js';

/**
 * Whether trying again later can help: a {@link ShopError} that says so, an error of a client
 * library that says so (kafkajs marks its errors `retriable`), or a store that is away or
 * overloaded for now ({@link isTransientStoreError}). Anything else fails the same way again.
 */
export function canRetry(error: unknown): boolean {
  if (error instanceof ShopError) return error.canRetry;
  if (typeof error !== 'object' || error === null) return false;
  return ('retriable' in error && error.retriable === true) || isTransientStoreError(error);
}

/**
 * Whether a store's error says it is away or overloaded for now — a refused or lost connection,
 * a server shutting down, failing over, loading, busy or out of memory — rather than that the
 * change is wrong. The runtime waits such errors out and never parks an aggregate for them.
 * Recognised by the shapes the MongoDB, Elasticsearch and Redis clients give their errors (and
 * FerretDB's when its PostgreSQL is away), without importing them.
 */
export function isTransientStoreError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, message, errorLabels, meta } = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    errorLabels?: unknown;
    meta?: { statusCode?: unknown };
  };
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (typeof code === 'number' && MONGODB_TRANSIENT_CODES.has(code)) return true;
  if (
    Array.isArray(errorLabels) &&
    errorLabels.some((label: unknown) => typeof label === 'string' && MONGODB_TRANSIENT_LABELS.has(label))
  )
    return true;
  if (typeof meta?.statusCode === 'number' && TRANSIENT_HTTP_STATUSES.has(meta.statusCode)) return true;
  return typeof message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
}

const TRANSIENT_NAMES = new Set([
  // MongoDB driver
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  // Elasticsearch client
  'ConnectionError',
  'TimeoutError',
  'NoLivingConnectionsError',
  // ioredis
  'MaxRetriesPerRequestError',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown, … */
const MONGODB_TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
const MONGODB_TRANSIENT_LABELS = new Set(['RetryableWriteError', 'TransientTransactionError', 'ResetPool']);

/** Too many requests, and a proxy or node that cannot answer now. */
const TRANSIENT_HTTP_STATUSES = new Set([429, 502, 503, 504]);

const TRANSIENT_MESSAGES = [
  // Redis replies for a server that cannot take the command now.
  /^(READONLY|LOADING|BUSY|OOM|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/,
  // ioredis, once its connection is gone.
  /^Connection is closed\.$/,
  // FerretDB when its PostgreSQL does not answer or went away.
  /failed to connect to|connection refused|terminating connection|conn closed|unexpected EOF/,
];
