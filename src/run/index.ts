export {
  type AgentEnvInput,
  buildAgentEnv,
  CA_VARIABLES,
  checkPass,
  looksLikeCredential,
  type PlaceholderVariable,
  PROXY_VARIABLES,
  proxyUrl,
  RUN_MARKER,
  tokenFromEnv,
} from './env.ts';
export { type EnvFormat, formatEnv, parseEnvFormat } from './format.ts';
export { FORWARDED_SIGNALS, type LaunchOptions, launch, type SignalSource } from './launch.ts';
export {
  exchangeForNested,
  type NestedGrant,
  type ProxyAddress,
  parseProxyAddress,
  revokeNested,
} from './nested.ts';
export {
  hashPlaceholder,
  type MintedPlaceholder,
  mintPlaceholder,
  mintTaskPlaceholders,
  PlaceholderTable,
} from './placeholders.ts';
export { caBundle, createRunDir, type RunDir, writeCaFile } from './run-dir.ts';
export {
  type IsolationProbe,
  launchIsolated,
  probeBwrap,
  requireIsolation,
  type SandboxOptions,
} from './sandbox.ts';
export { type RunUser, resolveRunUser } from './user.ts';
