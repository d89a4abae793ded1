// The deployment files cannot drift from the services: every variable a service's code requires
// is set for it, its configuration loads (with the services' own loaders), it points at servers
// that exist there on the ports they listen on, its ports, probes and network policy agree with
// what the code does, and every workload that touches Kafka names the same topics.
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConfigError } from '@cqrs-shop/config';
import { eventTopics } from '@cqrs-shop/events';
import { parseArgs } from '@cqrs-shop/cqrs';
import { createHttpApp } from '@cqrs-shop/http';
import { createLogger } from '@cqrs-shop/logging';
import { HEALTH_PATHS } from '@cqrs-shop/service-registry';
import { repoRoot } from '@cqrs-shop/testing';
import { type Connection, connectionsOf, LOOPBACK, stringSettings } from '../connections';
import {
  composeEnv,
  type ComposeFile,
  containerEnv,
  find,
  type K8sObject,
  OVERLAYS,
  podSpecOf,
  readCompose,
  render,
  workloadObject,
} from '../manifests';
import { type EgressRule, egressRulesOf, mayConnect, peerSelectsLocalPods } from '../reachability';
import { loadWorkload, requiredVariables, SERVICES, TASKS, type Workload } from '../workloads';

const WORKLOADS = [...SERVICES, ...TASKS];
const workloadNamed = (name: string) => WORKLOADS.find((w) => w.name === name) as Workload;
/** The operator command's compose service is `cqrs` (run on demand); in k8s the rebuild template. */
const composeName = (workload: Workload) => (workload.name === 'projection-rebuild' ? 'cqrs' : workload.name);
/** Settings that are addresses for a browser on the user's machine, not for the service. */
const BROWSER_SETTINGS = new Set(['http.host', 'gateway.traceSearchUrlTemplate']);
const PROBES = {
  readinessProbe: HEALTH_PATHS.ready,
  livenessProbe: HEALTH_PATHS.live,
  startupProbe: HEALTH_PATHS.live,
} as const;
/** The ports the compose file's server images listen on (their documented defaults). */
const COMPOSE_SERVER_PORTS: Record<string, number> = {
  mysql: 3306,
  kafka: 9092,
  mongodb: 27017,
  elasticsearch: 9200,
  redis: 6379,
  jaeger: 4318,
};

interface Loaded {
  readonly env: Record<string, string>;
  readonly config: Record<string, unknown> & {
    http?: { port: number; admin?: { port: number } };
    runtime: { shutdownTimeoutMs: number };
  };
  readonly connections: Connection[];
}

/** A file that exists, standing in for one a deployment mounts (a CA certificate, a JWKS). */
const MOUNTED_FILE_STAND_IN = join(repoRoot, 'package.json');

/**
 * Loads a workload's configuration from the environment a deployment gives it. A file a
 * variable names (`…_FILE`) must be on one of the container's mounts; it is loaded from a
 * stand-in, as the file itself exists only in the container.
 */
function loadFrom(workload: Workload, env: Record<string, string>, mounts: readonly string[]): Loaded {
  const missing = requiredVariables(workload).filter((variable) => env[variable] === undefined);
  expect(`${workload.name} lacks: ${missing.join(', ')}`).toBe(`${workload.name} lacks: `);
  const files = Object.entries(env).filter(([variable, value]) => variable.endsWith('_FILE') && value !== '');
  const loadable = {
    ...env,
    ...Object.fromEntries(files.map(([variable]) => [variable, MOUNTED_FILE_STAND_IN])),
  };
  // A file the configuration reads is one it refuses to start without: named by an issue.
  const reads = (variable: string) => {
    try {
      loadWorkload(workload, { ...loadable, [variable]: '/nonexistent/file' });
      return false;
    } catch (error) {
      return error instanceof ConfigError && error.issues.some((issue) => issue.variable === variable);
    }
  };
  const unmounted = files
    .filter(([variable]) => reads(variable))
    .filter(([, path]) => !mounts.some((mount) => path.startsWith(`${mount.replace(/\/$/, '')}/`)))
    .map(([variable, path]) => `${workload.name} ${variable}=${path}`);
  expect(`not on a mount: ${unmounted.join(', ')}`).toBe('not on a mount: ');
  const config = loadWorkload(workload, loadable) as Loaded['config'];
  const loopback = stringSettings(config)
    .filter(([path, value]) => !BROWSER_SETTINGS.has(path) && LOOPBACK.test(value))
    .map(([path, value]) => `${workload.name} ${path}=${value}`);
  expect(loopback).toEqual([]);
  const traced = workload.service !== undefined;
  return {
    env,
    config,
    connections: connectionsOf(config, traced ? env.OTEL_EXPORTER_OTLP_ENDPOINT : undefined),
  };
}

