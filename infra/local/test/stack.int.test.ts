import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@cqrs-shop/testing';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

function stack(args: string[], env: Record<string, string>): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'infra/local/stack'),
      args,
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
          elapsedMs: Date.now() - started,
        });
      },
    );
  });
}

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

function freePort(): Promise<number> {
  return occupyPort().then(
    ({ server, port }) =>
      new Promise((resolve) =>
        server.close(() => {
          resolve(port);
        }),
      ),
  );
}

describe('infra/local/stack', () => {
  let stackHome: string;

  beforeEach(async () => {
    stackHome = await mkdtemp(join(tmpdir(), 'stack-test-'));
  });

  afterEach(async () => {
    await stack(['down'], { STACK_HOME: stackHome });
    await rm(stackHome, { recursive: true, force: true });
  });

  it('fails naming the server and showing its log tail when the server cannot start (port taken)', async () => {
    const { server, port } = await occupyPort();
    try {
      const outcome = await stack(['up', 'redis'], {
        STACK_HOME: stackHome,
        REDIS_PORT: String(port),
        STACK_START_TIMEOUT: '30',
      });
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain('error: redis exited during start-up');
      expect(outcome.stderr).toContain(`last lines of ${stackHome}/logs/redis.log`);
      expect(outcome.stderr).toMatch(/Address already in use/);
      // The process died, so the command did not wait for the start timeout.
      expect(outcome.elapsedMs).toBeLessThan(30_000);
    } finally {
      server.close();
    }
  });

  it('gives up on a server that does not answer within the start timeout, and stops it', async () => {
    const outcome = await stack(['up', 'kafka'], {
      STACK_HOME: stackHome,
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      // A JVM broker cannot answer within one second of its start.
      STACK_START_TIMEOUT: '1',
    });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('error: kafka did not answer within 1s');
    expect(outcome.stderr).toContain(`last lines of ${stackHome}/logs/kafka.log`);
    const status = await stack(['status'], { STACK_HOME: stackHome });
    expect(status.stdout).toMatch(/^kafka\s+-\s+\d+\s+stopped$/m);
  });

  it('rejects an unknown server name with the list of known ones', async () => {
    const outcome = await stack(['up', 'cassandra'], { STACK_HOME: stackHome });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(
      "unknown server 'cassandra' (known: mariadb redis postgres mongodb kafka elasticsearch zipkin otelcol)",
    );
  });
});
