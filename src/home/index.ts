export {
  DEFAULT_API,
  DEFAULT_PROXY,
  type HomeConfig,
  type HomePaths,
  newInstanceId,
  type RootKeyEntry,
  readConfig,
  resolveHome,
  writeConfig,
} from './config.ts';
export { type InitResult, type InitRootKey, initHome } from './init.ts';
export { loadCaSet, loadInstanceKey, saveCaSet } from './instance.ts';
export { rotateRootKey } from './rotate.ts';
export { type UnlockedHome, unlockHome } from './unlock.ts';