describe('docker-compose.yml agrees with the code', () => {
  const compose: ComposeFile = readCompose();
  const loaded = new Map(
    WORKLOADS.map((w) => {
      const service = compose.services[composeName(w)];
      if (service === undefined) throw new Error(`docker-compose.yml has no service ${composeName(w)}`);
      const mounts = (service.volumes ?? []).map((volume) => volume.split(':')[1] ?? '');
      return [w.name, { service, ...loadFrom(w, composeEnv(service), mounts) }] as const;
    }),
  );
  const get = (name: string) => {
    const found = loaded.get(name);
    if (found === undefined) throw new Error(`no ${name}`);
    return found;
  };

  it.each(WORKLOADS.map((w) => [w.name, w] as const))(
    '%s: built from its image target, with every required variable, and a configuration that loads',
    (name, workload) => {
      const { service } = get(name);
      expect(service.build?.target).toBe(workload.image);
      expect(service.image).toMatch(new RegExp(`^cqrs-shop/${workload.image}:`));
    },
  );

  it.each(SERVICES.map((s) => [s.name] as const))(
    '%s publishes (if at all) the port it listens on',
    (name) => {
      const { service, config } = get(name);
      const listening = [config.http?.port, config.http?.admin?.port].filter((p) => p !== undefined);
      for (const mapping of service.ports ?? [])
        expect(mapping).toMatch(new RegExp(`:(${listening.join('|')})$`));
      expect(config.http?.port).toBeGreaterThan(0);
    },
  );

  it.each(WORKLOADS.map((w) => [w.name] as const))(
    '%s connects only to servers in the file, on the ports they listen on, after they are ready',
    (name) => {
      const { connections } = get(name);
      const waitsFor = (from: string, target: string, seen: Set<string>): boolean => {
        if (seen.has(from)) return false;
        seen.add(from);
        const next = Object.keys(compose.services[from]?.depends_on ?? {});
        return next.includes(target) || next.some((n) => waitsFor(n, target, seen));
      };
      const dependsOn = (target: string) => waitsFor(composeName(workloadNamed(name)), target, new Set());
      for (const { to, host, port } of connections) {
        expect(`${to}: ${host}`).toBe(
          `${to}: ${compose.services[host] ? host : '(not a service of the file)'}`,
        );
        const listening = COMPOSE_SERVER_PORTS[host] ?? loaded.get(host)?.config.http?.port;
        expect(`${to} ${host}:${port}`).toBe(`${to} ${host}:${listening}`);
        // Traces are best effort (a missing collector never fails a command); the rest must be up first.
        if (to !== 'traces')
          expect(`${name} waits for ${host}: ${dependsOn(host)}`).toBe(`${name} waits for ${host}: true`);
      }
    },
  );

  it('runs each step with the command its code has', () => {
    expect(get('migrate').service.command).toEqual(['node', 'services/command-service/dist/migrate.js']);
    expect(get('create-topics').service.entrypoint).toEqual(['node', 'tools/cqrs/dist/create-topics.js']);
    for (const words of [get('migrate').service.command, get('create-topics').service.entrypoint])
      expect(existsSync(join(repoRoot, words?.[1] ?? ''))).toBe(true);
  });

  it('gives every workload that touches Kafka the same topics and partitions', () => {
    const kafkaUsers = WORKLOADS.filter((w) => get(w.name).config.kafka !== undefined);
    expect(kafkaUsers.map((w) => w.name).sort()).toEqual([
      'create-topics',
      'outbox-relay',
      'projection-rebuild',
      'projector-analytics',
      'projector-order-history',
      'projector-search',
    ]);
    const topics = new Set(
      kafkaUsers.map((w) =>
        JSON.stringify(eventTopics((get(w.name).config.kafka as { topicPrefix: string }).topicPrefix)),
      ),
    );
    expect(topics.size).toBe(1);
    expect(get('outbox-relay').env.TOPIC_PARTITIONS).toBe(get('create-topics').env.TOPIC_PARTITIONS);
  });

  it('gives each service longer to stop than its graceful shutdown takes', () => {
    for (const service of SERVICES) {
      const { service: composed, config } = get(service.name);
      const grace = /^(\d+)s$/.exec(composed.stop_grace_period ?? '')?.[1];
      expect(Number(grace) * 1_000).toBeGreaterThan(config.runtime.shutdownTimeoutMs);
      expect(composed.read_only).toBe(true);
    }
  });
});

