import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot } from './stack.js';
import { waitFor } from './wait.js';

/** A service started as a real process from its build (`npm test` builds before integration tests). */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The port it logged as listening on (services log `"port":N` once their HTTP server is up). */
  port(timeoutMs?: number): Promise<number>;
  /** The admin listener's port, as the two APIs log it (`"adminPort":N`). */
  adminPort(timeoutMs?: number): Promise<number>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `services/<name>/dist/main.js` with exactly `env` (plus PATH), so a test states every
 * setting the service gets. `root` is the tree it runs from (the repository by default; a
 * container image's layout in the image tests), also its working directory.
 */
export function startService(
  name: string,
  env: Record<string, string | undefined>,
  { root = repoRoot }: { root?: string } = {},
): ServiceProcess {
  const child = spawn(process.execPath, [join(root, 'services', name, 'dist/main.js')], {
    cwd: root,
    env: { PATH: process.env.PATH, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const logged = (pattern: RegExp, timeoutMs: number) =>
    waitFor(
      `${name} to listen`,
      () => {
        if (child.exitCode !== null) throw new Error(`${name} exited: ${output.slice(-2_000)}`);
        const port = pattern.exec(output)?.[1];
        return port === undefined ? undefined : Number(port);
      },
      { timeoutMs },
    );
  return {
    child,
    output: () => output,
    exited,
    port: (timeoutMs = 20_000) => logged(/"port":(\d+)/, timeoutMs),
    adminPort: (timeoutMs = 20_000) => logged(/"adminPort":(\d+)/, timeoutMs),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
