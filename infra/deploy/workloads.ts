// The suite's workloads as the code defines them: each one's configuration loader (the
// services' own), and for services the variable that holds their HTTP port. The deployment
// checks compare docker-compose.yml, the Kubernetes overlays and the Dockerfile against these.
import { ConfigError, type Environment } from '@cqrs-shop/config';
import { loadCommandServiceConfig, loadMigrateConfig } from '../../services/command-service/src/config';
import { loadRelayConfig } from '../../services/outbox-relay/src/config';
import { loadAnalyticsConfig } from '../../services/projector-analytics/src/config';
import { loadOrderHistoryConfig } from '../../services/projector-order-history/src/config';
import { loadSearchConfig } from '../../services/projector-search/src/config';
import { loadGatewayConfig } from '../../services/query-gateway/src/config';
import { loadCliConfig } from '../../tools/cqrs/src/read-models';
import { loadCreateTopicsConfig } from '../../tools/cqrs/src/topics';

export interface Workload {
  /** The Deployment, Job or CronJob name in k8s/, the service name in docker-compose.yml. */
  readonly name: string;
  /** The service's configuration as its code loads it; throws a ConfigError. */
  readonly load: (env: Environment) => unknown;
  /** Services only: the variable with the HTTP port, and the Dockerfile target. */
  readonly http?: { readonly portVariable: string };
  /** The Dockerfile target whose image runs it. */
  readonly image: string;
}

export const SERVICES: readonly Workload[] = [
  {
    name: 'command-service',
    load: loadCommandServiceConfig,
    http: { portVariable: 'COMMAND_PORT' },
    image: 'command-service',
  },
  {
    name: 'outbox-relay',
    load: loadRelayConfig,
    http: { portVariable: 'RELAY_PORT' },
    image: 'outbox-relay',
  },
  {
    name: 'projector-order-history',
    load: loadOrderHistoryConfig,
    http: { portVariable: 'ORDER_HISTORY_PORT' },
    image: 'projector-order-history',
  },
  {
    name: 'projector-search',
    load: loadSearchConfig,
    http: { portVariable: 'SEARCH_PORT' },
    image: 'projector-search',
  },
  {
    name: 'projector-analytics',
    load: loadAnalyticsConfig,
    http: { portVariable: 'ANALYTICS_PORT' },
    image: 'projector-analytics',
  },
  {
    name: 'query-gateway',
    load: loadGatewayConfig,
    http: { portVariable: 'GATEWAY_PORT' },
    image: 'query-gateway',
  },
];

/** The one-off steps, with the loaders their entry points use: migrations, topics, rebuilds. */
export const TASKS: readonly Workload[] = [
  {
    name: 'migrate',
    load: loadMigrateConfig,
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
