import type { PortSetting } from '@cqrs-shop/config';
import type { AggregateType } from '@cqrs-shop/events';

export type { PortSetting };

/** The topics a projector reads, by aggregate type, and its read model's name. */
export interface ProjectionEntry {
  /** The read model's name, as the CLI and the gateway's `/projections` say it. */
  readonly name: string;
  /** The aggregate types whose event topics it reads. */
  readonly reads: readonly AggregateType[];
  /** Of those, the ones its documents are joined with: taken in first when it takes in history. */
  readonly readsFirst?: readonly AggregateType[];
}

export interface ServiceEntry {
  /** Its folder under `services/`, its Deployment and compose service, its telemetry name. */
  readonly name: string;
  /** Its API, or for the others the one listener (health, metrics, operations). */
  readonly port: PortSetting;
  /** The APIs only: a second listener for metrics and operations, not routed by the Ingress. */
  readonly admin?: PortSetting;
  /** The variable other parts of the suite (gateway, CLI) find it by, as a URL. */
  readonly urlVariable?: string;
  /** The Dockerfile target whose image runs it. */
  readonly image: string;
  /** Projectors only: the read model it keeps and the topics it reads. */
  readonly projection?: ProjectionEntry;
}

/** Where every service answers its probes. */
export const HEALTH_PATHS = { live: '/healthz', ready: '/readyz' } as const;

/** The built entry point of a service, relative to its folder. */
export const SERVICE_ENTRY_POINT = 'dist/main.js';

/** In start order: each is ready before the next (the command service applies the migrations). */
export const SERVICES = [
  {
    name: 'command-service',
    port: { variable: 'COMMAND_PORT', default: 3001 },
    admin: { variable: 'COMMAND_ADMIN_PORT', default: 9001 },
    image: 'command-service',
  },
  {
    name: 'outbox-relay',
    port: { variable: 'RELAY_PORT', default: 3010 },
    urlVariable: 'RELAY_URL',
    image: 'outbox-relay',
  },
  {
    name: 'projector-order-history',
    port: { variable: 'ORDER_HISTORY_PORT', default: 3011 },
    urlVariable: 'ORDER_HISTORY_PROJECTOR_URL',
    image: 'projector-order-history',
    projection: { name: 'order-history', reads: ['customer', 'order'], readsFirst: ['customer'] },
  },
  {
    name: 'projector-search',
    port: { variable: 'SEARCH_PORT', default: 3012 },
    urlVariable: 'SEARCH_PROJECTOR_URL',
    image: 'projector-search',
    projection: { name: 'search', reads: ['customer', 'product', 'order'], readsFirst: ['customer'] },
  },
  {
    name: 'projector-analytics',
    port: { variable: 'ANALYTICS_PORT', default: 3013 },
    urlVariable: 'ANALYTICS_PROJECTOR_URL',
    image: 'projector-analytics',
    projection: { name: 'analytics', reads: ['order', 'product'] },
  },
  {
    name: 'query-gateway',
    port: { variable: 'GATEWAY_PORT', default: 3000 },
    admin: { variable: 'GATEWAY_ADMIN_PORT', default: 9000 },
    image: 'query-gateway',
  },
] as const satisfies readonly ServiceEntry[];

export type ServiceName = (typeof SERVICES)[number]['name'];

/** The projectors: the services that keep a read model. */
export type ProjectorEntry = Extract<(typeof SERVICES)[number], { projection: ProjectionEntry }>;
export type ProjectorName = ProjectorEntry['name'];
export type ProjectionName = ProjectorEntry['projection']['name'];

export const PROJECTORS: readonly ProjectorEntry[] = SERVICES.filter(
  (service): service is ProjectorEntry => 'projection' in service,
);

/** The read models' names, in start order of their projectors. */
export const PROJECTION_NAMES = PROJECTORS.map((p) => p.projection.name) as readonly ProjectionName[];

export function service<N extends ServiceName>(name: N): Extract<(typeof SERVICES)[number], { name: N }> {
  const found = SERVICES.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no service ${name} in the registry`);
  return found as Extract<(typeof SERVICES)[number], { name: N }>;
}

/** The projector that keeps a read model. */
export function projectorOf(projection: ProjectionName): ProjectorEntry {
  const found = PROJECTORS.find((p) => p.projection.name === projection);
  if (found === undefined) throw new Error(`no projector keeps the read model ${projection}`);
  return found;
}

/** Where a service answers on this machine with its default port (the local defaults). */
export const localUrl = (entry: ServiceEntry): string => `http://127.0.0.1:${entry.port.default}`;
