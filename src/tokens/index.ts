export { loadTokenAgent } from './agents.ts';
export { type Actor, actDepth, type TaskClaims, type VerifiedToken } from './claims.ts';
export { storeExchangeContext } from './context.ts';
export { MAX_FORM_BYTES, readFormBody } from './form.ts';
export { MAX_TOKEN_LENGTH, TOKEN_TYP } from './jws.ts';
export {
  ensureSigningKeys,
  jwks,
  loadSigningKeys,
  newSigningKeySet,
  type PublicJwk,
  rotateSigningKeys,
  type SigningKey,
  type SigningKeySet,
  saveSigningKeys,
} from './keys.ts';
export {
  type ActorRef,
  AGENT_KEY_TOKEN_TYPE,
  type ExchangeContext,
  type ExchangeForm,
  exchangeResponse,
  exchangeToken,
  JWT_TOKEN_TYPE,
  oauthError,
  parseExchangeForm,
  TOKEN_EXCHANGE_GRANT,
} from './oauth.ts';
export { RevocationSet } from './revocations.ts';
export { TaskTokens } from './service.ts';
export { parseTtl } from './ttl.ts';
export {
  DEFAULT_TOKEN_POLICY,
  type ExchangeRequest,
  type IssuedToken,
  type StartTaskRequest,
  type TaskTokensDeps,
  type TokenAgent,
  type TokenPolicy,
} from './types.ts';
