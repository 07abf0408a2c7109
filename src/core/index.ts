export { type Clock, systemClock } from './clock.ts';
export { AirlockError, type ErrorCode, isAirlockError, isErrorCode } from './errors.ts';
export {
  type AgentId,
  type ApiKeyId,
  type Brand,
  base32,
  type GrantId,
  newId,
  newTimeOrderedId,
  type SecretId,
  type ServiceId,
  type WorkspaceId,
} from './ids.ts';
export { redactUrlCredentials } from './redact.ts';
