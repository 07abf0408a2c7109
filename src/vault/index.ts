export { assertSecretName, assertSecretValue, DEFAULT_MAX_SECRET_BYTES } from './names.ts';
export { parseDotenv } from './providers/dotenv.ts';
export { decryptDotenvxFile, resolveDotenvxFile } from './providers/dotenvx.ts';
export { eciesDecrypt, eciesEncrypt, publicKeyHex } from './providers/ecies.ts';
export {
  DEFAULT_PROVIDER_TIMEOUT_MS,
  type ExecProvider,
  PROVIDER_PROTOCOL_VERSION,
  type ProviderResult,
  parseExecProvider,
  runExecProvider,
} from './providers/exec.ts';
export { readSourceFile, resolveFileRef } from './providers/file.ts';
export {
  formatSecretRef,
  parseSecretRef,
  type SecretRef,
  type SourceKind,
} from './providers/ref.ts';
export { type ResolveContext, resolveRefs } from './providers/resolve.ts';
export {
  type RefState,
  type RefStatus,
  SecretSnapshot,
  type SecretSnapshotOptions,
  SOURCE_CHANNELS,
  type SourceFailure,
  type SourcesStatus,
} from './snapshot.ts';
export { newWrappedDataKey, type SecretMetadata, Vault, type VaultOptions } from './vault.ts';
