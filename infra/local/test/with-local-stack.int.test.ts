import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { service } from '@cqrs-shop/service-registry';
import { repoRoot, runCommand } from '@cqrs-shop/testing';

/** The settings file `npm run stack -- up` writes (the stack is up for the integration tests). */
const stackEnvFile = join(repoRoot, '.local/stack/stack.env');

describe('scripts/with-local-stack (operator commands in a checkout)', () => {
  it("gives a command the local stack's settings, with any variable already set winning", async () => {
    const file = Object.fromEntries(
      readFileSync(stackEnvFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    ) as Record<string, string>;
    const print =
      'const { MYSQL_HOST: mysql, KAFKA_BROKERS: kafka, RELAY_URL: relay, SEARCH_PROJECTOR_URL: search } = process.env;' +
      'console.log(JSON.stringify({ mysql, kafka, relay, search }))';

    const run = await runCommand(
      'bash',
      [join(repoRoot, 'scripts/with-local-stack'), process.execPath, '-e', print],
      {
        env: { PATH: process.env.PATH ?? '', KAFKA_BROKERS: 'elsewhere:9092', SEARCH_PORT: '4012' },
      },
    );

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      mysql: file.MYSQL_HOST,
      kafka: 'elsewhere:9092',
      // Where `npm start` runs the services (their registry entries), on the ports set, if any.
      relay: `http://127.0.0.1:${service('outbox-relay').port.default}`,
      search: 'http://127.0.0.1:4012',
    });
    expect(run.stderr).toContain("using the local stack's settings from .local/stack/stack.env");
    expect(run.stderr).toContain('MYSQL_HOST');
    expect(run.stderr).not.toContain('KAFKA_BROKERS');
  });
});
