// `cqrs check convergence`: the write model against the read models, with clients opened from
// the settings the services use.
import { Client } from '@elastic/elasticsearch';
import {
  elasticsearchSection,
  loadConfig,
  mongodbSection,
  mysqlConnection,
  mysqlSection,
  redisSection,
  runtimeSection,
} from '@cqrs-shop/config';
import { checkConvergence, type ConvergenceReport } from '@cqrs-shop/convergence';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { createPool } from 'mysql2/promise';
import type { Command } from './args.js';

export function loadCheckConfig(env: NodeJS.ProcessEnv) {
  return loadConfig(
    {
      runtime: runtimeSection,
      mysql: mysqlSection,
      mongodb: mongodbSection,
      elasticsearch: elasticsearchSection,
      redis: redisSection,
    },
    env,
  );
}

export type CheckConfig = ReturnType<typeof loadCheckConfig>;

/**
 * Opens a client per server, runs the check and closes them all. The clients connect on first
 * use, so a check limited to one read model never touches the other servers.
 */
export async function checkReadModels(
  config: CheckConfig,
  command: Extract<Command, { command: 'check-convergence' }>,
): Promise<ConvergenceReport> {
  const { mysql } = config;
  const pool = createPool({
    ...mysqlConnection(mysql),
    connectionLimit: mysql.poolSize,
    supportBigNumbers: true,
  });
  const mongo = new MongoClient(config.mongodb.url, { serverSelectionTimeoutMS: 5_000 });
  const es = new Client({ node: config.elasticsearch.url, requestTimeout: 30_000 });
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  try {
    return await checkConvergence(
      {
        mysql: pool,
        mongo: mongo.db(config.mongodb.database),
        es,
        redis,
        indexPrefix: config.elasticsearch.indexPrefix,
        keyPrefix: config.redis.keyPrefix,
      },
      { ...(command.readModels ? { readModels: command.readModels } : {}), maxDifferences: command.limit },
    );
  } finally {
    redis.disconnect();
    await Promise.allSettled([pool.end(), mongo.close(), es.close()]);
  }
}
