// docker-compose.yml against the Compose Specification's JSON schema, the one Docker Compose
// itself validates with (from compose-go; see infra/local/tools/compose-schema.sh).
import { readFileSync } from 'node:fs';
import { toolPath } from '@cqrs-shop/testing';
import Ajv2020 from 'ajv/dist/2020';
import { COMPOSE_FILE, readCompose } from '../manifests';

function composeValidator() {
  const schema = JSON.parse(readFileSync(toolPath('compose-schema'), 'utf8')) as object;
  // Not strict about types: the schema uses union types, which ajv's strict mode calls style.
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false, allowUnionTypes: true });
  const validate = ajv.compile(schema);
  return (document: unknown) => {
    const valid = validate(document);
    return { valid, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`) };
  };
}

describe('docker-compose.yml', () => {
  const validate = composeValidator();
  const text = readFileSync(COMPOSE_FILE, 'utf8');

  it('validates against the Compose Specification schema', () => {
    expect(validate(readCompose(text))).toEqual({ valid: true, errors: [] });
  });

  it('is rejected with the place named when it has an unknown key or a wrong shape', () => {
    const document = readCompose(text) as unknown as { services: Record<string, Record<string, unknown>> };
    document.services['query-gateway'] = { ...document.services['query-gateway'], helthcheck: {} };
    document.services['mysql'] = { ...document.services['mysql'], ports: 3306 };
    const result = validate(document);
    expect(result.valid).toBe(false);
    expect(result.errors.join('\n')).toMatch(
      /\/services\/query-gateway must NOT have unevaluated properties/,
    );
    expect(result.errors.join('\n')).toMatch(/\/services\/mysql\/ports must be array/);
  });

  it('keeps every server’s data in a named volume and starts nothing before what it needs', () => {
    const { services, volumes } = readCompose(text);
    for (const server of ['mysql', 'kafka', 'mongodb', 'elasticsearch', 'redis'])
      expect(Object.keys(volumes ?? {})).toContain(`${server}-data`);
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        expect(target).toBeDefined();
        // Waiting for "healthy" needs a health check: in the file or (built services) in the image.
        if (condition === 'service_healthy') expect(target?.healthcheck ?? target?.build).toBeDefined();
        // Steps that run once are waited for to finish, not merely to start.
        if (['migrate', 'create-topics'].includes(dependency))
          expect(`${name} → ${dependency}: ${condition}`).toBe(
            `${name} → ${dependency}: service_completed_successfully`,
          );
      }
    }
  });
});
