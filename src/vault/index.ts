export { assertSecretName, assertSecretValue, DEFAULT_MAX_SECRET_BYTES } from './names.ts';
export { newWrappedDataKey, type SecretMetadata, Vault, type VaultOptions } from './vault.ts';
