import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoRoot } from './stack.js';

/**
 * Asks a tool script of infra/local/tools (`<tool>.sh`) one of its functions, e.g. `path` for
 * where it put the tool; `npm test` provisions them in its phase "provision: test tools".
 */
export function askTool(tool: string, question: string): string {
  return execFileSync(
    'bash',
    ['-c', `source infra/local/lib/common.sh && source infra/local/tools/${tool}.sh && ${tool}_${question}`],
    { cwd: repoRoot, encoding: 'utf8' },
  ).trim();
}

/** Where a provisioned tool is; throws, naming the command that provisions it, when it is not there. */
export function toolPath(tool: string): string {
  const path = askTool(tool, 'path');
  if (!existsSync(path))
    throw new Error(`${tool} is not at ${path}: run infra/local/tools/provision ${tool}`);
  return path;
}

export interface CommandOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Working directory. @default the repository's root */
  readonly cwd?: string;
  /** The whole environment; PATH is added. @default this process's environment */
  readonly env?: Record<string, string | undefined>;
  /** Written to the command's standard input. */
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** Runs a command to its end; a non-zero exit is an outcome to assert on, not an exception. */
export function runCommand(
  command: string,
  args: readonly string[],
  { cwd = repoRoot, env, input, timeoutMs = 60_000 }: RunOptions = {},
): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {
        cwd,
        env: env && { PATH: process.env.PATH, ...env },
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
