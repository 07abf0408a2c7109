export {
  type AnchorSigner,
  anchorMessage,
  anchorValid,
  ed25519Signer,
  headAnchor,
  loadAuditSigner,
  signAnchor,
} from './anchor.ts';
export {
  type AdminChangeFacts,
  type AuditContext,
  adminEvent,
  authFailedEvent,
  type ProxyFacts,
  type ProxyOutcomeFacts,
  proxyCompletedEvent,
  proxyDeniedEvent,
  proxyExfiltrationEvent,
  proxyRequestEvent,
  proxyTunnelEvent,
} from './build.ts';
export { type ActClaim, chainFromAct, taskEvent, tokenEvent } from './build-tokens.ts';
export { canonicalJson } from './canonical.ts';
export { type ChainPoint, chainHash, GENESIS_HASH } from './chain.ts';
export { CSV_COLUMNS, csvHeader, toCsvLine, toJsonLine } from './export.ts';
export { assertAuditSafe, looksLikeCredential, scrubPath, scrubText } from './guard.ts';
export { AuditLog, type AuditLogOptions, openAuditLog, type PruneReport } from './log.ts';
export {
  type AuditPage,
  type AuditQuery,
  DEFAULT_PAGE,
  MAX_PAGE,
  parseAuditQuery,
} from './query.ts';
export {
  type AccessReview,
  type AccessReviewInput,
  type AgentReview,
  buildAccessReview,
  type DeniedAttempt,
  type GrantReview,
  type LiveTokenView,
} from './review.ts';
export { accessReviewMarkdown } from './review-md.ts';
export {
  type AdminAuditEvent,
  type AdminAuditKind,
  AUDIT_EVENT_VERSION,
  AUDIT_KINDS,
  type AuditActor,
  type AuditActorType,
  type AuditAnomalyEvent,
  type AuditAttribute,
  type AuditDecision,
  type AuditDestination,
  type AuditEvent,
  type AuditEventBase,
  type AuditLink,
  type AuditRecord,
  type AuditSecretRef,
  type AuditTarget,
  type AuthFailedAuditEvent,
  type ProxyCompletedAuditEvent,
  type ProxyDeniedAuditEvent,
  type ProxyExfiltrationAuditEvent,
  type ProxyRequestAuditEvent,
  type ProxyTunnelAuditEvent,
  type TaskAuditEvent,
  type TokenAuditEvent,
} from './schema.ts';
export { type AuditFileSink, startAuditFileSink } from './sink.ts';
export {
  type ProxyChannelNames,
  type ProxySubscription,
  recordBeforeForward,
  subscribeProxyAudit,
} from './subscribe.ts';
export { isoTime, parseTime } from './time.ts';
export {
  type ChainProblem,
  type ChainProblemCode,
  type VerifyReport,
  verifyChain,
} from './verify.ts';
export { type AuditReceipt, AuditWriter, type AuditWriterOptions } from './writer.ts';
