// `cqrs tokens issue`: bearer tokens signed with the local stack's key, for trying the APIs,
// scripts and the ops page. The token is the last line of stdout, alone. `cqrs tokens keygen`
// makes that key, for the local stack and for Docker Compose.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateSigningKey, issueToken, readSigningKey } from '@cqrs-shop/auth';
import { loadConfig, section, variable } from '@cqrs-shop/config';
import type { Command } from './args.js';

const tokensSection = section(
  {
    /** The private JWK the local stack made (its public half is the services' JWKS). */
    AUTH_SIGNING_KEY_FILE: variable.string(),
    AUTH_ISSUER: variable.string(),
    AUTH_AUDIENCE: variable.string(),
  },
  (v) => ({ keyFile: v.AUTH_SIGNING_KEY_FILE, issuer: v.AUTH_ISSUER, audience: v.AUTH_AUDIENCE }),
);

export function loadTokensConfig(env: NodeJS.ProcessEnv) {
  return loadConfig({ tokens: tokensSection }, env).tokens;
}

export type TokensConfig = ReturnType<typeof loadTokensConfig>;

/** Signs the token the command asks for; prints what it grants (JSON: all of it), then the token. */
export async function issueTokenCommand(
  command: Extract<Command, { command: 'tokens-issue' }>,
  config: TokensConfig,
  print: (text: string) => void,
): Promise<void> {
  const subject = command.subject ?? `local-${command.role}`;
  const token = await issueToken(readSigningKey(config.keyFile), {
    issuer: config.issuer,
    audience: config.audience,
    subject,
    roles: [command.role],
    ...(command.customerId === undefined ? {} : { customerId: command.customerId }),
    ttlSeconds: command.ttlSeconds,
  });
  const expiresAt = new Date(Date.now() + command.ttlSeconds * 1_000).toISOString();
  if (command.json) {
    print(
      `${JSON.stringify({ role: command.role, subject, customerId: command.customerId ?? null, expiresAt, token })}\n`,
    );
    return;
  }
  const customer = command.customerId === undefined ? '' : ` of customer ${command.customerId}`;
  print(
    `# ${command.role} token${customer} for ${subject}, valid until ${expiresAt}; send it as Authorization: Bearer <token>\n`,
  );
  print(`${token}\n`);
}

/**
 * Makes a signing key unless both files exist (tokens issued before stay valid): the private
 * JWK, readable by its owner only, and the JWKS of its public half.
 * @returns whether a key was made
 */
export function keygenCommand(command: Extract<Command, { command: 'tokens-keygen' }>): boolean {
  if (existsSync(command.keyFile) && existsSync(command.jwksFile)) return false;
  const { privateJwk, jwks } = generateSigningKey();
  for (const file of [command.keyFile, command.jwksFile])
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(command.keyFile, JSON.stringify(privateJwk), { mode: 0o600 });
  writeFileSync(command.jwksFile, JSON.stringify(jwks), { mode: 0o644 });
  return true;
}

/**
 * The bearer token `projections redrive` sends: CQRS_OPS_TOKEN (a token with the ops role from
 * your identity provider), or, where the local signing key is at hand (the local stack, Docker
 * Compose), one signed with it for five minutes.
 */
export async function opsToken(env: NodeJS.ProcessEnv): Promise<string> {
  const given = env.CQRS_OPS_TOKEN?.trim();
  if (given) return given;
  if (!env.AUTH_SIGNING_KEY_FILE)
    throw new Error('CQRS_OPS_TOKEN is not set: a redrive needs a bearer token with the ops role');
  const config = loadTokensConfig(env);
  return issueToken(readSigningKey(config.keyFile), {
    issuer: config.issuer,
    audience: config.audience,
    subject: 'local-ops-cli',
    roles: ['ops'],
    ttlSeconds: 300,
  });
}
