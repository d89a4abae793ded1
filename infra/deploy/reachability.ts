// Who may open a connection to a pod's port under the rendered NetworkPolicies, evaluated as
// Kubernetes does for ingress: a pod selected by no policy of type Ingress takes anything; a
// selected one takes a connection when any rule of any policy selecting it admits the peer on
// that port. And the egress rules that apply to a pod, from every policy that selects it. Only
// what the suite's manifests use is understood (matchLabels, and matchExpressions with In);
// anything else is an error rather than a guess.
import { type K8sObject, podSpecOf } from './manifests';

/** Where a connection comes from: a pod with its labels, in a namespace with its labels. */
export interface Peer {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Requirement[] };
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface IngressRule {
  from?: PolicyPeer[];
  ports?: { protocol?: string; port?: number | string }[];
}
/** One egress rule: where to (peers), on which ports. */
export interface EgressRule {
  to?: PolicyPeer[];
  ports?: { protocol?: string; port?: number | string }[];
}
interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: IngressRule[];
  egress?: EgressRule[];
}

/** Whether a label selector selects these labels. */
export function matches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  const expressions = (selector.matchExpressions ?? []).every((requirement) => {
    if (requirement.operator !== 'In')
      throw new Error(`matchExpressions operator ${requirement.operator} is not evaluated here; use In`);
    const value = labels[requirement.key];
    return value !== undefined && (requirement.values ?? []).includes(value);
  });
  return (
    expressions && Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value)
  );
}

/** The labels of a Deployment's, Job's or CronJob's pods. */
export function podLabelsOf(workload: K8sObject): Record<string, string> {
  const spec = workload.spec as {
    template?: { metadata?: { labels?: Record<string, string> } };
    jobTemplate?: { spec: { template: { metadata?: { labels?: Record<string, string> } } } };
  };
  return (spec.template ?? spec.jobTemplate?.spec.template)?.metadata?.labels ?? {};
}

/** The policies of a type that select pods with these labels. */
function policiesSelecting(
  objects: readonly K8sObject[],
  type: 'Ingress' | 'Egress',
  labels: Record<string, string>,
) {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => o.spec as unknown as PolicySpec)
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes(type))
    .filter((spec) => matches(spec.podSelector, labels));
}

/** Every egress rule that applies to the workload's pods, from every policy that selects them. */
export function egressRulesOf(objects: readonly K8sObject[], workload: K8sObject): EgressRule[] {
  return policiesSelecting(objects, 'Egress', podLabelsOf(workload)).flatMap((spec) => spec.egress ?? []);
}

/** Whether an egress peer stands for pods with these labels in the policy's own namespace. */
export function peerSelectsLocalPods(peer: PolicyPeer, labels: Readonly<Record<string, string>>): boolean {
  return (
    peer.namespaceSelector === undefined &&
    peer.ipBlock === undefined &&
    matches(peer.podSelector ?? {}, labels)
  );
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
  const port = pod.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === portName);
  if (port === undefined) throw new Error(`${workload.metadata.name} has no port named ${portName}`);
  const policies = policiesSelecting(objects, 'Ingress', podLabelsOf(workload));
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
