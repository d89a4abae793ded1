import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { eventTopics } from '@cqrs-shop/events';
import { unlinkMatching } from '@cqrs-shop/read-models';
import {
  type ProjectorName,
  PROJECTORS,
  service as registryEntry,
  SERVICES,
  type ServiceEntry,
  type ServiceName,
} from '@cqrs-shop/service-registry';
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { createScratchDatabase, type ScratchDatabase } from './database.js';
import { type TestIdentity, testIdentity } from './identity.js';
import { type ServiceProcess, startService } from './process.js';
import { uniqueName, waitFor } from './wait.js';

/** The suite's services, in the order they start (the registry's order). */
export const SUITE_SERVICES: readonly ServiceName[] = SERVICES.map((entry) => entry.name);

export type SuiteService = ServiceName;
export type ProjectorService = ProjectorName;

export interface HttpAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

async function request<T>(url: string, init: RequestInit = {}): Promise<HttpAnswer<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/**
 * The whole suite as real processes (command service, relay, three projectors, gateway), on
 * stores and topics of its own: a scratch MySQL database, a topic prefix, a MongoDB database,
 * an index prefix and a Redis key prefix, all removed again by `close()`. Ports are fixed at
 * start, so a service that is killed and started again is found where it was.
 */
export async function startSuite(
  options: {
    /** Settings of one service, on top of the suite's. */
    env?: Partial<Record<SuiteService, Record<string, string>>>;
    /** Settings every service gets (tracing's OTEL_* variables, say). */
    envForAll?: Record<string, string>;
    /** Whose tokens the APIs trust. @default the test process's {@link testIdentity} */
    identity?: TestIdentity;
  } = {},
) {
  const identity = options.identity ?? testIdentity();
  const database: ScratchDatabase = await createScratchDatabase('shop_test_suite');
  const name = uniqueName('suite');
  const names = {
    database: database.name,
    topicPrefix: `${name}.`,
    mongoDatabase: name,
    indexPrefix: name,
    keyPrefix: `${name}:`,
    /** The consumer group of a projector's version 1, as it was last started. */
    groupId: (service: SuiteService) => overrides.get(service)?.PROJECTOR_GROUP_ID ?? `${name}.${service}`,
  };
  /** Settings a service was last started with on top of its defaults (see `start`). */
  const overrides = new Map<SuiteService, Record<string, string>>();
  const ports = Object.fromEntries(
    await Promise.all(SUITE_SERVICES.map(async (service) => [service, await freePort()] as const)),
  ) as Record<SuiteService, number>;
  const adminPorts = Object.fromEntries(
    await Promise.all(
      (SERVICES as readonly ServiceEntry[])
        .filter((entry) => entry.admin !== undefined)
        .map(async (entry) => [entry.name, await freePort()] as const),
    ),
  ) as Partial<Record<SuiteService, number>>;
  const url = (service: SuiteService) => `http://127.0.0.1:${ports[service]}`;
  /** Where a service serves `/metrics` and its admin routes. */
  const adminUrl = (service: SuiteService) => `http://127.0.0.1:${adminPorts[service] ?? ports[service]}`;
  /** Its port settings: the API's and, for the two APIs, the admin listener's. */
  const portSettings = (service: SuiteService, port: number, adminPort = adminPorts[service]) => {
    const entry: ServiceEntry = registryEntry(service);
    const adminVariable = entry.admin?.variable;
    return {
      [entry.port.variable]: String(port),
      ...(adminVariable === undefined ? {} : { [adminVariable]: String(adminPort ?? 0) }),
    };
  };
  /** What every service is given: the stores' settings, pointed at this suite's own names. */
  const env: Record<string, string> = {
    ...database.env,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
    KAFKA_TOPIC_PREFIX: names.topicPrefix,
    MONGODB_URL: process.env.MONGODB_URL ?? '',
    MONGODB_DATABASE: names.mongoDatabase,
    ELASTICSEARCH_URL: process.env.ELASTICSEARCH_URL ?? '',
    ELASTICSEARCH_INDEX_PREFIX: names.indexPrefix,
    REDIS_URL: process.env.REDIS_URL ?? '',
    REDIS_KEY_PREFIX: names.keyPrefix,
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.SUITE_LOG_LEVEL ?? 'warn',
    // Every request is charged, but no budget runs out (e2e/rate-limits.e2e.test.ts sets small ones).
    RATE_LIMIT_COMMANDS: '1000000/1s',
    RATE_LIMIT_QUERIES: '1000000/1s',
    RATE_LIMIT_UNAUTHENTICATED: '1000000/1s',
    RATE_LIMIT_CONSISTENCY_WAITS: '100000',
    ...identity.env,
    ...options.envForAll,
  };
  const serviceEnv = (service: SuiteService): Record<string, string> => ({
    ...env,
    ...portSettings(service, ports[service]),
    ...(service === 'command-service' ? { MIGRATE_ON_START: 'true' } : {}),
    // Groups of its own: members of one group on other suites' topics would share its partitions.
    ...(service.startsWith('projector-') ? { PROJECTOR_GROUP_ID: `${name}.${service}` } : {}),
    ...(service === 'query-gateway'
      ? {
          // Where it finds the relay and the projectors.
          ...Object.fromEntries(
            (SERVICES as readonly ServiceEntry[]).flatMap((entry) =>
              entry.urlVariable === undefined ? [] : [[entry.urlVariable, url(entry.name as ServiceName)]],
            ),
          ),
          GATEWAY_LAG_REFRESH: '200ms',
        }
      : {}),
    ...options.env?.[service],
    ...overrides.get(service),
  });
  const running = new Map<SuiteService, ServiceProcess>();
  const replicas: ServiceProcess[] = [];
  /** Starts a service; `env` adds settings that stay for later restarts too. */
  const start = async (service: SuiteService, env?: Record<string, string>): Promise<ServiceProcess> => {
    if (env) overrides.set(service, { ...overrides.get(service), ...env });
    const process = startService(service, serviceEnv(service));
    running.set(service, process);
    await waitFor(
      `${service} to answer`,
      async () => {
        if (process.child.exitCode !== null)
          throw new Error(`${service} exited: ${process.output().slice(-2_000)}`);
        return (await fetch(`${url(service)}/healthz`)).ok;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    return process;
  };

  try {
    // The command service applies the migrations; the others may then start together.
    await start('command-service');
    await Promise.all(SUITE_SERVICES.slice(1).map((service) => start(service)));
    // Ready for tests once the gateway sees every projector and each store has answered once.
    await waitFor(
      'the gateway to reach every projector and store',
      async () => {
        const answer = await fetch(`${adminUrl('query-gateway')}/projections`, {
          headers: await identity.bearer(['ops']),
        });
        const { projections } = (await answer.json()) as {
          projections: { name: string; reachable: boolean }[];
        };
        const unreachable = projections.filter((p) => !p.reachable).map((p) => p.name);
        // Thrown, not returned: a timeout then says what was still missing.
        if (unreachable.length > 0) throw new Error(`projectors not reached: ${unreachable.join(', ')}`);
        const staff = await identity.bearer(['staff']);
        const warm = await Promise.all(
          ['/stats/sales', '/search/products?limit=1', `/customers/${randomUUID()}/orders?limit=1`].map(
            async (path) =>
              [path, (await fetch(`${url('query-gateway')}${path}`, { headers: staff })).status] as const,
          ),
        );
        const failing = warm.filter(([, status]) => status !== 200);
        if (failing.length > 0)
          throw new Error(
            `reads not answered yet: ${failing.map(([path, status]) => `${path} ${status}`).join(', ')}`,
          );
        return true;
      },
      // Generous: on a loaded machine, six processes starting at once take their time.
      { timeoutMs: 120_000, intervalMs: 200 },
    );
  } catch (error) {
    await Promise.all([...running.values()].map((p) => p.stop('SIGKILL')));
    await database.drop();
    throw error;
  }

  /**
   * A call as a real client makes it: with the token of the principal the route needs (see
   * {@link TestIdentity.headersFor}) unless `headers` has an `Authorization` of its own; an
   * empty one sends none.
   */
  const send = async <T>(
    service: SuiteService,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<T>> => {
    const { Authorization: explicit, ...rest } = headers;
    const authorization = await identity.authorization(method, path, body, explicit);
    const answer = await request<T>(`${url(service)}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...authorization,
        ...rest,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (service === 'command-service' && answer.status < 300)
      identity.noteAnswer(method, path, body, answer.body);
    return answer;
  };

  /**
   * Waits until the outbox is published and each projector's group (the live version's, as the
   * projector reports it) has committed every event on its topics: then its read model holds
   * everything the write side has committed.
   */
  async function caughtUp(
    projectors: readonly ProjectorService[] = PROJECTORS.map((entry) => entry.name),
    timeoutMs = 180_000,
  ): Promise<void> {
    await waitFor(
      'the outbox to be published',
      async () => {
        const [rows] = await database.connection.query(
          'SELECT COUNT(*) AS n FROM outbox WHERE published_at IS NULL',
        );
        return Number((rows as { n: number }[])[0]?.n) === 0;
      },
      { timeoutMs, intervalMs: 100 },
    );
    const kafka = new Kafka({ brokers: env.KAFKA_BROKERS?.split(',') ?? [], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = eventTopics(names.topicPrefix);
      for (const projector of projectors) {
        const read = registryEntry(projector).projection.reads.map((type) => topics[type]);
        await waitFor(
          `${projector} to apply every event`,
          async () => {
            const status = await fetch(`${url(projector)}/projection`).then(
              async (answer) =>
                (await answer.json()) as {
                  running: boolean;
                  groupId?: string;
                  version: number | null;
                  liveVersion: number | null;
                },
              () => undefined,
            );
            // After a switch, the projector must have followed the pointer to the live version.
            if (!status?.running || status.groupId === undefined || status.version !== status.liveVersion)
              return false;
            const committed = await admin.fetchOffsets({ groupId: status.groupId, topics: read });
            for (const topic of read) {
              const ends = await admin.fetchTopicOffsets(topic);
              const offsets = committed.find((c) => c.topic === topic)?.partitions ?? [];
              for (const { partition, high, low } of ends) {
                const at = Number(offsets.find((o) => o.partition === partition)?.offset ?? -1);
                if ((at < 0 ? Number(low) : at) < Number(high)) return false;
              }
            }
            return true;
          },
          { timeoutMs, intervalMs: 200 },
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  return {
    names,
    caughtUp,
    /** The stores' settings as environment variables, e.g. for the convergence checker. */
    env,
    database,
    url,
    /** Whose tokens the APIs trust; tests ask it for tokens of their own. */
    identity,
    /** A command through the command API. */
    command: <T = Record<string, unknown>>(
      path: string,
      body: unknown = {},
      headers: Record<string, string> = {},
    ) => send<T>('command-service', 'POST', path, body, headers),
    /** A read through the query gateway. */
    query: <T = Record<string, unknown>>(path: string, headers: Record<string, string> = {}) =>
      send<T>('query-gateway', 'GET', path, undefined, headers),
    /** A request to any service's HTTP endpoint. */
    send,
    adminUrl,
    /** A read of the gateway's admin listener (`/projections`, say) with an ops token. */
    ops: async <T = Record<string, unknown>>(path: string): Promise<HttpAnswer<T>> =>
      request<T>(`${adminUrl('query-gateway')}${path}`, { headers: await identity.bearer(['ops']) }),
    process: (service: SuiteService) => running.get(service),
    start,
    /** Stops a service with a signal (SIGKILL: a crash) and waits for the exit. */
    async stop(service: SuiteService, signal: NodeJS.Signals = 'SIGTERM') {
      const process = running.get(service);
      running.delete(service);
      return process?.stop(signal);
    },
    /**
     * Starts one more replica of a service on a port of its own (a projector's joins the same
     * consumer group, which splits the partitions between them); stopped with the suite.
     */
    async startReplica(
      service: SuiteService,
      extra: Record<string, string> = {},
    ): Promise<{ process: ServiceProcess; url: string; adminUrl: string }> {
      const port = await freePort();
      const adminPort =
        (registryEntry(service) as ServiceEntry).admin === undefined ? undefined : await freePort();
      const process = startService(service, {
        ...serviceEnv(service),
        ...portSettings(service, port, adminPort),
        ...extra,
      });
      replicas.push(process);
      const replicaUrl = `http://127.0.0.1:${port}`;
      await waitFor(
        `a replica of ${service} to answer`,
        async () => {
          if (process.child.exitCode !== null)
            throw new Error(`the replica of ${service} exited: ${process.output().slice(-2_000)}`);
          return (await fetch(`${replicaUrl}/healthz`)).ok;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      return {
        process,
        url: replicaUrl,
        adminUrl: `http://127.0.0.1:${adminPort ?? port}`,
      };
    },
    async close(): Promise<void> {
      await Promise.all([...running.values(), ...replicas].map((p) => p.stop('SIGTERM')));
      running.clear();
      await database.drop();
      const mongo = new MongoClient(env.MONGODB_URL ?? '');
      const es = new ElasticsearchClient({ node: env.ELASTICSEARCH_URL ?? '' });
      const redis = new Redis(env.REDIS_URL ?? '');
      try {
        await mongo.db(names.mongoDatabase).dropDatabase();
        await dropIndices(es, names.indexPrefix);
        // A benchmark's suite leaves keys by the hundred thousand: too many for one DEL.
        await unlinkMatching(redis, `${names.keyPrefix}*`);
        await deleteTopics(env.KAFKA_BROKERS ?? '', names.topicPrefix);
      } finally {
        await mongo.close();
        await es.close();
        redis.disconnect();
      }
    },
  };
}

export type RunningSuite = Awaited<ReturnType<typeof startSuite>>;

/**
 * Every topic under a prefix (events, dead letters), so that a stack used for many test runs
 * does not gather thousands of idle partitions, which the broker keeps tending.
 */
export async function deleteTopics(brokers: string, topicPrefix: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** Every index under a prefix, by exact name: the stack's Elasticsearch refuses wildcard deletes. */
export async function dropIndices(es: ElasticsearchClient, indexPrefix: string): Promise<void> {
  const found = await es.cat.indices({ index: `${indexPrefix}-*`, format: 'json', h: ['index'] });
  const indices = found.flatMap((row) => (row.index ? [row.index] : []));
  if (indices.length > 0) await es.indices.delete({ index: indices, ignore_unavailable: true });
}
