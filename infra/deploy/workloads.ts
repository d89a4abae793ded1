// The suite's workloads as the code defines them: the services from their registry, and each
// workload's configuration loader. The deployment checks compare docker-compose.yml, the
// Kubernetes overlays and the Dockerfile against these.
import { join } from 'node:path';
import { ConfigError, type Environment } from '@cqrs-shop/config';
import { loadCliConfig, loadCreateTopicsConfig } from '@cqrs-shop/cqrs';
import { SERVICES as REGISTRY, type ServiceEntry } from '@cqrs-shop/service-registry';
import { repoRoot } from '@cqrs-shop/testing';

export interface Workload {
  /** The Deployment, Job or CronJob name in k8s/, the service name in docker-compose.yml. */
  readonly name: string;
  /** The workload's configuration as its code loads it; throws a ConfigError. */
  readonly load: (env: Environment) => unknown;
  /** Services only: their registry entry (ports, image). */
  readonly service?: ServiceEntry;
  /** The Dockerfile target whose image runs it. */
  readonly image: string;
}

/**
 * A loader of a built service's configuration module (`services/<name>/dist/config.js`): the
 * very code its image runs, so the checks need the suite built, as `npm test` does.
 */
function builtLoader(service: string, loader: string): (env: Environment) => unknown {
  return (env) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a built module, found at run time
    const module = require(join(repoRoot, 'services', service, 'dist/config.js')) as Record<string, unknown>;
    const load = module[loader];
    if (typeof load !== 'function') throw new Error(`${service}'s configuration module has no ${loader}`);
    return (load as (env: Environment) => unknown)(env);
  };
}

/** Every service, as the registry has it, with the loader its main.ts calls (`loadServiceConfig`). */
export const SERVICES: readonly Workload[] = (REGISTRY as readonly ServiceEntry[]).map((service) => ({
  name: service.name,
  load: builtLoader(service.name, 'loadServiceConfig'),
  service,
  image: service.image,
}));

/** The one-off steps, with the loaders their entry points use: migrations, topics, rebuilds. */
export const TASKS: readonly Workload[] = [
  {
    name: 'migrate',
    load: builtLoader('command-service', 'loadMigrateConfig'),
    image: 'command-service',
  },
  {
    name: 'create-topics',
    load: loadCreateTopicsConfig,
    image: 'cqrs',
  },
  { name: 'projection-rebuild', load: (env) => loadCliConfig(env), image: 'cqrs' },
];

/** Values that pass validation, for variables whose real value a check cannot know (secrets). */
export function placeholderFor(variable: string): string {
  switch (variable) {
    case 'KAFKA_BROKERS':
      return 'placeholder:9092';
    case 'MONGODB_URL':
      return 'mongodb://placeholder:27017';
    case 'ELASTICSEARCH_URL':
      return 'http://placeholder:9200';
    case 'REDIS_URL':
      return 'redis://placeholder:6379';
    case 'CONSISTENCY_TOKEN_KEY':
      return Buffer.alloc(32).toString('base64');
    default:
      return 'placeholder';
  }
}

/** The variables a workload cannot start without: those its loader reports as required. */
export function requiredVariables(workload: Workload): string[] {
  try {
    workload.load({});
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.filter((issue) => issue.message === 'is required').map((issue) => issue.variable);
  }
}

/** Loads a workload's configuration; a ConfigError's message lists every bad variable. */
export function loadWorkload(workload: Workload, env: Environment): Record<string, unknown> {
  return workload.load(env) as Record<string, unknown>;
}
