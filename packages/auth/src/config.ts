import { type ConfigIssue, section, variable } from '@cqrs-shop/config';
import type { TokenVerifierSettings } from './verifier.js';

/** Signature algorithms accepted unless `AUTH_ALGORITHMS` says otherwise. */
const DEFAULT_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA', 'Ed25519'];
const ASYMMETRIC = /^(?:ES(?:256|384|512)|RS(?:256|384|512)|PS(?:256|384|512)|EdDSA|Ed25519)$/;

/** What the HTTP services read about authentication. */
export type AuthSettings = { readonly mode: 'disabled' } | ({ readonly mode: 'jwt' } & TokenVerifierSettings);

/**
 * Bearer-token authentication of the public APIs. Tokens are JWTs from an OAuth 2.0 / OIDC
 * identity provider, verified against its JWKS (`AUTH_JWKS_URL`) or a JWKS file
 * (`AUTH_JWKS_FILE`). Turning authentication off takes `AUTH_DISABLED=true`, and nothing else.
 */
export const authSection = section(
  {
    /** The identity provider's JWKS endpoint (its discovery document's `jwks_uri`). */
    AUTH_JWKS_URL: variable.url({ protocols: ['https:', 'http:'], default: '' }),
    /** A JWKS file instead of an endpoint (a mounted ConfigMap, the local stack's keys). */
    AUTH_JWKS_FILE: variable.readableFile({ default: '' }),
    /** The issuer (`iss`) every token must name. */
    AUTH_ISSUER: variable.string({ default: '' }),
    /** An audience (`aud`) every token must name. */
    AUTH_AUDIENCE: variable.string({ default: '' }),
    /** How far token times may be off. @default 30s */
    AUTH_CLOCK_SKEW: variable.duration({ default: 30_000, max: 300_000 }),
    /** Accepted signature algorithms, asymmetric only. @default ES256,ES384,RS256,PS256,EdDSA,Ed25519 */
    AUTH_ALGORITHMS: variable.list({ default: DEFAULT_ALGORITHMS }),
    /** The claim holding the roles (a list or a space-separated string; dotted for nested claims). @default roles */
    AUTH_ROLES_CLAIM: variable.string({ default: 'roles' }),
    /** The claim holding a customer token's customer id. @default customer_id */
    AUTH_CUSTOMER_CLAIM: variable.string({ default: 'customer_id' }),
    /** The key set is fetched again at most this often for a token naming an unknown key. @default 30s */
    AUTH_JWKS_COOLDOWN: variable.duration({ default: 30_000, max: 3_600_000 }),
    /** ... and at least this often, so that removed keys stop being trusted. @default 10m */
    AUTH_JWKS_MAX_AGE: variable.duration({ default: 600_000, max: 86_400_000 }),
    /** Serve without authentication (anyone may do anything): for a closed test network only. @default false */
    AUTH_DISABLED: variable.boolean({ default: false }),
  },
  (v): AuthSettings =>
    v.AUTH_DISABLED
      ? { mode: 'disabled' }
      : {
          mode: 'jwt',
          keys: v.AUTH_JWKS_URL !== '' ? { url: v.AUTH_JWKS_URL } : { file: v.AUTH_JWKS_FILE },
          issuer: v.AUTH_ISSUER,
          audience: v.AUTH_AUDIENCE,
          clockSkewSeconds: v.AUTH_CLOCK_SKEW / 1_000,
          algorithms: v.AUTH_ALGORITHMS,
          claims: { roles: v.AUTH_ROLES_CLAIM, customerId: v.AUTH_CUSTOMER_CLAIM },
          keyCooldownMs: v.AUTH_JWKS_COOLDOWN,
          keyMaxAgeMs: v.AUTH_JWKS_MAX_AGE,
        },
  (v) => {
    const issues: ConfigIssue[] = [];
    const keySources = [v.AUTH_JWKS_URL, v.AUTH_JWKS_FILE].filter((value) => value !== '').length;
    if (v.AUTH_DISABLED) {
      if (keySources > 0)
        issues.push({
          variable: 'AUTH_DISABLED',
          message: 'is true while a key set is configured; unset one of them',
        });
      return issues;
    }
    if (keySources !== 1)
      issues.push({
        variable: 'AUTH_JWKS_URL',
        message:
          keySources === 0
            ? 'is required, or AUTH_JWKS_FILE (where the keys that sign tokens are); AUTH_DISABLED=true runs without authentication'
            : 'and AUTH_JWKS_FILE are both set; set one',
      });
    if (v.AUTH_ISSUER === '')
      issues.push({ variable: 'AUTH_ISSUER', message: "is required (the tokens' iss)" });
    if (v.AUTH_AUDIENCE === '')
      issues.push({ variable: 'AUTH_AUDIENCE', message: 'is required (an aud the tokens must carry)' });
    const symmetric = v.AUTH_ALGORITHMS.filter((alg) => !ASYMMETRIC.test(alg));
    if (symmetric.length > 0)
      issues.push({
        variable: 'AUTH_ALGORITHMS',
        message: `names ${symmetric.join(', ')}: only asymmetric signature algorithms (ES*, RS*, PS*, EdDSA) are accepted`,
      });
    return issues;
  },
);
