#!/usr/bin/env node
// `check-convergence`: compares the write model with the read models, prints the differences,
// and exits 0 when there are none, 1 when there are (see cli-options.ts for every status).
import { Client } from '@elastic/elasticsearch';
import {
  elasticsearchSection,
  loadConfig,
  mongodbSection,
  mysqlSection,
  redisSection,
  runtimeSection,
  mysqlConnection,
} from '@cqrs-shop/config';
import { runTask } from '@cqrs-shop/lifecycle';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { createPool } from 'mysql2/promise';
import { checkConvergence } from './check.js';
import { type CliOptions, EXIT, parseCliArgs, USAGE, UsageError } from './cli-options.js';
import type { ConvergenceReport } from './report.js';
import { formatSummary } from './summary.js';

const NAME = 'check-convergence';

function loadCheckConfig(env: NodeJS.ProcessEnv) {
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

type CheckConfig = ReturnType<typeof loadCheckConfig>;

/**
 * Opens a client per server, runs the check and closes them all. The clients connect on first
 * use, so a check limited to one read model never touches the other servers.
 */
async function check(config: CheckConfig, options: CliOptions): Promise<ConvergenceReport> {
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
      { ...(options.readModels ? { readModels: options.readModels } : {}), maxDifferences: options.limit },
    );
  } finally {
    redis.disconnect();
    await Promise.allSettled([pool.end(), mongo.close(), es.close()]);
  }
}

function parseArgsOrExplain(args: readonly string[]): CliOptions | undefined {
  try {
    return parseCliArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${NAME}: ${error.message}\n\n${USAGE}\n`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = parseArgsOrExplain(process.argv.slice(2));
  if (options === undefined) {
    process.exitCode = EXIT.usage;
    return;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let report: ConvergenceReport | undefined;
  // A bad configuration ends the process here with status 78, naming the variable.
  await runTask({
    name: NAME,
    loadConfig: () => loadCheckConfig(process.env),
    async run({ config }) {
      report = await check(config, options);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatSummary(report));
    },
  });
  // runTask logged a failure; a failed check is not the same news as differences found.
  process.exitCode =
    report === undefined ? EXIT.failed : report.converged ? EXIT.converged : EXIT.differences;
}

void main();
