// The suite as `npm start` runs it, on stores and topics of the benchmark's own.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type RunningSuite, stackEnv, startSuite } from '@cqrs-shop/testing';

/** What the services were given on top of the suite's settings (recorded in results files). */
export interface ServiceSettings {
  readonly all: Record<string, string>;
  readonly 'query-gateway': Record<string, string>;
}

/**
 * Refuses to run on an older Node than the one `npm start` runs the services on (the services
 * run on this one), and reads the local stack's settings into the environment.
 */
export function prepareBenchmark(): void {
  const { engines } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  if (Number(process.versions.node.split('.')[0]) < Number(/\d+/.exec(engines.node)?.[0]))
    throw new Error(
      `Node ${process.version} would run the services; npm start runs them on Node ${engines.node}. ` +
        'Put its toolchain on PATH first: source scripts/toolchain.sh && ensure_toolchain',
    );
  Object.assign(process.env, stackEnv());
}

/**
 * Starts the suite with what `npm start` gives the services (scripts/services sources the stack's
 * settings): tracing to the local collector and any other OTEL_* setting of this process (and
 * PROJECTOR_*, RELAY_*, GATEWAY_* ones, to compare settings), LOG_LEVEL's default, the gateway's
 * default lag refresh (startSuite makes it 200ms for tests) and its links to Zipkin.
 * BENCH_NODE_OPTIONS is given to every service, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles` to
 * see where one spends its time under the load.
 */
export async function startSuiteAsNpmStartDoes(): Promise<{
  suite: RunningSuite;
  settings: ServiceSettings;
}> {
  const passed = (prefixes: readonly string[]) =>
    Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] =>
        prefixes.some((prefix) => entry[0].startsWith(prefix)),
      ),
    );
  const all = {
    ...passed(['OTEL_', 'PROJECTOR_', 'RELAY_']),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  };
  const gateway = {
    ...passed(['GATEWAY_']),
    GATEWAY_LAG_REFRESH: process.env.GATEWAY_LAG_REFRESH ?? '1s',
    ...(process.env.ZIPKIN_URL
      ? {
          TRACE_SEARCH_URL_TEMPLATE: `${process.env.ZIPKIN_URL}/zipkin/?annotationQuery=command.id%3D{commandId}&lookback=7d&limit=10`,
        }
      : {}),
  };
  const suite = await startSuite({ envForAll: all, env: { 'query-gateway': gateway } });
  return { suite, settings: { all, 'query-gateway': gateway } };
}

/** Writes `bench/results/<name>-<time>.json` and says where; gives its path. */
export function writeResults(name: string, date: string, results: unknown): string {
  const path = `bench/results/${name}-${date.replace(/[:.]/g, '-')}.json`;
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(join(repoRoot, path), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to ${path}`);
  return path;
}
