// Reading the deployment files as their tools do: Kustomize overlays rendered by the real
// kustomize, docker-compose.yml with its anchors and merge keys, and from both the environment
// each workload would get.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCommand, toolPath } from '@cqrs-shop/testing';
import { parse, parseAllDocuments } from 'yaml';
import { placeholderFor } from './workloads';

export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** A rendered Kubernetes object, typed only as far as the checks read it. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
  readonly [key: string]: unknown;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

export interface Probe {
  readonly httpGet?: { path: string; port: string | number };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly ports?: { name?: string; containerPort: number }[];
  readonly env?: EnvVar[];
  readonly envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  readonly volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  readonly containers: Container[];
  readonly terminationGracePeriodSeconds?: number;
}

/** Renders an overlay (or `base`) with kustomize; throws with kustomize's message on failure. */
export async function render(overlay: Overlay | 'base'): Promise<{ text: string; objects: K8sObject[] }> {
  const dir = overlay === 'base' ? 'k8s/base' : `k8s/overlays/${overlay}`;
  const outcome = await runCommand(toolPath('kustomize'), ['build', dir]);
  if (outcome.code !== 0) throw new Error(`kustomize build ${dir} failed: ${outcome.stderr}`);
  const objects = parseAllDocuments(outcome.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
  return { text: outcome.stdout, objects };
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

/** The pod spec of a Deployment, Job or CronJob. */
export function podSpecOf(object: K8sObject): PodSpec {
  const spec = object.spec as {
    template?: { spec: PodSpec };
    jobTemplate?: { spec: { template: { spec: PodSpec } } };
  };
  const pod = spec.template?.spec ?? spec.jobTemplate?.spec.template.spec;
  if (pod === undefined) throw new Error(`${object.kind} ${object.metadata.name} has no pod template`);
  return pod;
}

/** The workload of that name: a Deployment, a Job or (the rebuild template) a CronJob. */
export function workloadObject(objects: readonly K8sObject[], name: string): K8sObject {
  const found = objects.find(
    (o) => ['Deployment', 'Job', 'CronJob'].includes(o.kind) && o.metadata.name === name,
  );
  if (found === undefined) throw new Error(`no Deployment, Job or CronJob named ${name}`);
  return found;
}

function decoded(secret: K8sObject, key: string): string | undefined {
  const data = secret.data?.[key];
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  return (secret as { stringData?: Record<string, string> }).stringData?.[key];
}

/**
 * The environment a container gets: its ConfigMaps (envFrom) and its own variables, with
 * values from rendered ConfigMaps and Secrets. A Secret that is not rendered (created per
 * cluster) gives a placeholder that passes validation; a missing ConfigMap is an error.
 */
export function containerEnv(objects: readonly K8sObject[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef)
      Object.assign(env, find(objects, 'ConfigMap', source.configMapRef.name).data ?? {});
    if (source.secretRef) {
      const secret = find(objects, 'Secret', source.secretRef.name);
      for (const key of Object.keys(secret.data ?? {})) env[key] = decoded(secret, key) ?? '';
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const fromSecret = variable.valueFrom?.secretKeyRef;
    if (fromSecret) {
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === fromSecret.name);
      const value = secret === undefined ? placeholderFor(fromSecret.key) : decoded(secret, fromSecret.key);
      if (value === undefined)
        throw new Error(`Secret ${fromSecret.name} has no key ${fromSecret.key} (for ${variable.name})`);
      env[variable.name] = value;
    }
    const fromConfigMap = variable.valueFrom?.configMapKeyRef;
    if (fromConfigMap) {
      const value = find(objects, 'ConfigMap', fromConfigMap.name).data?.[fromConfigMap.key];
      if (value === undefined)
        throw new Error(`ConfigMap ${fromConfigMap.name} has no key ${fromConfigMap.key}`);
      env[variable.name] = value;
    }
  }
  return env;
}

// ---- docker-compose.yml ---------------------------------------------------------------------

export interface ComposeService {
  readonly image?: string;
  readonly build?: { context: string; target?: string };
  readonly command?: string[];
  readonly entrypoint?: string[];
  readonly environment?: Record<string, string | number | null>;
  readonly ports?: string[];
  readonly depends_on?: Record<string, { condition: string }>;
  readonly healthcheck?: { test: string[] };
  readonly profiles?: string[];
  readonly stop_grace_period?: string;
  readonly read_only?: boolean;
  /** `source:target[:mode]` */
  readonly volumes?: string[];
}

export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
  readonly volumes?: Record<string, unknown>;
}

export const COMPOSE_FILE = join(repoRoot, 'docker-compose.yml');

/** docker-compose.yml as Compose reads it, with YAML anchors and merge keys (`<<`) resolved. */
export function readCompose(text = readFileSync(COMPOSE_FILE, 'utf8')): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/**
 * A compose service's environment after interpolation: `${NAME:?message}` (required from the
 * user, e.g. passwords) becomes a placeholder, `${NAME:-default}` its default.
 */
export function composeEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [
      name,
      String(value ?? '').replace(
        /\$\{(\w+)(?::([?-])([^}]*))?\}/g,
        (_match, variable: string, op?: string, rest?: string) =>
          op === '-' ? (rest ?? '') : placeholderFor(variable),
      ),
    ]),
  );
}
