export {
  deriveKey,
  instanceAad,
  KEY_BYTES,
  newDataKey,
  open,
  seal,
  secretAad,
  unwrapDataKey,
  wrapDataKey,
} from './envelope.ts';
export { constantTimeEqual, randomToken, sha256Hex } from './random.ts';
export {
  type CreatedRootKey,
  type CreateRootKeyOptions,
  createRootKey,
  type LoadRootKeyOptions,
  loadRootKey,
  SCRYPT_DEFAULTS,
} from './rootkey.ts';
export { parseRootKeySource, type RootKeySource } from './source.ts';
