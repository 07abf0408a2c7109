import type { PlaceholderStoreOps } from './types-placeholders.ts';

/** `ops` with every placeholder call passed through `gate`: the placeholder part of `gateOps`. */
export function gatePlaceholderOps(
  ops: PlaceholderStoreOps,
  gate: <T>(op: () => Promise<T>) => Promise<T>,
): PlaceholderStoreOps {
  return {
    createPlaceholders: (recs) => gate(() => ops.createPlaceholders(recs)),
    listPlaceholders: (now) => gate(() => ops.listPlaceholders(now)),
    listTaskPlaceholders: (ws, taskId) => gate(() => ops.listTaskPlaceholders(ws, taskId)),
  };
}
