import type { SourceStoreOps } from './types-sources.ts';

/** `ops` with every reference and provider call passed through `gate`: the sources part of `gateOps`. */
export function gateSourceOps(
  ops: SourceStoreOps,
  gate: <T>(op: () => Promise<T>) => Promise<T>,
): SourceStoreOps {
  return {
    putSecretRef: (rec) => gate(() => ops.putSecretRef(rec)),
    getSecretRef: (ws, name) => gate(() => ops.getSecretRef(ws, name)),
    listSecretRefs: (ws) => gate(() => ops.listSecretRefs(ws)),
    deleteSecretRef: (ws, name) => gate(() => ops.deleteSecretRef(ws, name)),
    putProvider: (rec) => gate(() => ops.putProvider(rec)),
    listProviders: (ws) => gate(() => ops.listProviders(ws)),
    deleteProvider: (ws, name) => gate(() => ops.deleteProvider(ws, name)),
  };
}
