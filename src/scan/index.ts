export { assignmentsOf, isSecretKey, looksLikeSecretValue } from './assign.ts';
export { scanExitCode, toSarif } from './report.ts';
export { entropy, TOKEN_RULES, type TokenRule } from './rules.ts';
export { scanText } from './scan-text.ts';
export type {
  FileKind,
  Finding,
  Fingerprint,
  FingerprintSet,
  ScanReport,
  UnresolvedRef,
} from './types.ts';
export { fileKind, type ScanOptions, scanPaths } from './walk.ts';