describe.each(OVERLAYS)('k8s/overlays/%s agrees with the code', (overlay) => {
  let objects: K8sObject[];
  let loaded: Map<string, Loaded & { object: K8sObject }>;
  const get = (name: string) => {
    const found = loaded.get(name);
    if (found === undefined) throw new Error(`no ${name}`);
    return found;
  };
  beforeAll(async () => {
    ({ objects } = await render(overlay));
    loaded = new Map(
      WORKLOADS.map((w) => {
        const object = workloadObject(objects, w.name);
        const container = podSpecOf(object).containers[0];
        if (container === undefined) throw new Error(`${w.name} has no container`);
        const mounts = (container.volumeMounts ?? []).map((mount) => mount.mountPath);
        return [w.name, { object, ...loadFrom(w, containerEnv(objects, container), mounts) }] as const;
      }),
    );
  });

  it.each(WORKLOADS.map((w) => [w.name, w] as const))(
    '%s runs its image with every required variable and a configuration that loads',
    (name, workload) => {
      const container = podSpecOf(get(name).object).containers[0];
      expect(container?.image).toMatch(new RegExp(`(^|/)cqrs-shop/${workload.image}:[\\w.-]+$`));
    },
  );

  it.each(SERVICES.map((s) => [s.name] as const))(
    '%s: container port, Service, probes and grace period agree with its configuration',
    (name) => {
      const { object, config } = get(name);
      const pod = podSpecOf(object);
      const container = pod.containers[0];
      const port = config.http?.port;
      const admin = config.http?.admin?.port;
      expect(container?.ports).toEqual([
        { name: 'http', containerPort: port },
        ...(admin === undefined ? [] : [{ name: 'admin', containerPort: admin }]),
      ]);
      const service = find(objects, 'Service', name).spec as {
        ports: { port: number; targetPort: string }[];
      };
      expect(service.ports.map((p) => [p.port, p.targetPort])).toEqual([
        [port, 'http'],
        ...(admin === undefined ? [] : [[admin, 'admin']]),
      ]);
      for (const [probe, path] of Object.entries(PROBES))
        expect(container?.[probe as keyof typeof PROBES]?.httpGet).toEqual({ path, port: 'http' });
      const preStop = container?.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect((pod.terminationGracePeriodSeconds ?? 30) * 1_000).toBeGreaterThan(
        preStop * 1_000 + config.runtime.shutdownTimeoutMs,
      );
    },
  );

  it.each(WORKLOADS.map((w) => [w.name] as const))(
    '%s may reach exactly the ports its configuration connects to, over every policy that selects it',
    (name) => {
      const { connections, object } = get(name);
      // DNS (53) is allowed for every pod by allow-dns.
      const allowed = new Set(
        egressRulesOf(objects, object)
          .flatMap((rule) => (rule.ports ?? []).map((p) => p.port))
          .filter((port) => port !== 53),
      );
      expect([...allowed].sort()).toEqual([...new Set(connections.map((c) => c.port))].sort());
    },
  );

  it('names the destination of every egress rule (`to`), not just a port', () => {
    const unnamed = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .flatMap((o) =>
        ((o.spec as { egress?: EgressRule[] }).egress ?? [])
          .filter((rule) => (rule.to ?? []).length === 0)
          .map((rule) => `${o.metadata.name}: ${(rule.ports ?? []).map((p) => p.port).join(', ')}`),
      );
    expect(unnamed).toEqual([]);
  });

  it('lets no policy admit any namespace or address block', () => {
    const open = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .filter((o) =>
        (
          (
            o.spec as {
              ingress?: { from?: { namespaceSelector?: object; podSelector?: object; ipBlock?: object }[] }[];
            }
          ).ingress ?? []
        ).some(
          (rule) =>
            rule.from === undefined ||
            rule.from.some(
              (peer) =>
                peer.ipBlock !== undefined ||
                (peer.namespaceSelector !== undefined && Object.keys(peer.namespaceSelector).length === 0),
            ),
        ),
      )
      .map((o) => o.metadata.name);
    expect(open).toEqual([]);
  });

  it('lets the APIs be reached from outside the namespace through the ingress controller only, and every admin port by monitoring only; the Ingress routes no admin port', () => {
    const namespace = 'shop';
    // Pods of other namespaces, even ones that copy the labels of the suite's own pods.
    const outside = ['ingress-nginx', 'monitoring', 'default', 'kube-system', 'tenant-b'];
    const stranger = { namespace, podLabels: { 'app.kubernetes.io/name': 'debug-shell' } };
    for (const service of SERVICES) {
      const { object } = get(service.name);
      const apis = ['command-service', 'query-gateway'];
      for (const port of podSpecOf(object).containers[0]?.ports ?? []) {
        const name = port.name ?? '';
        // The projectors' and the relay's one port serves status, redrive and /metrics: an admin port.
        const publicApi = name === 'http' && apis.includes(service.name);
        const reachedFrom = outside.filter((from) =>
          mayConnect(
            objects,
            object,
            name,
            { namespace: from, podLabels: { 'app.kubernetes.io/name': 'query-gateway' } },
            namespace,
          ),
        );
        expect(`${service.name}:${name} from ${reachedFrom.join(', ')}`).toBe(
          `${service.name}:${name} from ${publicApi ? 'ingress-nginx' : 'monitoring'}`,
        );
        // Nor from a pod of the namespace that the policies do not name.
        expect(
          `${service.name}:${name} from ${namespace}: ${mayConnect(objects, object, name, stranger, namespace)}`,
        ).toBe(`${service.name}:${name} from ${namespace}: false`);
      }
    }
    const ingress = find(objects, 'Ingress', 'cqrs-shop').spec as {
      rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
    };
    expect(
      ingress.rules
        .flatMap((r) => r.http.paths.map((p) => p.backend.service))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { name: 'command-service', port: { name: 'http' } },
      { name: 'query-gateway', port: { name: 'http' } },
    ]);
  });

  it('points the gateway at the projectors’ and the relay’s Services, on their ports', () => {
    for (const { to, host, port } of get('query-gateway').connections.filter(
      (c) => c.to.startsWith('projector ') || c.to === 'the outbox relay',
    )) {
      const service = find(objects, 'Service', host).spec as { ports: { port: number }[] };
      expect(`${to}: ${service.ports.map((p) => p.port).join()}`).toBe(`${to}: ${port}`);
    }
  });

  it('gives every workload that touches Kafka the same topics, and no projector more replicas than partitions', () => {
    const kafkaUsers = WORKLOADS.filter((w) => get(w.name).config.kafka !== undefined);
    const topics = new Set(
      kafkaUsers.map((w) =>
        JSON.stringify(eventTopics((get(w.name).config.kafka as { topicPrefix: string }).topicPrefix)),
      ),
    );
    expect(topics.size).toBe(1);
    const partitions = Number(get('create-topics').env.TOPIC_PARTITIONS);
    expect(get('outbox-relay').env.TOPIC_PARTITIONS).toBe(String(partitions));
    for (const projector of SERVICES.filter((s) => s.name.startsWith('projector-'))) {
      const hpa = find(objects, 'HorizontalPodAutoscaler', projector.name).spec as {
        maxReplicas: number;
        minReplicas: number;
        scaleTargetRef: { kind: string; name: string };
      };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: projector.name });
      expect(hpa.maxReplicas).toBeLessThanOrEqual(partitions);
      expect(hpa.minReplicas).toBeLessThanOrEqual(hpa.maxReplicas);
      expect((get(projector.name).object.spec as { replicas?: number }).replicas).toBeUndefined();
    }
  });

  it('runs each job with the command its code has', () => {
    const command = (name: string) => podSpecOf(get(name).object).containers[0];
    expect(command('migrate')?.command).toEqual(['node', 'services/command-service/dist/migrate.js']);
    expect(command('create-topics')?.command).toEqual(['node', 'tools/cqrs/dist/create-topics.js']);
    for (const name of ['migrate', 'create-topics'])
      expect(existsSync(join(repoRoot, command(name)?.command?.[1] ?? ''))).toBe(true);
    // The rebuild template's arguments are a command the operator's CLI accepts.
    expect(parseArgs(command('projection-rebuild')?.args ?? [])).toMatchObject({ command: 'rebuild' });
  });

  if (overlay === 'dev')
    it('lets each workload out to the pods of the Service it connects to, on that port only', () => {
      for (const workload of WORKLOADS) {
        const { connections, object } = get(workload.name);
        for (const { to, host: address, port, peer } of connections) {
          const host = peer ? workload.name : address;
          const service = find(objects, 'Service', host).spec as { selector: Record<string, string> };
          const reaches = egressRulesOf(objects, object).some(
            (rule) =>
              (rule.ports ?? []).some((p) => p.port === port) &&
              (rule.to ?? []).some((peerRule) => peerSelectsLocalPods(peerRule, service.selector)),
          );
          expect(`${workload.name} → ${to} ${host}:${port}: ${reaches}`).toBe(
            `${workload.name} → ${to} ${host}:${port}: true`,
          );
        }
      }
    });

  if (overlay === 'dev')
    it('runs every server the services connect to in the cluster, on the port they use', () => {
      for (const workload of WORKLOADS)
        for (const { to, host: address, port, peer } of get(workload.name).connections) {
          // A peer is another pod of the workload: its own Service's pods listen on the port.
          const host = peer ? workload.name : address;
          const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === host);
          const ports = ((service?.spec as { ports?: { port: number }[] } | undefined)?.ports ?? []).map(
            (p) => p.port,
          );
          expect(
            `${workload.name} → ${to} ${host}:${port} ${ports.includes(port) ? 'served' : 'not served'}`,
          ).toBe(`${workload.name} → ${to} ${host}:${port} served`);
        }
    });
});

describe('the probe paths', () => {
  it('are answered by the services’ HTTP app: /healthz while alive, /readyz only when dependencies answer', async () => {
    let storeUp = true;
    const app = createHttpApp({
      logger: createLogger({ service: 'probe-check', level: 'silent' }),
      bodyLimitBytes: 1_024,
      readiness: [
        {
          name: 'store',
          check: () => (storeUp ? Promise.resolve() : Promise.reject(new Error('down'))),
        },
      ],
    });
    const server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of new Set(Object.values(PROBES)))
        expect((await fetch(`${base}${path}`)).status).toBe(200);
      storeUp = false;
      expect((await fetch(`${base}${PROBES.readinessProbe}`)).status).toBe(503);
      expect((await fetch(`${base}${PROBES.livenessProbe}`)).status).toBe(200);
    } finally {
      server.close();
    }
  });
});
