import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot, waitFor } from '@cqrs-shop/testing';

const MAIN = join(repoRoot, 'services/command-service/dist/main.js');

interface Running {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

/** Runs the built service as a real process (`npm test` builds before the integration tier). */
function run(env: Record<string, string | undefined>): Running {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { exit, output: () => output, kill: (signal) => child.kill(signal) };
}

const database = {
  MYSQL_HOST: process.env.MYSQL_HOST,
  MYSQL_PORT: process.env.MYSQL_PORT,
  MYSQL_USER: process.env.MYSQL_USER,
  MYSQL_PASSWORD: process.env.MYSQL_PASSWORD,
};

describe('command-service process', () => {
  it('exits with status 78 naming the variable when a configuration value is invalid', async () => {
    const service = run({ ...database, COMMAND_PORT: 'eighty' });
    const { code } = await service.exit;
    expect(code).toBe(78);
    expect(service.output()).toContain('command-service: invalid configuration:');
    expect(service.output()).toContain('COMMAND_PORT must be a whole number from 0 to 65535 (got "eighty")');
  });

  it('exits with status 78 naming the variable when a required value is missing', async () => {
    const service = run({ ...database, MYSQL_PASSWORD: undefined });
    expect((await service.exit).code).toBe(78);
    expect(service.output()).toContain('MYSQL_PASSWORD is required');
  });

  it('starts, reports ready once MySQL answers, and shuts down cleanly on SIGTERM', async () => {
    const service = run({ ...database, COMMAND_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const port = await waitFor('the service to listen', () => /"port":(\d+)/.exec(service.output())?.[1], {
      timeoutMs: 15_000,
    });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { mysql: 'ok' } });

    service.kill('SIGTERM');
    expect(await service.exit).toEqual({ code: 0, signal: null });
    expect(service.output()).toContain('"msg":"stopping"');
  });
});
