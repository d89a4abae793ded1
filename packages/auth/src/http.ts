import { HttpProblem } from '@cqrs-shop/http';
import type { Logger } from '@cqrs-shop/logging';
import type { Request, RequestHandler, Response } from 'express';
import { type Access, type AccessRule, accessFor, describeRule } from './access.js';
import { NoRoleGrantedError, type Principal, UNRESTRICTED } from './principal.js';
import type { AuthSettings } from './config.js';
import { KeysUnavailableError, TokenRefusedError, TokenVerifier } from './verifier.js';

/** How a service learns who calls it: verified bearer tokens, or (explicitly) not at all. */
export type Authentication = TokenVerifier | 'disabled';

const REALM = 'cqrs-shop';
/** RFC 6750's b64token: what a bearer token may be made of. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const MAX_TOKEN_LENGTH = 8_192;

/** 401 with the challenge of RFC 6750 §3: `error` only when a token was sent. */
function unauthenticated(detail: string, invalidToken: boolean): HttpProblem {
  const challenge = invalidToken
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${detail.replaceAll('"', "'")}"`
    : `Bearer realm="${REALM}"`;
  return HttpProblem.generic('unauthenticated', detail, { headers: { 'WWW-Authenticate': challenge } });
}

const keysUnavailable = (cause: unknown) =>
  new HttpProblem(
    {
      code: 'keys-unavailable',
      status: 503,
      title: 'Tokens cannot be checked right now',
      detail: 'The keys that sign tokens could not be fetched from the identity provider; retry shortly',
      headers: { 'Retry-After': '5' },
    },
    { cause },
  );

/**
 * Authenticates the requests of the routes it is put before: the `Authorization: Bearer` token
 * is verified and its principal kept for the handlers ({@link principalOf}). Routes without it
 * (health, readiness, the API documents) stay open. `beforeRefusal` runs before a request is
 * answered 401, and may answer otherwise by throwing (a rate limit per client address, say).
 */
export function authenticate(
  authentication: Authentication,
  beforeRefusal?: (req: Request, res: Response) => Promise<void>,
): RequestHandler {
  if (authentication === 'disabled')
    return (_req, res, next) => {
      res.locals.principal = UNRESTRICTED;
      next();
    };
  const refuse = async (req: Request, res: Response, problem: HttpProblem): Promise<never> => {
    await beforeRefusal?.(req, res);
    throw problem;
  };
  return async (req, res, next) => {
    const header = req.get('Authorization');
    if (header === undefined)
      return refuse(req, res, unauthenticated('Send a bearer token in the Authorization header', false));
    const token = BEARER.exec(header)?.[1];
    if (!token || token.length > MAX_TOKEN_LENGTH)
      return refuse(req, res, unauthenticated('The Authorization header must be "Bearer <token>"', true));
    try {
      res.locals.principal = await authentication.verify(token);
    } catch (error) {
      if (error instanceof TokenRefusedError)
        return refuse(req, res, unauthenticated(`The token is refused: ${error.reason}`, true));
      if (error instanceof NoRoleGrantedError)
        throw HttpProblem.generic('forbidden', `The token grants nothing here: ${error.message}`);
      if (error instanceof KeysUnavailableError) throw keysUnavailable(error);
      throw error;
    }
    next();
  };
}

/** The principal {@link authenticate} found for this request. */
export function principalOf(res: Response): Principal {
  const principal: unknown = res.locals.principal;
  if (typeof principal !== 'object' || principal === null)
    throw new Error('No principal: the route is not behind authenticate()');
  return principal as Principal;
}

/**
 * What the request's principal may do under `rule`; a principal the rule does not admit gets
 * 403 naming the roles that may.
 */
export function authorize(res: Response, rule: AccessRule, what: string): Access {
  const access = accessFor(principalOf(res), rule);
  if (access.kind === 'refused')
    throw HttpProblem.generic('forbidden', `Only ${describeRule(rule)} may ${what}`);
  return access;
}

/** A route for the principals `rule` admits only (after {@link authenticate}); others get 403. */
export function restrictTo(rule: AccessRule, what: string): RequestHandler {
  return (_req, res, next) => {
    authorize(res, rule, what);
    next();
  };
}

/** The authentication the settings ask for; running without it is said loudly at start. */
export function authenticationFor(settings: AuthSettings, logger: Logger): Authentication {
  if (settings.mode === 'jwt') return new TokenVerifier(settings);
  logger.warn(
    'authentication is off (AUTH_DISABLED=true): anyone who reaches this service may do anything; never expose it so',
  );
  return 'disabled';
}
