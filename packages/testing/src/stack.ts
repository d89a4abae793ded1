import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root folder. */
export const repoRoot = resolve(__dirname, '../../..');

/** Where the local stack keeps its data, logs and connection settings. */
export function stackHome(): string {
  return process.env.STACK_HOME ?? join(repoRoot, '.local/stack');
}

/**
 * The local stack's connection settings (MYSQL_*, KAFKA_BROKERS, MONGODB_URL,
 * ELASTICSEARCH_URL, REDIS_URL), as written by `infra/local/stack up`. Variables already set
 * in the environment win, so tests can be pointed at other servers.
 */
export function stackEnv(): Record<string, string> {
  const file = join(stackHome(), 'stack.env');
  if (!existsSync(file)) {
    throw new Error(
      `${file} does not exist: start the local stack with 'npm run stack -- up' (or run 'npm test')`,
    );
  }
  const settings: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined)
      settings[match[1]] = process.env[match[1]] ?? match[2];
  }
  return settings;
}
