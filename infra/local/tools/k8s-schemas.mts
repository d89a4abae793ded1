/**
 * Turns the OpenAPI v2 document of a Kubernetes release (api/openapi-spec/swagger.json in the
 * k8s.io/kubernetes module) into one self-contained JSON Schema per kind, laid out the way
 * kubeconform finds them when given the folder as -schema-location:
 *
 *   <out>/v<version>-standalone-strict/<kind>-<group>-<version>.json   (unknown fields rejected)
 *   <out>/v<version>-standalone/<kind>-<group>-<version>.json          (unknown fields allowed)
 *
 * <group> is the first label of the API group (networking.k8s.io -> networking) and is left
 * out for the core group (service-v1.json), as kubeconform builds the name.
 *
 *   node k8s-schemas.mts <swagger.json> <out folder> <kubernetes version, e.g. 1.37.2>
 *
 * Each file carries only the definitions its kind reaches, under "definitions", and keeps the
 * swagger's "#/definitions/..." references, so recursive types need no special case.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Schema = { [keyword: string]: unknown };
type GroupVersionKind = { group: string; version: string; kind: string };

const REF_PREFIX = '#/definitions/';

/**
 * The grammar of resource.Quantity ("500m", "1.5Gi", "2e3"), as its API documentation gives it:
 * a signed decimal number with an optional binary-SI, decimal-SI or exponent suffix.
 */
const QUANTITY_PATTERN =
  '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+))?$';

// Definitions whose swagger type is narrower than what the API server decodes.
const SPECIAL: Record<string, Schema> = {
  // A quantity may be written as a YAML number (cpu: 1) as well as a string.
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    type: ['string', 'number', 'null'],
    pattern: QUANTITY_PATTERN,
  },
};

/** Only these keywords matter for validation; descriptions and x-kubernetes-* hints are dropped. */
const KEPT = new Set(['type', 'format', 'required', 'enum', 'pattern', 'minimum', 'maximum']);

function convert(node: Schema, strict: boolean, root: boolean): Schema {
  if (typeof node.$ref === 'string') return { $ref: node.$ref };
  const out: Schema = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (KEPT.has(keyword)) out[keyword] = value;
  }
  if (node.format === 'int-or-string') {
    out.type = ['integer', 'string'];
    delete out.format;
  }
  // An explicit null is what YAML writes for an empty key (`annotations:`); the API server takes
  // it as an absent field, so every value but the document itself may be null.
  if (!root && out.type !== undefined) {
    const types = Array.isArray(out.type) ? [...(out.type as string[])] : [out.type as string];
    if (!types.includes('null')) types.push('null');
    out.type = types;
    const values: unknown = out.enum;
    if (Array.isArray(values) && !values.includes(null)) out.enum = [...(values as unknown[]), null];
  }
  if (isSchema(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([name, child]) => [name, convert(child as Schema, strict, false)]),
    );
  }
  if (isSchema(node.items)) out.items = convert(node.items, strict, false);
  if (isSchema(node.additionalProperties)) {
    out.additionalProperties = convert(node.additionalProperties, strict, false);
  } else if (typeof node.additionalProperties === 'boolean') {
    out.additionalProperties = node.additionalProperties;
  } else if (strict && isSchema(node.properties)) {
    out.additionalProperties = false;
  }
  for (const combinator of ['allOf', 'anyOf', 'oneOf'] as const) {
    const parts = node[combinator];
    if (Array.isArray(parts)) out[combinator] = parts.map((part) => convert(part as Schema, strict, false));
  }
  return out;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The definitions that `start` refers to, directly or through others, by name. */
function reachable(start: Schema, definitions: Record<string, Schema>): [string, Schema][] {
  const seen = new Map<string, Schema>();
  const pending: unknown[] = [start];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      pending.push(...(node as unknown[]));
    } else if (isSchema(node)) {
      const ref = node.$ref;
      if (typeof ref === 'string') {
        if (!ref.startsWith(REF_PREFIX)) throw new Error(`unexpected reference ${ref}`);
        const name = ref.slice(REF_PREFIX.length);
        const target = definitions[name];
        if (target === undefined) throw new Error(`dangling reference ${ref}`);
        if (!seen.has(name)) {
          seen.set(name, target);
          pending.push(target);
        }
      }
      pending.push(...Object.values(node));
    }
  }
  return [...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function definitionSchema(name: string, definition: Schema, strict: boolean): Schema {
  return SPECIAL[name] ?? convert(definition, strict, false);
}

/** The file name kubeconform asks for, e.g. horizontalpodautoscaler-autoscaling-v2.json. */
function fileName({ group, version, kind }: GroupVersionKind): string {
  const [firstLabel = group] = group.split('.');
  const groupPart = group === '' ? '' : `-${firstLabel.toLowerCase()}`;
  return `${kind.toLowerCase()}${groupPart}-${version.toLowerCase()}.json`;
}

function main(argv: string[]): void {
  const [swaggerPath, outDir, kubernetesVersion] = argv;
  if (swaggerPath === undefined || outDir === undefined || kubernetesVersion === undefined) {
    throw new Error('usage: k8s-schemas.mts <swagger.json> <out folder> <kubernetes version>');
  }
  const swagger = JSON.parse(readFileSync(swaggerPath, 'utf8')) as { definitions?: Record<string, Schema> };
  const definitions = swagger.definitions;
  if (definitions === undefined) throw new Error(`${swaggerPath} has no definitions`);

  const version = `v${kubernetesVersion.replace(/^v/, '')}`;
  const written = new Map<string, string>();
  for (const strict of [true, false]) {
    const dir = join(outDir, `${version}-standalone${strict ? '-strict' : ''}`);
    mkdirSync(dir, { recursive: true });
    for (const definition of Object.values(definitions)) {
      const kinds = definition['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined;
      if (kinds === undefined) continue;
      const needed = reachable(definition, definitions);
      const document: Schema = {
        $schema: 'http://json-schema.org/draft-04/schema#',
        ...convert(definition, strict, true),
        definitions: Object.fromEntries(
          needed.map(([ref, target]) => [ref, definitionSchema(ref, target, strict)]),
        ),
      };
      const text = JSON.stringify(document);
      for (const gvk of kinds) {
        const file = fileName(gvk);
        // Two groups that share a first label would land in one file; kubeconform could not
        // tell them apart either, so say so rather than let the later one win.
        const owner = `${gvk.group}/${gvk.version}`;
        const previous = written.get(`${strict}:${file}`);
        if (previous !== undefined && previous !== owner) {
          throw new Error(`${file}: both ${previous} and ${owner} map to this name`);
        }
        written.set(`${strict}:${file}`, owner);
        writeFileSync(join(dir, file), text);
      }
    }
  }
  process.stdout.write(`${written.size / 2} schemas for Kubernetes ${version} in ${outDir}\n`);
}

main(process.argv.slice(2));
