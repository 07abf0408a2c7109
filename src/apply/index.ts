export { type ApplyResult, applyConfig, type Change } from './apply.ts';
export { exportConfig, stringifyYaml } from './export.ts';
export {
  type ConfigDocument,
  type DeclaredGrant,
  type DeclaredSecret,
  parseConfigDocument,
} from './schema.ts';
export { parseYaml, type YamlDocument } from './yaml.ts';
