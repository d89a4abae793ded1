// The built `cqrs` as an operator runs it: help for every command, exit statuses for bad
// arguments, and the `pnpm check:convergence` alias.
import { join } from 'node:path';
import { repoRoot, runCommand } from '@cqrs-shop/testing';
import { EXIT } from '../src';

const cqrs = (...args: string[]) =>
  runCommand(process.execPath, [join(repoRoot, 'tools/cqrs/dist/cli.js'), ...args], {
    env: { PATH: process.env.PATH ?? '' },
  });

describe('cqrs, the built command', () => {
  it('prints the help of every command and exits 0', async () => {
    const root = await cqrs('--help');
    expect(root.code).toBe(EXIT.ok);
    expect(root.stdout).toContain('cqrs projections rebuild [options] <name>');
    expect(root.stdout).toContain('cqrs check convergence [options]');
    const outbox = await cqrs('outbox', 'release', '--help');
    expect(outbox.code).toBe(EXIT.ok);
    expect(outbox.stdout).toContain('--drop-traceparent');
  });

  it.each([
    [['projections', 'rebuild', 'search', '--fast'], "unknown option '--fast'"],
    [['check', 'convergence', '--read-model', 'customers'], '--read-model must be one of'],
    [['projections', 'switch', 'search', 'latest'], 'the version must be a whole number'],
    [['tokens', 'issue'], "required option '--role <role>'"],
  ])('exits %#: 64 for %j, naming what is wrong, and does nothing', async (args, named) => {
    const run = await cqrs(...args);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain(named);
    expect(run.stdout).toBe('');
  });

  it('keeps `pnpm check:convergence` as the name of `cqrs check convergence`', async () => {
    const run = await runCommand('pnpm', ['--silent', 'check:convergence', '--help'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: cqrs check convergence [options]');
    expect(run.stdout).toContain('--read-model <name>');
  });
});
