// The files an image gets are enough to run the services, and nothing there needs to be
// written. The Dockerfile's build stage is replayed from this checkout's build: a copy without
// node_modules gets a fresh production-only install (from the local pnpm store, offline), then
// assemble.sh makes the tree, which is made read-only, as the images' root filesystem is in
// docker-compose.yml and Kubernetes.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createScratchDatabase,
  repoRoot,
  runCommand,
  type RunOptions,
  type ScratchDatabase,
  stackEnv,
  startService,
  testIdentity,
} from '@cqrs-shop/testing';

/** Runs `node <args>` from the tree with exactly `env`; resolves with the exit code. */
async function node(root: string, args: string[], env: Record<string, string>): Promise<number | null> {
  return (await runCommand(process.execPath, args, { cwd: root, env })).code;
}

/** Runs a command that must succeed. */
async function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const outcome = await runCommand(command, args, options);
  if (outcome.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${outcome.stderr}`);
  return outcome.stdout;
}

describe('the image tree (infra/container/assemble.sh)', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'cqrs-image-'));
  const root = join(workspace, 'app');
  const stack = stackEnv();
  let database: ScratchDatabase;

  beforeAll(async () => {
    const source = join(workspace, 'source');
    await run(
      'bash',
      [
        '-c',
        `mkdir -p "${source}" && tar -c --exclude=node_modules --exclude=.git --exclude=.local . | tar -x -C "${source}"`,
      ],
      { cwd: repoRoot },
    );
    await run('pnpm', ['install', '--frozen-lockfile', '--offline', '--prod'], {
      cwd: source,
      env: { ...process.env, CI: 'true' },
    });
    await run(join(source, 'infra/container/assemble.sh'), [root], { cwd: source });
    await run('chmod', ['-R', 'a-w', root]);
    database = await createScratchDatabase('shop_test_image');
  }, 120_000);

  afterAll(async () => {
    await database.drop();
    // Writable again, so that it can be removed.
    await run('chmod', ['-R', 'u+w', root]);
    rmSync(workspace, { recursive: true, force: true });
  });

  it('holds production dependencies only', () => {
    const packages = readdirSync(join(root, 'node_modules/.pnpm'));
    expect(packages.some((name) => name.startsWith('kafkajs@'))).toBe(true);
    for (const development of ['typescript@', 'jest@', 'eslint@', '@swc+core@', 'playwright-core@'])
      expect(packages.filter((name) => name.startsWith(development))).toEqual([]);
  });

  it('runs the operator command and the topic job from the tree (their modules all load)', async () => {
    expect(await node(root, ['tools/cqrs/dist/cli.js', 'help'], {})).toBe(0);
    // A bad setting is refused after every module is loaded, before any connection.
    expect(await node(root, ['tools/cqrs/dist/create-topics.js'], { KAFKA_BROKERS: 'no-port' })).toBe(78);
  });

  it('holds the compiled services and the files they read at run time, and no TypeScript source', async () => {
    for (const path of [
      'services/query-gateway/dist/main.js',
      'services/query-gateway/src/ops/page/index.html',
      'services/command-service/migrations',
      'packages/event-codec/schemas',
      'tools/cqrs/dist/create-topics.js',
      'infra/container/healthcheck.mjs',
    ])
      expect(`${path}: ${existsSync(join(root, path))}`).toBe(`${path}: true`);
    const typescript = await run('find', [
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
    expect(typescript).toBe('');
  });

  it('migrates the write model and runs the command service from the read-only tree; SIGTERM stops it cleanly', async () => {
    expect(await node(root, ['services/command-service/dist/migrate.js'], database.env)).toBe(0);
    const identity = testIdentity();
    const service = startService(
      'command-service',
      {
        ...database.env,
        ...identity.env,
        COMMAND_PORT: '0',
        COMMAND_ADMIN_PORT: '0',
        REDIS_URL: process.env.REDIS_URL,
      },
      { root },
    );
    try {
      const port = await service.port();
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      // Tokens are checked from the tree too (jose, an ES module, loaded by the compiled code).
      const placed = await fetch(`http://127.0.0.1:${port}/customers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await identity.bearer(['staff'])) },
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
      ...testIdentity().env,
      GATEWAY_PORT: '0',
      GATEWAY_ADMIN_PORT: '0',
    };
    const gateway = startService('query-gateway', env, { root });
    try {
      const port = await gateway.port();
      const admin = await gateway.adminPort();
      const page = await fetch(`http://127.0.0.1:${admin}/ops`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect((await fetch(`http://127.0.0.1:${admin}/ops/ops.js`)).status).toBe(200);
      // As the image's HEALTHCHECK runs it: the port variable, then the default port.
      const check = ['infra/container/healthcheck.mjs', 'GATEWAY_PORT', '3000'];
      expect(await node(root, check, { GATEWAY_PORT: String(port) })).toBe(0);
      expect(await node(root, check, { GATEWAY_PORT: '1' })).toBe(1);
    } finally {
      expect(await gateway.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
  });
});
