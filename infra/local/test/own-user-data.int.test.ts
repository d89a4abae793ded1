import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCommand } from '@cqrs-shop/testing';

/** Where the stack puts the data of PostgreSQL (its own system user when run as root). */
async function postgresDataFor(stackHome: string): Promise<string> {
  const run = await runCommand(
    'bash',
    ['-c', `source '${join(repoRoot, 'infra/local/lib/common.sh')}'; own_user_data postgres cqrs-shop-pg`],
    { env: { STACK_HOME: stackHome } },
  );
  expect(run.code).toBe(0);
  return run.stdout.trim();
}

describe("the local stack's data of servers that run as their own users", () => {
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  const stackHomeIn = (mode: number) => {
    const folder = mkdtempSync(join(tmpdir(), 'stack-home-'));
    folders.push(folder);
    chmodSync(folder, mode);
    const stackHome = join(folder, 'stack');
    mkdirSync(stackHome);
    return stackHome;
  };

  it('stays in the checkout when the server user can reach it', async () => {
    const stackHome = stackHomeIn(0o755);
    expect(await postgresDataFor(stackHome)).toBe(join(stackHome, 'data', 'postgres'));
  });

  it('goes where that user can reach it when the checkout is closed to other users (run as root)', async () => {
    const stackHome = stackHomeIn(0o700);
    const data = await postgresDataFor(stackHome);
    // Not root: the servers run as this user, who can reach the checkout.
    if (process.getuid?.() !== 0) expect(data).toBe(join(stackHome, 'data', 'postgres'));
    else expect(data).toMatch(/^\/var\/lib\/cqrs-shop\/[0-9a-f]{12}\/postgres$/);
    // The same place every time: the data is found again.
    expect(await postgresDataFor(stackHome)).toBe(data);
  });
});
