// Asks one server of the local stack a real question with the client library the services
// use (plain HTTP for the trace backend), and exits 0 when it answers. Connection settings come
// from the stack's environment.
//   node infra/local/probe.mts <mariadb|kafka|elasticsearch|mongodb|redis|zipkin|otelcol>
import elasticsearch from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import mongodb from 'mongodb';
import mysql from 'mysql2/promise';

const TIMEOUT_MS = 2_000;

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run 'infra/local/stack env' for the settings`);
  return value;
}

const probes: Record<string, () => Promise<void>> = {
  async mariadb() {
    const connection = await mysql.createConnection({
      host: setting('MYSQL_HOST'),
      port: Number(setting('MYSQL_PORT')),
      user: setting('MYSQL_USER'),
      password: setting('MYSQL_PASSWORD'),
      connectTimeout: TIMEOUT_MS,
    });
    try {
      await connection.query('SELECT 1');
    } finally {
      await connection.end();
    }
  },

  async redis() {
    const redis = new Redis(setting('REDIS_URL'), {
      lazyConnect: true,
      connectTimeout: TIMEOUT_MS,
      commandTimeout: TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  },

  async mongodb() {
    const client = new mongodb.MongoClient(setting('MONGODB_URL'), {
      serverSelectionTimeoutMS: TIMEOUT_MS,
      connectTimeoutMS: TIMEOUT_MS,
    });
    try {
      await client.db('admin').command({ ping: 1 });
    } finally {
      await client.close();
    }
  },

  async kafka() {
    const kafka = new kafkajs.Kafka({
      clientId: 'stack-probe',
      brokers: setting('KAFKA_BROKERS').split(','),
      connectionTimeout: TIMEOUT_MS,
      retry: { retries: 0 },
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no brokers in the cluster metadata');
    } finally {
      await admin.disconnect();
    }
  },

  async elasticsearch() {
    const client = new elasticsearch.Client({
      node: setting('ELASTICSEARCH_URL'),
      requestTimeout: TIMEOUT_MS,
    });
    try {
      await client.cluster.health({ wait_for_status: 'yellow', timeout: '1s' });
    } finally {
      await client.close();
    }
  },

  async zipkin() {
    await expectOk(fetch(`${setting('ZIPKIN_URL')}/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) }));
  },

  // An export request with no spans in it: the collector accepts it without sending anything on.
  async otelcol() {
    await expectOk(
      fetch(`${setting('OTEL_EXPORTER_OTLP_ENDPOINT')}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }),
    );
  },
};

async function expectOk(request: Promise<Response>): Promise<void> {
  const response = await request;
  await response.body?.cancel();
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${response.url}`);
}

const name = process.argv[2] ?? '';
const probe = probes[name];
if (!probe) {
  console.error(`usage: probe.mts <${Object.keys(probes).join('|')}>`);
  process.exit(64);
}
// Whatever a half-started server does (accept and never answer, say), the probe ends.
setTimeout(() => {
  console.error(`${name} did not answer within ${2 * TIMEOUT_MS} ms`);
  process.exit(1);
}, 2 * TIMEOUT_MS).unref();
try {
  await probe();
} catch (error) {
  console.error(`${name} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
