import {
  type Authentication,
  type AuthSettings,
  authenticate,
  authSection,
  authenticationFor,
  restrictTo,
} from '@cqrs-shop/auth';
import { hostname } from 'node:os';
import {
  type ConfigSection,
  httpSection,
  kafkaSection,
  type PortSetting,
  runtimeSection,
  section,
  variable,
} from '@cqrs-shop/config';
import { type AggregateType, deadLetterTopicFor, eventTopics } from '@cqrs-shop/events';
import { createHttpApp, listen, parseInput, type ReadinessCheck, withTimeout } from '@cqrs-shop/http';
import { createKafkaClients, type KafkaSettings } from '@cqrs-shop/kafka';
import type { Lifecycle } from '@cqrs-shop/lifecycle';
import type { Logger } from '@cqrs-shop/logging';
import { createMetricsRegistry } from '@cqrs-shop/telemetry';
import type { Express } from 'express';
import { z } from 'zod';
import { describeVersions, type VersionCatalog, type VersionRecord } from '@cqrs-shop/read-models';
import { ensureLiveVersion, LiveVersion } from './live-version.js';
import { ProjectorMetrics, registerVersionMetrics } from './metrics.js';
import { DEAD_LETTER_RETENTION_MS, type RedriveResult } from './projector.js';
import type { ProjectedEvent, ProjectionVersions } from '@cqrs-shop/read-models';

/**
 * A projector service's settings: those of every projector (runtime, its HTTP listener as its
 * registry entry gives it, Kafka, the projector's own, tokens) and its stores' sections. Its
 * first consumer group is named after it; `checkpointIntervalMs` as for {@link projectorSection}.
 */
export function projectorServiceSections<Stores extends Record<string, ConfigSection<unknown>>>(
  service: { readonly name: string; readonly port: PortSetting },
  stores: Stores,
  { checkpointIntervalMs }: { readonly checkpointIntervalMs?: number } = {},
) {
  return {
    runtime: runtimeSection,
    http: httpSection(service),
    kafka: kafkaSection,
    ...stores,
    projector: projectorSection(`cqrs-shop.${service.name}.v1`, checkpointIntervalMs),
    auth: authSection,
  };
}

/**
 * The settings every projector service shares; `defaultGroupId` names its consumer group, and
 * `defaultCheckpointIntervalMs` suits its store: 0 where the checkpoint rides in the batch's own
 * request (Redis' script), longer where it costs a request of its own.
 */
