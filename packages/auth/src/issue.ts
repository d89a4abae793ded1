import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';
import type { Role } from './principal.js';

/**
 * A private signing key as a JWK (with `kid` and `alg`): what the local stack and the tests
 * sign their tokens with. Production tokens come from the identity provider.
 */
export type SigningJwk = JWK & { readonly kid: string; readonly alg: string };

/** A fresh ES256 key: the private JWK, and the JWKS that publishes its public half. */
export function generateSigningKey(): { privateJwk: SigningJwk; jwks: JSONWebKeySet } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } as SigningJwk;
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } as JWK;
  return { privateJwk, jwks: { keys: [publicJwk] } };
}

/** Reads a private signing JWK, saying which file is wrong when it is. */
export function readSigningKey(file: string): SigningJwk {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `Cannot read the signing key ${file}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  const jwk = parsed as Partial<SigningJwk>;
  if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string' || typeof jwk.d !== 'string')
    throw new Error(`The signing key ${file} is not a private JWK with kid and alg`);
  return jwk as SigningJwk;
}

/** What one token says. */
export interface TokenClaims {
  readonly issuer: string;
  readonly audience: string;
  readonly subject: string;
  readonly roles: readonly Role[];
  /** Required with the `customer` role. */
  readonly customerId?: string;
  /** How long the token is valid. */
  readonly ttlSeconds: number;
}

/** Signs a bearer token with `key`, its roles and customer in the default claims (`roles`, `customer_id`). */
export async function issueToken(key: SigningJwk, claims: TokenClaims): Promise<string> {
  const payload: Record<string, unknown> = { roles: [...claims.roles] };
  if (claims.customerId !== undefined) payload.customer_id = claims.customerId;
  const now = Math.floor(Date.now() / 1_000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + claims.ttlSeconds)
    .setJti(randomUUID())
    .sign(await importJWK(key, key.alg));
}
