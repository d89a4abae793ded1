import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, mysqlSection } from '@cqrs-shop/config';
import { createConnection, createPool, type Pool } from 'mysql2/promise';
import { repoRoot } from './stack.js';
import { uniqueName } from './wait.js';

const run = promisify(execFile);

/** The migrate job of the command service's image, from the build. */
async function runMigrateJob(env: Record<string, string>): Promise<void> {
  const job = join(repoRoot, 'services/command-service/dist/migrate.js');
  try {
    await run(process.execPath, [job], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env } });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`the migrate job failed: ${stdout}${stderr}`, { cause: error });
  }
}

/** A database of its own for one test file or benchmark run, and a connection to it. */
export interface ScratchDatabase {
  readonly name: string;
  /** The stack's MySQL settings, pointed at this database. */
  readonly settings: { host: string; port: number; user: string; password: string; database: string };
  /** The same settings as the environment variables services read. */
  readonly env: Readonly<Record<string, string>>;
  /** A small pool rather than one connection: it outlives a restart of the server (drills). */
  readonly connection: Pool;
  /**
   * Applies the write model's migrations, as the deployment's migrate job does: by running the
   * command service's built `migrate.js` on this database (`npm test` builds first).
   */
  migrate(): Promise<void>;
  /** Drops the database and closes the pool; safe to call twice. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database named `<prefix>_<random>` with the local stack's MySQL settings
 * (from the environment). The suite's database user may only create databases whose names
 * start with `shop`, hence the default prefix.
 */
export async function createScratchDatabase(prefix = 'shop_test'): Promise<ScratchDatabase> {
  const { mysql } = loadConfig({ mysql: mysqlSection }, process.env);
  const name = uniqueName(prefix);
  const { host, port, user, password } = mysql;
  const admin = await createConnection({ host, port, user, password });
  try {
    await admin.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await admin.end();
  }
  const connection = createPool({ host, port, user, password, database: name, connectionLimit: 2 });
  const env = {
    MYSQL_HOST: host,
    MYSQL_PORT: String(port),
    MYSQL_USER: user,
    MYSQL_PASSWORD: password,
    MYSQL_DATABASE: name,
  };
  let dropped = false;
  return {
    name,
    settings: { host, port, user, password, database: name },
    env,
    connection,
    async migrate() {
      await runMigrateJob(env);
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}