export function projectorSection(defaultGroupId: string, defaultCheckpointIntervalMs = 1_000) {
  return section(
    {
      /**
       * The consumer group of version 1, made at the very first start; a rebuilt version gets a
       * group of its own, recorded with it, which the projector takes over when it goes live.
       */
      PROJECTOR_GROUP_ID: variable.string({ default: defaultGroupId }),
      /** How often the live-version pointer is read, to follow a switch. @default 1s */
      PROJECTOR_VERSION_POLL: variable.duration({ default: 1_000, max: 60_000 }),
      /** The former name of PROJECTOR_VERSION_POLL: refused, so that a setting is not lost unseen. */
      PROJECTOR_TARGET_POLL: variable.string({ default: '' }),
      /** Attempts at an event that keeps failing for an unexplained reason, before it is parked. @default 5 */
      PROJECTOR_ATTEMPTS: variable.integer({ min: 1, max: 100, default: 5 }),
      /**
       * And the least time such an event is retried from its first failure before it is parked;
       * errors that say the store is away are waited out without limit anyway. @default 30s
       */
      PROJECTOR_RETRY_BUDGET: variable.duration({ default: 30_000, max: 3_600_000 }),
      /**
       * How long the group waits for a silent member before giving its partitions to another: a
       * crashed replica's partitions stand still this long, and so does a group whose broker restarted
       * (its old members are waited for). Heartbeats go every tenth of it. @default 6s (Kafka's least)
       */
      PROJECTOR_SESSION_TIMEOUT: variable.duration({ default: 6_000, max: 300_000 }),
      /** Partitions applied at the same time (order within each partition holds). @default 6 */
      PROJECTOR_CONCURRENCY: variable.integer({ min: 1, max: 256, default: 6 }),
      /**
       * The most events applied as one batch (one request per store). Kafka hands over what has
       * arrived; nothing waits for a batch to fill. @default 500
       */
      PROJECTOR_BATCH_SIZE: variable.integer({ min: 1, max: 10_000, default: 500 }),
      /**
       * The least time between one fetch's answer and the next fetch while events keep coming:
       * the events that follow one another closely are applied together (one fetch, one store
       * request) instead of one by one — at 50 orders/s the read side's CPU per order falls by
       * about half. An event after a quiet spell this long is applied at once; one that follows
       * another sooner waits at most this long. 0: every event as soon as it is fetched. @default 100ms
       */
      PROJECTOR_FETCH_INTERVAL: variable.duration({ default: 100, max: 5_000 }),
      /**
       * How far apart a partition's checkpoint writes in the store are at least; what was
       * applied meanwhile is replayed (and absorbed by the version guards) after a crash. 0: with
       * every batch. @default 1s (analytics: 0)
       */
      PROJECTOR_CHECKPOINT_INTERVAL: variable.duration({ default: defaultCheckpointIntervalMs, max: 60_000 }),
      /**
       * How long the projection's dead-letter topic keeps a parked event (0: forever). Dead
       * letters are copies of events, personal data included; a parked aggregate is redriven
       * from the event topics, so they are needed only to see why it was parked. @default 720h (30 days)
       */
      DEAD_LETTER_RETENTION: variable.duration({ default: DEAD_LETTER_RETENTION_MS }),
      /**
       * Where the other replicas of this projector reach this one's HTTP port, to send it a redrive
       * of an aggregate whose partition it consumes (in Kubernetes: http://$(POD_IP):<port>).
       * @default http://<HTTP_HOST, or the host name when listening on every address>:<port>
       */
      PROJECTOR_ADVERTISED_URL: variable.url({ protocols: ['http:', 'https:'], default: '' }),
    },
    (v) => ({
      groupId: v.PROJECTOR_GROUP_ID,
      attempts: v.PROJECTOR_ATTEMPTS,
      retryBudgetMs: v.PROJECTOR_RETRY_BUDGET,
      sessionTimeoutMs: v.PROJECTOR_SESSION_TIMEOUT,
      partitionsConcurrently: v.PROJECTOR_CONCURRENCY,
      batchSize: v.PROJECTOR_BATCH_SIZE,
      fetchIntervalMs: v.PROJECTOR_FETCH_INTERVAL,
      checkpointIntervalMs: v.PROJECTOR_CHECKPOINT_INTERVAL,
      deadLetterRetentionMs: v.DEAD_LETTER_RETENTION,
      advertisedUrl: v.PROJECTOR_ADVERTISED_URL === '' ? undefined : v.PROJECTOR_ADVERTISED_URL,
      versionPollMs: v.PROJECTOR_VERSION_POLL,
    }),
    (v) => [
      ...(v.PROJECTOR_SESSION_TIMEOUT >= 6_000
        ? []
        : [
            {
              variable: 'PROJECTOR_SESSION_TIMEOUT',
              message: "must be at least 6s (Kafka's smallest session by default)",
            },
          ]),
      ...(v.PROJECTOR_TARGET_POLL === ''
        ? []
        : [{ variable: 'PROJECTOR_TARGET_POLL', message: 'is now called PROJECTOR_VERSION_POLL' }]),
    ],
  );
}

const redriveBody = z.union([
  z.strictObject({
    aggregate: z
      .string()
      .regex(/^(customer|product|order):[\x21-\x7e]{1,255}$/, 'must be <aggregate type>:<aggregate id>'),
  }),
  z.strictObject({ all: z.literal(true) }),
]);

/** Marks a redrive one member sent on to the member that consumes the aggregate's partition. */
const FORWARDED_HEADER = 'x-redrive-forwarded';

/** A redrive's outcome, and the member that ran it (its advertised address; `here` for this one). */
type PlacedRedrive = RedriveResult & { readonly ranAt?: string };

/**
 * Redrives an aggregate where it must run: here when this member consumes its partition, else
 * sent on once to the member that does (a member that receives a forwarded request it cannot
 * run answers why, rather than sending it further).
 */
