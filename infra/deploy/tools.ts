// The validators the deployment checks run: real binaries provisioned by infra/local/tools
// (`npm test` does it in its phase "provision: test tools").
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoRoot } from '@cqrs-shop/testing';

export type Tool = 'kustomize' | 'kubeconform' | 'kube-score' | 'k8s-schemas' | 'compose-schema' | 'hadolint';

/** Where infra/local/tools/<tool>.sh put the tool; throws when it has not been provisioned. */
export function toolPath(tool: Tool): string {
  const path = execFileSync(
    'bash',
    ['-c', `source infra/local/lib/common.sh && source infra/local/tools/${tool}.sh && ${tool}_path`],
    { cwd: repoRoot, encoding: 'utf8' },
  ).trim();
  if (!existsSync(path))
    throw new Error(`${tool} is not at ${path}: run infra/local/tools/provision ${tool}`);
  return path;
}

/** The Kubernetes version the schemas were made for, e.g. 1.37.2. */
export function kubernetesVersion(): string {
  return execFileSync(
    'bash',
    [
      '-c',
      'source infra/local/lib/common.sh && source infra/local/tools/k8s-schemas.sh && k8s-schemas_version',
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  ).trim();
}

export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool to its end; a non-zero exit is an outcome, not an exception. */
export function run(binary: string, args: readonly string[], input?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      args,
      { cwd: repoRoot, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
