// Keys fetched from an identity provider's JWKS endpoint (here a local HTTP server standing in
// for one): rotation without a restart, and what a caller gets when the endpoint is away.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { generateSigningKey, issueToken, KeysUnavailableError, TokenVerifier } from '../src/index.js';

describe('a JWKS endpoint as the key set', () => {
  let published: JSONWebKeySet = { keys: [] };
  let fetches = 0;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(published));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => {
    server.close();
  });

  const claims = {
    issuer: 'https://id.test/',
    audience: 'cqrs-shop',
    subject: 'ada',
    roles: ['staff'] as const,
    ttlSeconds: 60,
  };
  const verifierFor = (keysUrl: string) =>
    new TokenVerifier({
      keys: { url: keysUrl },
      issuer: claims.issuer,
      audience: claims.audience,
      clockSkewSeconds: 0,
      algorithms: ['ES256'],
      claims: { roles: 'roles', customerId: 'customer_id' },
      keyCooldownMs: 0,
      keyMaxAgeMs: 600_000,
    });

  it('fetches the keys once, and again for a key it has not seen (a rotation), not for every token', async () => {
    const first = generateSigningKey();
    published = first.jwks;
    const verifier = verifierFor(url);
    fetches = 0;
    await verifier.verify(await issueToken(first.privateJwk, claims));
    await verifier.verify(await issueToken(first.privateJwk, { ...claims, subject: 'grace' }));
    expect(fetches).toBe(1);

    const second = generateSigningKey();
    published = { keys: [...first.jwks.keys, ...second.jwks.keys] };
    await expect(verifier.verify(await issueToken(second.privateJwk, claims))).resolves.toMatchObject({
      subject: 'ada',
    });
    expect(fetches).toBe(2);
  });

  it('says the keys are unavailable, not that the token is bad, when the endpoint does not answer', async () => {
    const key = generateSigningKey();
    // Port 9 (discard): nothing listens there.
    const verifier = verifierFor('http://127.0.0.1:9/jwks');
    await expect(verifier.verify(await issueToken(key.privateJwk, claims))).rejects.toBeInstanceOf(
      KeysUnavailableError,
    );
  });
});