async function redriveWhereOwned(
  live: LiveVersion,
  aggregateKey: string,
  forwarded: boolean,
  authorization: string | undefined,
): Promise<PlacedRedrive> {
  const place = await live.placeRedrive(aggregateKey);
  if (place.kind === 'here') return { ...(await live.redrive(aggregateKey, place.source)), ranAt: 'here' };
  if (place.kind === 'unavailable') return { aggregateKey, redriven: false, reason: place.reason };
  if (forwarded)
    return {
      aggregateKey,
      redriven: false,
      reason: `its partition is consumed by member ${place.memberId} (${place.url}) now; try again`,
    };
  try {
    const answer = await fetch(new URL('/projection/redrive', place.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [FORWARDED_HEADER]: '1',
        ...(authorization === undefined ? {} : { Authorization: authorization }),
      },
      body: JSON.stringify({ aggregate: aggregateKey }),
      signal: AbortSignal.timeout(REDRIVE_TIMEOUT_MS),
    });
    const result = (await answer.json()) as PlacedRedrive;
    return { ...result, ranAt: result.ranAt === 'here' ? place.url : (result.ranAt ?? place.url) };
  } catch (error) {
    return {
      aggregateKey,
      redriven: false,
      reason: `the member at ${place.url} did not answer: ${errorText(error)}`,
    };
  }
}

/** The longest a forwarded redrive is waited for: it reads a partition of the history. */
const REDRIVE_TIMEOUT_MS = 120_000;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function describeCatalog(
  catalog: VersionCatalog,
): Promise<{ liveVersion: number | null; versions: VersionRecord[] }> {
  const [live, records] = await Promise.all([catalog.liveVersion(), catalog.records()]);
  return { liveVersion: live, versions: describeVersions(records, live) };
}

/**
 * `GET /projection`: the version projected into, lag per partition, dead letters, parked
 * aggregates, and every version of the read model with its state and rebuild progress (store
 * reads are null, with an error, while the store does not answer). `GET /projection/lag`: the
 * same without parked aggregates and versions, which are read from the store.
 * `POST /projection/redrive` `{aggregate: "order:<id>"}`: once the cause of a parking is fixed,
 * re-apply the aggregate's history and unpark it (200), or say why it stays parked (409); it
 * runs in the member of the group that consumes the aggregate's partition (any member sends it
 * there). `{all: true}`: the same for every parked aggregate (200 when all were unparked).
 * Redrives take a bearer token with the ops role; the status is open to whoever the network
 * policies let reach this port (the gateway, the monitoring namespace).
 */
export function projectionRoutes(
  live: LiveVersion,
  versions: ProjectionVersions,
  authentication: Authentication,
): (app: Express) => void {
  const positions = () => ({
    ...(live.status() ?? {
      running: false,
      storeAvailable: true,
      applied: 0,
      deadLettered: 0,
      rejoined: 0,
      lagMeasuredAt: null,
      partitions: [],
      assignment: {},
      readingFirst: [],
    }),
    version: live.version ?? null,
  });
  return (app) => {
    // What the gateway polls every second for the freshness of each read: from memory, no store read.
    app.get('/projection/lag', (_req, res) => {
      res.json(positions());
    });
    app.get('/projection', async (_req, res) => {
      const { parked } = live;
      // The status must answer while the store is down: that is when it matters most.
      const [listed, catalog] = await Promise.all([
        parked === undefined
          ? Promise.resolve({ parked: [] })
          : withTimeout(parked.list(), 500, 'the store').then(
              (list) => ({ parked: list }),
              (error: unknown) => ({ parked: null, parkedError: errorText(error) }),
            ),
        withTimeout(describeCatalog(versions.catalog), 500, 'the store').catch((error: unknown) => ({
          liveVersion: null,
          versions: null,
          versionsError: errorText(error),
        })),
      ]);
      res.json({
        ...positions(),
        ...listed,
        ...catalog,
      });
    });
    const opsOnly = [authenticate(authentication), restrictTo({ ops: true }, 'redrive parked aggregates')];
    app.post('/projection/redrive', ...opsOnly, async (req, res) => {
      const body = parseInput(redriveBody, req.body);
      const forwarded = req.get(FORWARDED_HEADER) === '1';
      // Sent on with the caller's token: the member that runs it checks it too.
      const authorization = req.get('Authorization');
      if ('aggregate' in body) {
        const result = await redriveWhereOwned(live, body.aggregate, forwarded, authorization);
        res.status(result.redriven ? 200 : 409).json(result);
        return;
      }
      // Every parked aggregate, one after another, each where its partition is consumed.
      const parked = live.parked ? await live.parked.list() : [];
      const results: PlacedRedrive[] = [];
      for (const { aggregateKey } of parked)
        results.push(await redriveWhereOwned(live, aggregateKey, false, authorization));
      res.status(results.every((result) => result.redriven) ? 200 : 409).json({ results });
    });
  };
}

