// Who may open a connection to a pod's port under the rendered NetworkPolicies, evaluated as
// Kubernetes does for ingress: a pod selected by no policy of type Ingress takes anything; a
// selected one takes a connection when any rule of any policy selecting it admits the peer on
// that port. Only what the suite's manifests use is understood (matchLabels selectors); anything
// else is an error rather than a guess.
import { type K8sObject, podSpecOf } from './manifests';

/** Where a connection comes from: a pod with its labels, in a namespace with its labels. */
export interface Peer {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface IngressRule {
  from?: PolicyPeer[];
  ports?: { protocol?: string; port?: number | string }[];
}
interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: IngressRule[];
}

function matches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  if (selector.matchExpressions !== undefined)
    throw new Error('matchExpressions are not evaluated here; use matchLabels');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** The labels Kubernetes gives every namespace, which the policies select namespaces by. */
const namespaceLabels = (namespace: string) => ({ 'kubernetes.io/metadata.name': namespace });

function admitsPeer(peer: PolicyPeer, from: Peer, namespace: string): boolean {
  // An address block admits any address in it: from the suite's point of view, anyone.
  if (peer.ipBlock !== undefined) return true;
  const inNamespace =
    peer.namespaceSelector === undefined
      ? from.namespace === namespace
      : matches(peer.namespaceSelector, namespaceLabels(from.namespace));
  return inNamespace && matches(peer.podSelector ?? {}, from.podLabels);
}

function admitsPort(rule: IngressRule, port: { name?: string; containerPort: number }): boolean {
  if (rule.ports === undefined || rule.ports.length === 0) return true;
  return rule.ports.some(
    (allowed) =>
      (allowed.protocol ?? 'TCP') === 'TCP' &&
      (allowed.port === undefined || allowed.port === port.containerPort || allowed.port === port.name),
  );
}

/**
 * Whether `from` may connect to the named port of the workload's pods, the workload running in
 * `namespace` (where the policies, rendered without one, are applied).
 */
export function mayConnect(
  objects: readonly K8sObject[],
  workload: K8sObject,
  portName: string,
  from: Peer,
  namespace: string,
): boolean {
  const pod = podSpecOf(workload);
  const podLabels =
    (workload.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata
      ?.labels ?? {};
  const port = pod.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === portName);
  if (port === undefined) throw new Error(`${workload.metadata.name} has no port named ${portName}`);
  const policies = objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => o.spec as unknown as PolicySpec)
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes('Ingress'))
    .filter((spec) => matches(spec.podSelector, podLabels));
  if (policies.length === 0) return true;
  return policies.some((spec) =>
    (spec.ingress ?? []).some(
      (rule) =>
        admitsPort(rule, port) &&
        (rule.from === undefined ||
          rule.from.length === 0 ||
          rule.from.some((peer) => admitsPeer(peer, from, namespace))),
    ),
  );
}
