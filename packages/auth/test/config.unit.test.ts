import { ConfigError, loadConfig } from '@cqrs-shop/config';
import { join } from 'node:path';
import { authSection } from '../src/index.js';

/** Any file that exists: the section checks only that it can be read. */
const JWKS_FILE = join(__dirname, 'config.unit.test.ts');

const load = (env: Record<string, string>) => loadConfig({ auth: authSection }, env).auth;
const problems = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
};

describe('authSection', () => {
  const valid = {
    AUTH_JWKS_URL: 'https://id.example.test/jwks',
    AUTH_ISSUER: 'https://id.example.test/',
    AUTH_AUDIENCE: 'shop',
  };

  it('builds the verifier settings from a JWKS URL, issuer and audience', () => {
    expect(load(valid)).toMatchObject({
      mode: 'jwt',
      keys: { url: valid.AUTH_JWKS_URL },
      issuer: valid.AUTH_ISSUER,
      audience: 'shop',
      clockSkewSeconds: 30,
      claims: { roles: 'roles', customerId: 'customer_id' },
    });
    expect(load({ ...valid, AUTH_JWKS_URL: '', AUTH_JWKS_FILE: JWKS_FILE })).toMatchObject({
      keys: { file: JWKS_FILE },
    });
    // A key file that is not there is named at start, not at the first request.
    expect(problems({ ...valid, AUTH_JWKS_URL: '', AUTH_JWKS_FILE: '/keys/jwks.json' })[0]).toMatchObject({
      variable: 'AUTH_JWKS_FILE',
      message: 'must name a file that exists and can be read',
    });
  });

  it('requires a key set, an issuer and an audience unless authentication is switched off explicitly', () => {
    expect(problems({}).map((issue) => issue.variable)).toEqual([
      'AUTH_JWKS_URL',
      'AUTH_ISSUER',
      'AUTH_AUDIENCE',
    ]);
    expect(problems({})[0]?.message).toContain('AUTH_DISABLED=true');
    expect(load({ AUTH_DISABLED: 'true' })).toEqual({ mode: 'disabled' });
  });

  it('refuses contradictions and symmetric algorithms, naming the variable', () => {
    expect(problems({ ...valid, AUTH_JWKS_FILE: JWKS_FILE })[0]?.message).toContain('both set');
    expect(problems({ ...valid, AUTH_DISABLED: 'true' })[0]?.variable).toBe('AUTH_DISABLED');
    expect(problems({ ...valid, AUTH_ALGORITHMS: 'ES256,HS256' })[0]).toMatchObject({
      variable: 'AUTH_ALGORITHMS',
      message: expect.stringContaining('HS256') as unknown,
    });
    expect(problems({ ...valid, AUTH_JWKS_URL: 'ftp://x' })[0]?.variable).toBe('AUTH_JWKS_URL');
  });
});