export interface ProjectorServiceOptions {
  /** The projection's name: `order-history`, `search`, `analytics`. */
  readonly name: string;
  /** The aggregate types whose topics it reads. */
  readonly reads: readonly AggregateType[];
  /** Of those, the ones the others are joined with: taken in first (see ProjectorOptions.readFirst). */
  readonly readsFirst?: readonly AggregateType[];
  /** Its versions, in its store. */
  readonly versions: ProjectionVersions;
  /** Work that must happen once per real event; never run by replays (see ProjectorOptions). */
  readonly onFirstApplied?: (event: ProjectedEvent) => Promise<void>;
  /** Its store, behind GET /readyz. */
  readonly readiness: ReadinessCheck;
  readonly config: {
    readonly kafka: KafkaSettings & { readonly topicPrefix: string };
    readonly projector: {
      readonly groupId: string;
      readonly attempts: number;
      readonly retryBudgetMs: number;
      readonly sessionTimeoutMs: number;
      readonly partitionsConcurrently: number;
      readonly batchSize: number;
      readonly fetchIntervalMs: number;
      readonly checkpointIntervalMs: number;
      readonly deadLetterRetentionMs: number;
      readonly advertisedUrl: string | undefined;
      readonly versionPollMs: number;
    };
    readonly http: { readonly port: number; readonly host: string; readonly bodyLimitBytes: number };
    /** Who may redrive: tokens with the ops role (see AUTH_*). */
    readonly auth: AuthSettings;
  };
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
}

/**
 * Everything a projector service does besides its store: consume its topics with the runtime
 * into the live version of its read model (following the pointer when a rebuild moves it), and
 * serve `/healthz`, `/readyz`, `/metrics`, `/projection` and `/projection/redrive`. Resources are registered
 * on the lifecycle, so SIGTERM closes them in order.
 */
export async function startProjectorService(options: ProjectorServiceOptions): Promise<LiveVersion> {
  const { name, config, logger, lifecycle, versions } = options;
  const kafka = createKafkaClients(config.kafka, logger);
  lifecycle.onStop('kafka clients', () => kafka.close());
  const topics = eventTopics(config.kafka.topicPrefix);
  const version = await ensureLiveVersion(versions.catalog, config.projector.groupId);
  const registry = createMetricsRegistry();
  const metrics = new ProjectorMetrics(registry, name, () => live.status());
  // Known before listening unless the port is chosen then (0): the group hears of it at the next join.
  let advertisedUrl =
    config.projector.advertisedUrl ??
    (config.http.port === 0 ? undefined : urlOf(config.http.host, config.http.port));
  const live: LiveVersion = new LiveVersion({
    versions,
    logger,
    pollMs: config.projector.versionPollMs,
    projector: {
      name,
      topics: options.reads.map((type) => topics[type]),
      readFirst: (options.readsFirst ?? []).map((type) => topics[type]),
      deadLetterTopic: deadLetterTopicFor(name, config.kafka.topicPrefix),
      kafka,
      logger,
      ...(options.onFirstApplied ? { onFirstApplied: options.onFirstApplied } : {}),
      attempts: config.projector.attempts,
      retryBudgetMs: config.projector.retryBudgetMs,
      sessionTimeoutMs: config.projector.sessionTimeoutMs,
      partitionsConcurrently: config.projector.partitionsConcurrently,
      batchSize: config.projector.batchSize,
      fetchIntervalMs: config.projector.fetchIntervalMs,
      checkpointIntervalMs: config.projector.checkpointIntervalMs,
      deadLetterRetentionMs: config.projector.deadLetterRetentionMs,
      advertisedUrl: () => advertisedUrl,
      metrics,
    },
  });
  registerVersionMetrics(registry, name, {
    catalog: () => withTimeout(describeCatalog(versions.catalog), 1_000, 'the store'),
    parked: () => (live.parked ? withTimeout(live.parked.list(), 1_000, 'the store') : Promise.resolve([])),
  });
  await live.start(version);
  lifecycle.onStop('projector', () => live.stop());
  const app = createHttpApp({
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    metrics: registry,
    readiness: [options.readiness],
    routes: projectionRoutes(live, versions, authenticationFor(config.auth, logger)),
  });
  const server = await listen(app, config.http, lifecycle);
  advertisedUrl ??= urlOf(config.http.host, server.port);
  logger.info({ port: server.port, projection: name, version, advertisedUrl }, 'projector listening');
  return live;
}

/** This member's address for the others: its listening address, or its host name when it listens on all. */
function urlOf(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
