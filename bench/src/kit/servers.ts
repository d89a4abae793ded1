// What the servers a benchmark ran against are, asked of each through its driver (never written
// down by hand, which goes stale at the next upgrade).
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { RunningSuite } from '@cqrs-shop/testing';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import type { RowDataPacket } from 'mysql2/promise';
import { Kafka, logLevel } from 'kafkajs';

/** Each server's version as it reports it; `unknown (<why>)` for one that did not answer. */
export interface ServerVersions {
  readonly mysql: string;
  readonly mongodb: string;
  readonly elasticsearch: string;
  readonly redis: string;
  /** Kafka does not say its release over its protocol: how many brokers answered. */
  readonly kafka: string;
}

async function orUnknown(ask: () => Promise<string>): Promise<string> {
  try {
    return await ask();
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
}

async function mongodbVersion(url: string): Promise<string> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    const version = String(info.version);
    return typeof info.ferretdbVersion === 'string'
      ? `FerretDB ${info.ferretdbVersion} (reports MongoDB ${version})`
      : version;
  } finally {
    await client.close();
  }
}

async function elasticsearchVersion(url: string): Promise<string> {
  const client = new ElasticsearchClient({ node: url, requestTimeout: 2_000 });
  try {
    // The local node's version (the local stack's Elasticsearch does not serve `GET /`).
    const { nodes } = await client.nodes.info({ node_id: '_local', metric: '_none' });
    return Object.values(nodes)[0]?.version ?? 'unknown';
  } finally {
    await client.close();
  }
}

async function redisVersion(url: string): Promise<string> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return /redis_version:([^\r\n]*)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

async function kafkaDescription(brokers: string): Promise<string> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { brokers: found } = await admin.describeCluster();
    return `${found.length} broker${found.length === 1 ? '' : 's'}`;
  } finally {
    await admin.disconnect();
  }
}

/** The versions of the servers the suite runs against. */
export async function serverVersions(suite: RunningSuite): Promise<ServerVersions> {
  const { env } = suite;
  const [mysql, mongodb, elasticsearch, redis, kafka] = await Promise.all([
    orUnknown(async () => {
      const [[row]] = await suite.database.connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
      return String(row?.version);
    }),
    orUnknown(() => mongodbVersion(env.MONGODB_URL ?? '')),
    orUnknown(() => elasticsearchVersion(env.ELASTICSEARCH_URL ?? '')),
    orUnknown(() => redisVersion(env.REDIS_URL ?? '')),
    orUnknown(() => kafkaDescription(env.KAFKA_BROKERS ?? '')),
  ]);
  return { mysql, mongodb, elasticsearch, redis, kafka };
}
