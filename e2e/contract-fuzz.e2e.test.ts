// Both published OpenAPI documents against the running suite, by an independent fuzzer
// (schemathesis, from infra/local/tools): seeded cases from the documents' own schemas, valid
// and not, each answered by the real services. Every answer must be documented (status,
// content type, headers, body schema), no answer may be a server error, nothing schema-valid
// may be refused as invalid, and nothing invalid accepted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCommand, toolPath } from '@cqrs-shop/testing';
import { suiteForTests } from './support';

/** Fixed, so that a failure here is the same failure on the next run. */
const SEED = 20_261_207;
/** Cases per operation and phase (the coverage phase adds its own). */
const MAX_EXAMPLES = 20;
/** Each API's run stops after this long: a few thousand cases each on this machine. */
const MAX_SECONDS = 60;
/** The fuzzer's configuration and hooks (what they change, and why, is said in them). */
const FUZZ_DIR = join(repoRoot, 'e2e', 'contract-fuzz');

const running = suiteForTests();

interface FuzzOutcome {
  readonly code: number | null;
  readonly output: string;
  /** Test cases the run generated, from its summary. */
  readonly cases: number;
}

async function fuzz(
  service: 'command-service' | 'query-gateway',
  consistencyToken: string,
): Promise<FuzzOutcome> {
  const token = await running().identity.token({ roles: ['staff'], subject: `fuzz-${service}` });
  // The fuzzer keeps a cache where it runs: somewhere else than the checkout.
  const workDir = mkdtempSync(join(tmpdir(), 'contract-fuzz-'));
  const outcome = await runCommand(
    toolPath('schemathesis'),
    [
      '--config-file',
      join(FUZZ_DIR, 'schemathesis.toml'),
      '--no-color',
      'run',
      `${running().url(service)}/openapi.json`,
      '--checks',
      'all',
      '--seed',
      String(SEED),
      '--max-examples',
      String(MAX_EXAMPLES),
      '--max-time',
      String(MAX_SECONDS),
      // One worker: with several threads, Python 3.11's ast.parse (which hypothesis calls to
      // describe its filters) can fail with "AST constructor recursion depth mismatch".
      '--workers',
      '1',
    ],
    {
      env: {
        ...process.env,
        FUZZ_TOKEN: token,
        FUZZ_CONSISTENCY_TOKEN: consistencyToken,
        SCHEMATHESIS_HOOKS: 'fuzz_hooks',
        PYTHONPATH: FUZZ_DIR,
      },
      cwd: workDir,
      timeoutMs: (MAX_SECONDS + 120) * 1_000,
    },
  ).finally(() => {
    rmSync(workDir, { recursive: true, force: true });
  });
  const output = `${outcome.stdout}\n${outcome.stderr}`;
  const cases = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  return { code: outcome.code, output, cases };
}

describe('the published API documents, fuzzed (real processes and stores)', () => {
  let consistencyToken: string;
  beforeAll(async () => {
    const registered = await running().command('/customers', {
      name: 'Fuzz Seed',
      email: `fuzz.${Date.now()}@example.com`,
    });
    consistencyToken = String(registered.body.consistencyToken);
  });

  it.each(['command-service', 'query-gateway'] as const)(
    '%s answers every generated case as its document says',
    async (service) => {
      const outcome = await fuzz(service, consistencyToken);
      // On failure, the fuzzer's own report says what failed and how to reproduce it.
      expect({ code: outcome.code, report: outcome.code === 0 ? '' : outcome.output.slice(-8_000) }).toEqual({
        code: 0,
        report: '',
      });
      // Shown in the test log: how many cases this run sent.
      process.stdout.write(`contract fuzzing, ${service}: ${outcome.cases} cases\n`);
      expect(outcome.cases).toBeGreaterThan(1_000);
    },
    (MAX_SECONDS + 150) * 1_000,
  );
});
