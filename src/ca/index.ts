export { type CaMaterial, CLOCK_SKEW_MS, type CreateCaOptions, createCa } from './ca.ts';
export { LeafCache, type LeafCacheOptions } from './cache.ts';
export { issueLeaf, type LeafMaterial, MAX_LEAF_LIFETIME_MS } from './leaf.ts';
export { type CaSet, pruneCaSet, type RetiredCa, rotateCa, trustBundlePem } from './rotation.ts';
