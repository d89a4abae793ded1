export {
  type Access,
  type AccessRule,
  accessFor,
  describeRule,
  mayTouch,
  OPENAPI_BEARER_SCHEME,
} from './access.js';
export { type AuthSettings, authSection } from './config.js';
export {
  type Authentication,
  authenticate,
  authenticationFor,
  authorize,
  principalOf,
  restrictTo,
} from './http.js';
export {
  generateSigningKey,
  issueToken,
  readSigningKey,
  type SigningJwk,
  type TokenClaims,
} from './issue.js';
export {
  actorOf,
  type ClaimNames,
  NoRoleGrantedError,
  type Principal,
  principalFromClaims,
  type Role,
  ROLES,
  UNRESTRICTED,
} from './principal.js';
export {
  type KeySource,
  KeysUnavailableError,
  TokenRefusedError,
  TokenVerifier,
  type TokenVerifierSettings,
} from './verifier.js';
