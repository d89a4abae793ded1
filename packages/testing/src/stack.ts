import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** Starts one server of the local stack (`infra/local/stack up <server>`); returns once it answers. */
export function startStackServer(server: string): void {
  execFileSync('bash', [join(repoRoot, 'infra/local/stack'), 'up', server], {
    stdio: 'pipe',
    timeout: 300_000,
  });
}

/**
 * Kills one server of the local stack as a crash would (SIGKILL, no chance to write anything
 * more), with every process under it: a launcher and its server, PostgreSQL's backends.
 */
export function killStackServer(server: string): void {
  const [root] = readFileSync(join(stackHome(), 'run', `${server}.pid`), 'utf8')
    .trim()
    .split(/\s+/);
  for (const pid of processTree(Number(root)).reverse())
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone with its parent.
    }
}

/** `root` and every process under it (Linux /proc). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Ended meanwhile.
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}
