import { createHmac } from 'node:crypto';
import { base64url, UnsecuredJWT } from 'jose';
import {
  generateSigningKey,
  issueToken,
  NoRoleGrantedError,
  TokenRefusedError,
  TokenVerifier,
  type TokenVerifierSettings,
} from '../src/index.js';

const trusted = generateSigningKey();
const stranger = generateSigningKey();
const CUSTOMER = '0b9e4a3c-6a0f-4d3e-9d7e-2f4c8a1b5e6d';

const settings: TokenVerifierSettings = {
  keys: { jwks: trusted.jwks },
  issuer: 'https://id.example.test/',
  audience: 'cqrs-shop',
  clockSkewSeconds: 30,
  algorithms: ['ES256', 'RS256'],
  claims: { roles: 'roles', customerId: 'customer_id' },
  keyCooldownMs: 30_000,
  keyMaxAgeMs: 600_000,
};

const claims = {
  issuer: settings.issuer,
  audience: settings.audience,
  subject: 'alice',
  roles: ['staff'] as const,
  ttlSeconds: 300,
};

async function refusalOf(verifier: TokenVerifier, token: string): Promise<unknown> {
  return verifier.verify(token).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('TokenVerifier', () => {
  const verifier = new TokenVerifier(settings);

  it('accepts a token of the trusted key and says who sent it', async () => {
    const token = await issueToken(trusted.privateJwk, {
      ...claims,
      roles: ['customer'],
      customerId: CUSTOMER.toUpperCase(),
    });
    const principal = await verifier.verify(token);
    expect(principal.subject).toBe('alice');
    expect([...principal.roles]).toEqual(['customer']);
    expect(principal.customerId).toBe(CUSTOMER);
  });

  it('refuses a token signed by another key', async () => {
    const forged = await issueToken({ ...stranger.privateJwk, kid: trusted.privateJwk.kid }, claims);
    const error = await refusalOf(verifier, forged);
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect((error as TokenRefusedError).reason).toBe('the token signature does not verify');

    const unknownKey = await issueToken(stranger.privateJwk, claims);
    expect(((await refusalOf(verifier, unknownKey)) as TokenRefusedError).reason).toContain('does not trust');
  });

  it('refuses an expired token, beyond the clock skew only', async () => {
    const expired = await issueToken(trusted.privateJwk, { ...claims, ttlSeconds: -31 });
    expect(((await refusalOf(verifier, expired)) as TokenRefusedError).reason).toBe('the token has expired');
    const withinSkew = await issueToken(trusted.privateJwk, { ...claims, ttlSeconds: -5 });
    await expect(verifier.verify(withinSkew)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('refuses the wrong audience or issuer, naming the claim', async () => {
    const otherAudience = await issueToken(trusted.privateJwk, { ...claims, audience: 'billing' });
    expect(((await refusalOf(verifier, otherAudience)) as TokenRefusedError).reason).toContain('aud claim');
    const otherIssuer = await issueToken(trusted.privateJwk, { ...claims, issuer: 'https://evil.test/' });
    expect(((await refusalOf(verifier, otherIssuer)) as TokenRefusedError).reason).toContain('iss claim');
  });

  it('refuses alg none and a token MACed with the public key (algorithm confusion)', async () => {
    const unsigned = new UnsecuredJWT({ roles: ['staff'] })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setSubject('mallory')
      .setExpirationTime('5m')
      .encode();
    expect(await refusalOf(verifier, unsigned)).toBeInstanceOf(TokenRefusedError);

    const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid: trusted.privateJwk.kid }));
    const payload = base64url.encode(
      JSON.stringify({
        iss: settings.issuer,
        aud: settings.audience,
        sub: 'mallory',
        roles: ['staff'],
        exp: Math.floor(Date.now() / 1_000) + 300,
      }),
    );
    const publicKey = JSON.stringify(trusted.jwks.keys[0]);
    const mac = createHmac('sha256', publicKey).update(`${header}.${payload}`).digest('base64url');
    expect(await refusalOf(verifier, `${header}.${payload}.${mac}`)).toBeInstanceOf(TokenRefusedError);
  });

  it('refuses what is not a JWT at all', async () => {
    expect(await refusalOf(verifier, 'abc.def.ghi')).toBeInstanceOf(TokenRefusedError);
    expect(await refusalOf(verifier, 'not-a-token')).toBeInstanceOf(TokenRefusedError);
  });

  it('grants nothing to a valid token without a role of the suite, or a customer without its id', async () => {
    const noRole = await issueToken(trusted.privateJwk, { ...claims, roles: [] });
    expect(await refusalOf(verifier, noRole)).toBeInstanceOf(NoRoleGrantedError);
    const anonymousCustomer = await issueToken(trusted.privateJwk, { ...claims, roles: ['customer'] });
    const error = await refusalOf(verifier, anonymousCustomer);
    expect(error).toBeInstanceOf(NoRoleGrantedError);
    expect((error as Error).message).toContain('customer_id');
  });
});
