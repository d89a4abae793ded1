// The schema compatibility check as `pnpm run check:schemas` runs it: a Node process, its exit
// code and its output. Needs no servers; it is an integration test because it spawns processes
// and writes temporary files.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SCHEMAS_DIR } from '@cqrs-shop/event-codec';

const SCRIPT = path.join(__dirname, '..', 'scripts', 'check-compatibility.ts');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function checkCompatibility(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

interface FieldSchema {
  name: string;
  type: unknown;
}

/** The shipped OrderPlaced v2 with its fields changed by `change`, to be written as v3. */
function orderPlacedV3(change: (fields: FieldSchema[]) => FieldSchema[]): string {
  const v2 = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'OrderPlaced.v2.avsc'), 'utf8')) as {
    fields: FieldSchema[];
  };
  return JSON.stringify({ ...v2, fields: change(v2.fields) }, null, 2);
}

describe('check-compatibility (the check:schemas script)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'schemas-'));
    cpSync(SCHEMAS_DIR, dir, { recursive: true });
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the shipped schemas, printing a verdict per event type and nothing on stderr', async () => {
    const run = await checkCompatibility();

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/OrderPlaced +v1, v2: compatible \(backward and forward\)/);
    expect(run.stdout).toMatch(/CustomerRegistered +v1, v2: compatible \(backward and forward\)/);
    expect(run.stdout).toMatch(/OrderShipped +v1: one version/);
  });

  it('passes a copy of the shipped schemas given as the directory', async () => {
    expect((await checkCompatibility(dir)).code).toBe(0);
  });

  it('fails a v3 that narrows totalCents to int, naming the event, the versions and the field', async () => {
    writeFileSync(
      path.join(dir, 'OrderPlaced.v3.avsc'),
      orderPlacedV3((fields) => fields.map((f) => (f.name === 'totalCents' ? { ...f, type: 'int' } : f))),
    );

    const run = await checkCompatibility(dir);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/OrderPlaced +v1, v2, v3: INCOMPATIBLE \(2 problems\)/);
    expect(run.stderr).toContain(
      'OrderPlaced v3 cannot read v1 (backward): field totalCents: long cannot be read as int',
    );
    expect(run.stderr).toContain(
      'OrderPlaced v3 cannot read v2 (backward): field totalCents: long cannot be read as int',
    );
  });

  it('fails a v3 that drops a field without a default, which older readers need', async () => {
    writeFileSync(
      path.join(dir, 'OrderPlaced.v3.avsc'),
      orderPlacedV3((fields) => fields.filter((f) => f.name !== 'currency')),
    );

    const run = await checkCompatibility(dir);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "OrderPlaced v2 cannot read v3 (forward): field currency: the writer has no such field and the reader's has no default",
    );
    expect(run.stderr).toContain('OrderPlaced v1 cannot read v3 (forward): field currency:');
  });

  it('fails a schema file that is not valid Avro, naming it', async () => {
    writeFileSync(path.join(dir, 'OrderPaid.v2.avsc'), JSON.stringify({ type: 'record', name: 'OrderPaid' }));

    const run = await checkCompatibility(dir);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('OrderPaid.v2.avsc is not a valid Avro schema');
  });

  it.each([
    ['two directories', ['a', 'b']],
    ['an unknown option', ['--verbose']],
    ['a directory that does not exist', ['/nonexistent/schemas']],
  ])('exits 64 with its usage for %s', async (_, args) => {
    const run = await checkCompatibility(...args);

    expect(run.code).toBe(64);
    expect(run.stderr).toContain(
      'usage: node packages/event-codec/scripts/check-compatibility.ts [schemas-dir]',
    );
  });
});
