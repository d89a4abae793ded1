// Where a workload's configuration makes it connect: each server as host and port, read from
// the configuration its own code loaded. The cross-check compares these with the manifests:
// the servers must exist there, listen on those ports, and be all its network policy allows.

export interface Connection {
  /** What it is, for messages: mysql, kafka, mongodb, elasticsearch, redis, a projector, the relay, the identity provider, traces, its other replicas. */
  readonly to: string;
  readonly host: string;
  readonly port: number;
  /** Another pod of the same workload (its address is known only at run time), not a server. */
  readonly peer?: true;
}

const DEFAULT_PORTS: Record<string, number> = {
  'http:': 80,
  'https:': 443,
  'mongodb:': 27017,
  'redis:': 6379,
  'rediss:': 6379,
};

function fromUrl(to: string, url: string): Connection {
  const parsed = new URL(url);
  return { to, host: parsed.hostname, port: Number(parsed.port || DEFAULT_PORTS[parsed.protocol]) };
}

interface LoadedConfig {
  mysql?: { host: string; port: number };
  kafka?: { brokers: string[] };
  mongodb?: { url: string };
  elasticsearch?: { url: string };
  redis?: { url: string };
  /** Where the gateway finds the projectors and the relay (serviceUrlsSection). */
  services?: { projectors: Record<string, string>; relay: string };
  projector?: { advertisedUrl?: string };
  auth?: { keys?: { url?: string } };
}

/**
 * The servers a loaded configuration connects to; with `tracesEndpoint` (the
 * OTEL_EXPORTER_OTLP_ENDPOINT a service exports to) the trace collector too.
 */
export function connectionsOf(loaded: object, tracesEndpoint?: string): Connection[] {
  const config = loaded as LoadedConfig;
  const connections: Connection[] = [];
  if (config.mysql) connections.push({ to: 'mysql', host: config.mysql.host, port: config.mysql.port });
  for (const broker of config.kafka?.brokers ?? []) {
    const [host = '', port = ''] = broker.split(':');
    connections.push({ to: 'kafka', host, port: Number(port) });
  }
  if (config.mongodb) connections.push(fromUrl('mongodb', config.mongodb.url));
  if (config.elasticsearch) connections.push(fromUrl('elasticsearch', config.elasticsearch.url));
  if (config.redis) connections.push(fromUrl('redis', config.redis.url));
  for (const [name, url] of Object.entries(config.services?.projectors ?? {}))
    connections.push(fromUrl(`projector ${name}`, url));
  if (config.services !== undefined) connections.push(fromUrl('the outbox relay', config.services.relay));
  // A projector sends a redrive on to the replica consuming the aggregate's partition: its own
  // port, on another pod.
  if (config.projector?.advertisedUrl !== undefined)
    connections.push({ ...fromUrl('the other replicas', config.projector.advertisedUrl), peer: true });
  if (config.auth?.keys?.url !== undefined)
    connections.push(fromUrl('the identity provider', config.auth.keys.url));
  if (tracesEndpoint) connections.push(fromUrl('traces', tracesEndpoint));
  return connections;
}

/** Every string in a loaded configuration, with its path, for finding loopback addresses. */
export function stringSettings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringSettings(item, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) =>
      stringSettings(item, path ? `${path}.${key}` : key),
    );
  return [];
}

export const LOOPBACK = /\b(127\.0\.0\.1|localhost|::1)\b/;
