// The files an image gets (assemble.sh, the Dockerfile's last build step) are enough to run the
// services, and nothing there needs to be written: the tree is made read-only, as the images'
// root filesystem is in docker-compose.yml and Kubernetes. Runs from this checkout's build.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createScratchDatabase,
  repoRoot,
  type ScratchDatabase,
  stackEnv,
  startService,
} from '@cqrs-shop/testing';

const run = promisify(execFile);

/** Runs `node <script>` from the tree with exactly `env`; resolves with the exit code. */
async function node(root: string, args: string[], env: Record<string, string>): Promise<number> {
  return run(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, ...env } }).then(
    () => 0,
    (error: unknown) => (error as { code?: number }).code ?? -1,
  );
}

function makeWritable(dir: string) {
  // Walks back what chmod -R a-w did, so the tree can be removed.
  return run('chmod', ['-R', 'u+w', dir]);
}

describe('the image tree (infra/container/assemble.sh)', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'cqrs-image-'));
  const root = join(workspace, 'app');
  const stack = stackEnv();
  let database: ScratchDatabase;

  beforeAll(async () => {
    await run(join(repoRoot, 'infra/container/assemble.sh'), [root], { cwd: repoRoot });
    await run('chmod', ['-R', 'a-w', root]);
    database = await createScratchDatabase('shop_test_image');
  }, 120_000);

  afterAll(async () => {
    await database.drop();
    await makeWritable(root);
    rmSync(workspace, { recursive: true, force: true });
  });

  it('holds the compiled services and the files they read at run time, and no TypeScript source', async () => {
    for (const path of [
      'services/query-gateway/dist/main.js',
      'services/query-gateway/src/ops/page/index.html',
      'services/command-service/migrations',
      'packages/events/schemas',
      'tools/cqrs/dist/create-topics.js',
      'infra/container/healthcheck.mjs',
    ])
      expect(`${path}: ${existsSync(join(root, path))}`).toBe(`${path}: true`);
    const { stdout } = await run('find', [
      root,
      '-path',
      '*/node_modules',
      '-prune',
      '-o',
      '-name',
      '*.ts',
      '-not',
      '-name',
      '*.d.ts',
      '-print',
    ]);
    expect(stdout).toBe('');
  });

  it('migrates the write model and runs the command service from the read-only tree; SIGTERM stops it cleanly', async () => {
    expect(await node(root, ['services/command-service/dist/migrate.js'], database.env)).toBe(0);
    const service = startService('command-service', { ...database.env, COMMAND_PORT: '0' }, { root });
    try {
      const port = await service.port();
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const placed = await fetch(`http://127.0.0.1:${port}/customers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'image@example.com', name: 'Image Test' }),
      });
      expect(placed.status).toBe(201);
    } finally {
      expect(await service.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
  });

  it('serves the gateway and its operations page from the tree, and the health check asks the right port', async () => {
    const env = {
      MONGODB_URL: stack.MONGODB_URL,
      ELASTICSEARCH_URL: stack.ELASTICSEARCH_URL,
      REDIS_URL: stack.REDIS_URL,
      GATEWAY_PORT: '0',
    };
    const gateway = startService('query-gateway', env, { root });
    try {
      const port = await gateway.port();
      const page = await fetch(`http://127.0.0.1:${port}/ops`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect((await fetch(`http://127.0.0.1:${port}/ops/ops.js`)).status).toBe(200);
      // As the image's HEALTHCHECK runs it: the port variable, then the default port.
      const check = ['infra/container/healthcheck.mjs', 'GATEWAY_PORT', '3000'];
      expect(await node(root, check, { GATEWAY_PORT: String(port) })).toBe(0);
      expect(await node(root, check, { GATEWAY_PORT: '1' })).toBe(1);
    } finally {
      expect(await gateway.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
  });
});
