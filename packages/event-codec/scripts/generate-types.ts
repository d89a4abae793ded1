// Writes packages/events/src/generated/event-types.ts from the Avro schemas in schemas/. Run it
// after adding or changing a schema, and commit both:
//   node packages/event-codec/scripts/generate-types.ts      (from the repository root)
//   pnpm --filter @cqrs-shop/event-codec generate
// Node runs this file as it is (type stripping); scripts/package.json makes the folder ES modules.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSchemaFiles, renderTypes } from './render-types.ts';

const packageDir = path.resolve(import.meta.dirname, '..');
// The types belong to the event contract (packages/events); the schemas they come from are here.
const target = path.join(packageDir, '..', 'events', 'src', 'generated', 'event-types.ts');
writeFileSync(target, renderTypes(readSchemaFiles(path.join(packageDir, 'schemas'))));
console.log(`Wrote ${path.relative(process.cwd(), target)}`);
