// Every overlay renders with kustomize, every rendered object validates against the Kubernetes
// API's schemas (kubeconform, strict), and kube-score finds nothing that is not explained.
import { askTool, runCommand, toolPath } from '@cqrs-shop/testing';
import { type K8sObject, OVERLAYS, render } from '../manifests';
import { SERVICES } from '../workloads';

interface KubeconformResult {
  readonly filename: string;
  readonly kind: string;
  readonly name: string;
  readonly status: string;
  readonly msg: string;
}

/** The Kubernetes version the schemas were made for, e.g. 1.37.2. */
const kubernetesVersion = () => askTool('k8s-schemas', 'version');

async function kubeconform(manifests: string) {
  const outcome = await runCommand(
    toolPath('kubeconform'),
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      toolPath('k8s-schemas'),
      '-kubernetes-version',
      kubernetesVersion(),
      '-',
    ],
    { input: manifests },
  );
  const report = JSON.parse(outcome.stdout) as {
    resources: KubeconformResult[];
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  return { code: outcome.code, ...report };
}

interface ScoredObject {
  readonly object_name: string;
  readonly type_meta: { kind: string };
  readonly checks: {
    check: { id: string; name: string };
    grade: number;
    skipped: boolean;
    comments: { summary: string; description: string }[] | null;
  }[];
}

/** kube-score's findings: every check graded below "all OK" (10), as `Kind/name: check: summary`. */
async function kubeScore(manifests: string): Promise<string[]> {
  const outcome = await runCommand(
    toolPath('kube-score'),
    [
      'score',
      '--kubernetes-version',
      `v${kubernetesVersion().split('.').slice(0, 2).join('.')}`,
      '-o',
      'json',
      '-',
    ],
    { input: manifests },
  );
  const scored = JSON.parse(outcome.stdout) as ScoredObject[];
  return scored.flatMap((object) =>
    object.checks
      .filter((check) => !check.skipped && check.grade < 10)
      .map(
        (check) =>
          `${object.object_name}: ${check.check.id}: ${(check.comments ?? []).map((c) => c.summary).join('; ')}`,
      ),
  );
}

describe.each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  let manifests: string;
  let objects: K8sObject[];
  beforeAll(async () => {
    ({ text: manifests, objects } = await render(overlay));
  });

  it('renders the suite: a Deployment, Service, PodDisruptionBudget and NetworkPolicy per service, and the jobs', () => {
    const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    const services = SERVICES.map((service) => service.name);
    expect(names('Deployment')).toEqual(expect.arrayContaining(services));
    expect(names('Service')).toEqual(expect.arrayContaining(services));
    expect(names('PodDisruptionBudget')).toEqual(expect.arrayContaining(services));
    expect(names('NetworkPolicy')).toEqual(
      expect.arrayContaining([...services, 'default-deny', 'allow-dns']),
    );
    expect(names('Job').sort()).toEqual(['create-topics', 'migrate']);
    expect(names('CronJob')).toEqual(['projection-rebuild']);
    expect(names('HorizontalPodAutoscaler').sort()).toEqual([
      'projector-analytics',
      'projector-order-history',
      'projector-search',
      'query-gateway',
    ]);
    expect(names('Ingress')).toEqual(['cqrs-shop']);
    expect(objects.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'cqrs-shop')).toBe(true);
  });

  it('validates against the Kubernetes API schemas, strictly, with a schema for every kind', async () => {
    const report = await kubeconform(manifests);
    const problems = report.resources
      .filter((r) => r.status !== 'statusValid')
      .map((r) => `${r.kind}/${r.name}: ${r.msg}`);
    expect(problems).toEqual([]);
    expect(report.summary).toEqual({ valid: objects.length, invalid: 0, errors: 0, skipped: 0 });
    expect(report.code).toBe(0);
  });

  it('has no kube-score finding, and every check it turns off says why', async () => {
    expect(await kubeScore(manifests)).toEqual([]);
    const unexplained = objects
      .filter((o) => o.metadata.annotations?.['kube-score/ignore'] !== undefined)
      .filter((o) => (o.metadata.annotations?.['cqrs-shop/kube-score-reason'] ?? '').trim().length < 20)
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(unexplained).toEqual([]);
  });
});

describe('the validators', () => {
  // A check that cannot fail proves nothing: each validator must reject a broken object.
  const broken = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replicas: 'two'
  selector:
    matchLabels: { app: broken }
  template:
    metadata:
      labels: { app: broken }
    spec:
      containers:
        - name: app
          image: example/broken:latest
          unknownField: true
`;

  it('kubeconform rejects a wrong type and an unknown field', async () => {
    const report = await kubeconform(broken);
    expect(report.summary.invalid).toBe(1);
    expect(report.resources[0]?.msg).toMatch(/replicas|unknownField/);
    expect(report.code).not.toBe(0);
  });

  it('kube-score reports a latest tag, missing probes, limits and policies', async () => {
    const findings = await kubeScore(
      broken.replace("replicas: 'two'", 'replicas: 2').replace('          unknownField: true\n', ''),
    );
    expect(findings.join('\n')).toMatch(/container-image-tag/);
    expect(findings.join('\n')).toMatch(/container-resources/);
    expect(findings.join('\n')).toMatch(/pod-networkpolicy/);
  });
});
