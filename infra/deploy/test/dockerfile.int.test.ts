// The Dockerfile passes hadolint, and each image target runs what the code expects: the
// service's build, on the port its configuration defaults to, checked on that port's /healthz.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCommand, toolPath } from '@cqrs-shop/testing';
import { DOCKERFILE, effective, execForm, readDockerfile } from '../dockerfile';
import { loadWorkload, placeholderFor, requiredVariables, SERVICES } from '../workloads';
import { SERVICE_ENTRY_POINT } from '@cqrs-shop/service-registry';

async function hadolint(file: string): Promise<{ code: string; message: string }[]> {
  const outcome = await runCommand(toolPath('hadolint'), ['--no-color', '-f', 'json', file]);
  return JSON.parse(outcome.stdout) as { code: string; message: string }[];
}

/** The port a service listens on when its port variable is not set: the code's default. */
function defaultPort(workload: (typeof SERVICES)[number]): number {
  const env = {
    ...Object.fromEntries(requiredVariables(workload).map((v) => [v, placeholderFor(v)])),
    // The port does not depend on how callers are authenticated.
    AUTH_DISABLED: 'true',
  };
  return (loadWorkload(workload, env) as { http: { port: number } }).http.port;
}

describe('Dockerfile', () => {
  const { args, stages } = readDockerfile();

  it('passes hadolint with no finding', async () => {
    expect(await hadolint(DOCKERFILE)).toEqual([]);
  });

  it('hadolint reports what it should in a bad Dockerfile (a latest tag, root as the last user)', async () => {
    const findings = await hadolint(join(__dirname, 'fixtures/bad.Dockerfile'));
    expect(findings.map((f) => f.code)).toEqual(expect.arrayContaining(['DL3007', 'DL3002']));
  });

  it('builds on a Node LTS image pinned to a release, of the major version the toolchain uses', () => {
    const toolchain = readFileSync(join(repoRoot, 'scripts/toolchain.sh'), 'utf8');
    const major = /^NODE_MAJOR=(\d+)$/m.exec(toolchain)?.[1];
    expect(args['NODE_IMAGE']).toMatch(new RegExp(`^node:${major}\\.\\d+\\.\\d+-[a-z]+-slim$`));
    expect(Number(major) % 2).toBe(0); // even majors are the LTS lines
    expect(new Set(stages.filter((s) => !stages.some((t) => t.name === s.from)).map((s) => s.from))).toEqual(
      new Set(['${NODE_IMAGE}']),
    );
  });

  it('runs every image as a numeric non-root user', () => {
    for (const stage of stages.filter((s) => s.name !== 'build')) {
      const user = effective(stages, stage.name, 'USER');
      expect(`${stage.name}: ${user}`).toMatch(/: [1-9]\d{3,}:[1-9]\d{3,}$/);
    }
  });

  it.each(SERVICES.map((s) => [s.name, s] as const))(
    'has a %s target running its build, exposing and health-checking the port its code defaults to',
    (_name, service) => {
      const command = execForm(effective(stages, service.image, 'CMD'));
      expect(command).toEqual(['node', `services/${service.name}/${SERVICE_ENTRY_POINT}`]);
      expect(existsSync(join(repoRoot, command?.[1] ?? ''))).toBe(true);
      const port = defaultPort(service);
      expect(effective(stages, service.image, 'EXPOSE')).toBe(String(port));
      expect(execForm(effective(stages, service.image, 'HEALTHCHECK'))).toEqual([
        'node',
        'infra/container/healthcheck.mjs',
        service.service?.port.variable,
        String(port),
      ]);
    },
  );

  it('has a cqrs target for the operator command and the topic job', () => {
    const entrypoint = execForm(effective(stages, 'cqrs', 'ENTRYPOINT'));
    expect(entrypoint).toEqual(['node', 'tools/cqrs/dist/cli.js']);
    expect(existsSync(join(repoRoot, 'tools/cqrs/dist/cli.js'))).toBe(true);
    expect(existsSync(join(repoRoot, 'tools/cqrs/dist/create-topics.js'))).toBe(true);
  });

  it('makes a plain `docker build .` give the gateway (the last stage)', () => {
    expect(stages.at(-1)?.name).toBe('query-gateway');
  });

  it('leaves local state, dependencies, builds and credentials out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.local', '.git', '.env']));
  });
});
