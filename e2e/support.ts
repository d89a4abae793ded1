import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, type RunningSuite, startSuite } from '@cqrs-shop/testing';

interface Difference {
  readonly kind: string;
  readonly readModel: string;
  readonly aggregate: string;
  readonly field: string;
}

export interface ConvergenceOutcome {
  /** The checker's exit status: 0 converged, 1 differences. */
  readonly code: number;
  readonly report: {
    readonly converged: boolean;
    readonly differenceCount: number;
    readonly readModels: readonly { readModel: string; compared: number; differences: Difference[] }[];
  };
}

/** Runs the built convergence checker (`pnpm check:convergence`) against the suite's stores. */
export function checkConvergence(
  suite: RunningSuite,
  readModels: readonly string[] = [],
): Promise<ConvergenceOutcome> {
  const args = [
    join(repoRoot, 'tools/check-convergence/dist/cli.js'),
    '--json',
    ...readModels.flatMap((name) => ['--read-model', name]),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { env: { PATH: process.env.PATH, ...suite.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (code !== 0 && code !== 1) {
          reject(new Error(`the checker failed with ${code}: ${stderr}`));
          return;
        }
        resolve({ code, report: JSON.parse(stdout) as ConvergenceOutcome['report'] });
      },
    );
  });
}

/** Sends a command and returns its answer's body, failing on anything but success. */
export async function succeed<T = Record<string, unknown>>(
  suite: RunningSuite,
  path: string,
  body: unknown = {},
): Promise<T & { consistencyToken: string }> {
  const answer = await suite.command<T & { consistencyToken: string }>(path, body);
  if (answer.status >= 300)
    throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * The whole suite for one test file: started before its tests, closed after them. Returns the
 * running suite (for use inside tests), failing clearly if it did not start.
 */
export function suiteForTests(options?: Parameters<typeof startSuite>[0]): () => RunningSuite {
  let suite: RunningSuite | undefined;
  beforeAll(async () => {
    suite = await startSuite(options);
  }, 120_000);
  afterAll(async () => {
    await suite?.close();
  }, 120_000);
  return () => {
    if (!suite) throw new Error('the suite did not start');
    return suite;
  };
}
