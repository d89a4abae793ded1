import { ShopError } from '@cqrs-shop/errors';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { type ClaimNames, type Principal, principalFromClaims } from './principal.js';

/** Where the public keys that sign tokens are found. */
export type KeySource =
  /** The identity provider's JWKS endpoint (`jwks_uri` of its OIDC discovery document). */
  | { readonly url: string }
  /** A JWKS file, e.g. a mounted ConfigMap; read again when a token names a key it lacks. */
  | { readonly file: string }
  /** Keys held in memory (tests). */
  | { readonly jwks: JSONWebKeySet };

export interface TokenVerifierSettings {
  readonly keys: KeySource;
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** An `aud` every token must carry. */
  readonly audience: string;
  /** How far `exp`/`nbf`/`iat` may be off, for clocks that drift. */
  readonly clockSkewSeconds: number;
  /** Accepted signature algorithms: asymmetric ones only (the services verify, never sign). */
  readonly algorithms: readonly string[];
  readonly claims: ClaimNames;
  /** A key set is fetched again at most this often when a token names an unknown key. */
  readonly keyCooldownMs: number;
  /** ... and at least this often, so that removed keys stop being trusted. */
  readonly keyMaxAgeMs: number;
  /** Verified tokens remembered (so that a busy client costs a lookup, not a signature check). */
  readonly cacheSize?: number;
}

/** Why a token was not accepted; `reason` goes to the client in `WWW-Authenticate`. */
export class TokenRefusedError extends ShopError<'auth.token-refused'> {
  constructor(
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super('auth.token-refused', reason, options);
  }
}

/** The keys could not be had (the identity provider did not answer): not the token's fault. */
export class KeysUnavailableError extends ShopError<'auth.keys-unavailable'> {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('auth.keys-unavailable', message, { canRetry: true, ...options });
  }
}

/**
 * A verified principal is trusted again without checking its signature for at most this long
 * (and never longer than its key set is kept: a removed key stops being trusted in time).
 */
const CACHE_TTL_MS = 60_000;

/**
 * Checks bearer tokens (signed JWTs) and says who sent them. A token passes when its signature
 * verifies with a key of the key set under an accepted algorithm, it names the configured
 * issuer and audience, it is within its validity (give or take the clock skew), and its claims
 * make a principal of this suite.
 */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly cacheSize: number;
  private readonly cacheTtlMs: number;

  constructor(private readonly settings: TokenVerifierSettings) {
    this.keys = keySet(settings);
    this.cacheSize = settings.cacheSize ?? 10_000;
    this.cacheTtlMs = Math.min(CACHE_TTL_MS, settings.keyMaxAgeMs);
  }

  async verify(token: string): Promise<Principal> {
    const now = Date.now();
    const cached = this.cache.get(token);
    if (cached && cached.until > now) return cached.principal;
    if (cached) this.cache.delete(token);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockSkewSeconds,
        algorithms: [...this.settings.algorithms],
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw refusal(error);
    }
    const principal = principalFromClaims(payload, this.settings.claims);
    const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1_000 : now;
    if (this.cache.size >= this.cacheSize) {
      // The oldest entry goes first (a Map keeps insertion order).
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(token, { principal, until: Math.min(expiresAt, now + this.cacheTtlMs) });
    return principal;
  }
}

function refusal(error: unknown): Error {
  if (error instanceof errors.JWTExpired)
    return new TokenRefusedError('the token has expired', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed)
    return new TokenRefusedError(`the token's ${error.claim} claim is not accepted (${error.reason})`, {
      cause: error,
    });
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TokenRefusedError('the token signature does not verify', { cause: error });
  if (error instanceof errors.JWKSNoMatchingKey)
    return new TokenRefusedError('the token is signed by a key this service does not trust', {
      cause: error,
    });
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new TokenRefusedError('the token is signed with an algorithm that is not accepted', {
      cause: error,
    });
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKSMultipleMatchingKeys
  )
    return new TokenRefusedError('the token is not a well-formed signed JWT', { cause: error });
  return new KeysUnavailableError('the keys that sign tokens could not be fetched', { cause: error });
}

function keySet(settings: TokenVerifierSettings): JWTVerifyGetKey {
  const source = settings.keys;
  if ('jwks' in source) return createLocalJWKSet(source.jwks);
  if ('url' in source)
    return createRemoteJWKSet(new URL(source.url), {
      cooldownDuration: settings.keyCooldownMs,
      cacheMaxAge: settings.keyMaxAgeMs,
      timeoutDuration: 5_000,
    });
  return fileKeySet(source.file, settings.keyCooldownMs, settings.keyMaxAgeMs);
}

function parseKeySet(text: string, file: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`The key set ${file} is not JSON`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as JSONWebKeySet).keys))
    throw new Error(`The key set ${file} is not a JWKS (an object with a "keys" list)`);
  return parsed as JSONWebKeySet;
}

/**
 * A JWKS file as a key set. It is read at once (a missing or broken file stops the service at
 * start), again when a token names a key it lacks (a rotation added one; at most once per
 * cooldown), and again when older than `maxAgeMs` (a rotation removed one). A broken file read
 * later keeps the keys read before: a half-written ConfigMap must not lock everyone out.
 */
function fileKeySet(file: string, cooldownMs: number, maxAgeMs: number): JWTVerifyGetKey {
  let keys = createLocalJWKSet(parseKeySet(readFileSync(file, 'utf8'), file));
  let readAt = Date.now();
  let reading: Promise<void> | undefined;
  const reread = () => {
    reading ??= readFile(file, 'utf8')
      .then((text) => {
        keys = createLocalJWKSet(parseKeySet(text, file));
      })
      .catch(() => undefined)
      .finally(() => {
        readAt = Date.now();
        reading = undefined;
      });
    return reading;
  };
  return async (header, token) => {
    if (Date.now() - readAt > maxAgeMs) await reread();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - readAt < cooldownMs) throw error;
      await reread();
      return keys(header, token);
    }
  };
}
