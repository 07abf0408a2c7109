import type { TokenStoreOps } from './types-tokens.ts';

/** `ops` with every task and token call passed through `gate`: the tokens part of `gateOps`. */
export function gateTokenOps(
  ops: TokenStoreOps,
  gate: <T>(op: () => Promise<T>) => Promise<T>,
): TokenStoreOps {
  return {
    createTask: (rec) => gate(() => ops.createTask(rec)),
    getTask: (ws, id) => gate(() => ops.getTask(ws, id)),
    createToken: (rec) => gate(() => ops.createToken(rec)),
    getToken: (ws, jti) => gate(() => ops.getToken(ws, jti)),
    revokeTokens: (ws, target, at) => gate(() => ops.revokeTokens(ws, target, at)),
    listRevokedTokens: (now) => gate(() => ops.listRevokedTokens(now)),
    pruneTokens: (before) => gate(() => ops.pruneTokens(before)),
  };
}
