import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, waitFor } from '@cqrs-shop/testing';

/** Whether a process is alive. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('scripts/supervise (the local runner keeps each service up)', () => {
  it('restarts a service that exits, notes the restart, and stops it for good on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervise-'));
    const state = join(dir, 'state');
    const runs = join(dir, 'runs');
    const pidFile = join(dir, 'pid');
    // The first run fails with status 3; the next one stays up and records its pid.
    const service = `n=$(cat '${runs}' 2>/dev/null || echo 0); echo $((n + 1)) > '${runs}'
      if [ "$n" -ge 1 ]; then echo $$ > '${pidFile}'; exec sleep 60; fi; exit 3`;
    const supervisor = spawn(join(repoRoot, 'scripts/supervise'), [state, 'bash', '-c', service], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    supervisor.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = once(supervisor, 'exit');

    const childPid = await waitFor(
      'the second run to be up',
      () => {
        try {
          return Number(readFileSync(pidFile, 'utf8'));
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 15_000 },
    );
    expect(readFileSync(state, 'utf8')).toMatch(/^1 3 \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\n$/);
    expect(log).toMatch(/the service exited with status 3; restart 1 in 1s/);
    expect(alive(childPid)).toBe(true);

    supervisor.kill('SIGTERM');
    const [code] = (await exited) as [number | null];

    expect(code).toBe(0);
    await waitFor('the service to end with its supervisor', () => !alive(childPid), { timeoutMs: 5_000 });
    expect(readFileSync(runs, 'utf8').trim()).toBe('2');
    expect(readFileSync(state, 'utf8')).toMatch(/^1 3 /);
  });
});
