// Checks that every version of every event schema reads, and is read by, every earlier version of
// the same event (backward and forward compatibility), so that consumers and producers can be
// upgraded in any order. Run from the repository root:
//   node packages/event-codec/scripts/check-compatibility.ts [schemas-dir]   (default: this package's)
//   pnpm run check:schemas
// Exits 0 when everything is compatible, 1 when something is not (or a schema cannot be read),
// 64 on bad arguments. Node runs this file as it is (type stripping), like generate-types.ts.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { EventCompatibility } from '../src/schema-compatibility.ts';
import { readSchemaFiles } from './render-types.ts';

// Node reads ../src/*.ts (CommonJS once built) as ES modules here, and warns that it had to guess
// (MODULE_TYPELESS_PACKAGE_JSON): noise for this script, so only that warning is dropped.
const printWarning = process.listeners('warning');
process.removeAllListeners('warning').on('warning', (warning) => {
  if ((warning as { code?: unknown }).code === 'MODULE_TYPELESS_PACKAGE_JSON') return;
  for (const print of printWarning) print(warning);
});
const { checkSchemaCompatibility } = await import('../src/schema-compatibility.ts');

const USAGE = 'usage: node packages/event-codec/scripts/check-compatibility.ts [schemas-dir]';
const EX_USAGE = 64;

process.exitCode = main(process.argv.slice(2));

function main(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`${USAGE}\n\nCompares each version of each event schema with all earlier ones, both ways.`);
    return 0;
  }
  const [dirArgument, ...extra] = args;
  if (extra.length > 0 || dirArgument?.startsWith('-')) {
    return usageError(`unexpected argument ${JSON.stringify(extra[0] ?? dirArgument)}`);
  }
  const dir = path.resolve(dirArgument ?? path.join(import.meta.dirname, '..', 'schemas'));
  if (!isDirectory(dir)) return usageError(`${dir} is not a directory`);

  let verdicts: EventCompatibility[];
  try {
    const files = readSchemaFiles(dir);
    if (files.length === 0) return usageError(`${dir} holds no <EventType>.v<N>.avsc files`);
    verdicts = checkSchemaCompatibility(files);
  } catch (error) {
    console.error(
      `Cannot check the schemas in ${dir}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }

  const shown = path.relative(process.cwd(), dir);
  console.log(`Schema compatibility of ${shown === '' || shown.startsWith('..') ? dir : shown}:`);
  const width = Math.max(...verdicts.map(({ eventType }) => eventType.length));
  for (const { eventType, versions, problems } of verdicts) {
    const listed = versions.map((version) => `v${version}`).join(', ');
    const verdict =
      versions.length === 1
        ? 'one version'
        : problems.length === 0
          ? 'compatible (backward and forward)'
          : `INCOMPATIBLE (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'})`;
    console.log(`  ${eventType.padEnd(width)}  ${listed}: ${verdict}`);
  }
  const problems = verdicts.flatMap((verdict) => verdict.problems);
  if (problems.length === 0) return 0;
  console.error(`\n${problems.length} compatibility ${problems.length === 1 ? 'problem' : 'problems'}:`);
  for (const problem of problems) console.error(`  ${problem.message}`);
  return 1;
}

function usageError(message: string): number {
  console.error(`${message}\n${USAGE}`);
  return EX_USAGE;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
