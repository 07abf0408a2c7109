import { gateAuditOps } from './gate-audit.ts';
import { gatePlaceholderOps } from './gate-placeholders.ts';
import { gateSourceOps } from './gate-sources.ts';
import { gateTokenOps } from './gate-tokens.ts';
import type { StoreOps } from './types.ts';

/** Wraps one store operation: decides when (and whether) it may run. */
export type Gate = <T>(op: () => Promise<T>) => Promise<T>;

/**
 * `ops` with every call passed through `gate`. Spelled out method by method
 * so the types stay exact (no casts over a generic key walk).
 */
export function gateOps(ops: StoreOps, gate: Gate): StoreOps {
  return {
    ...gateAuditOps(ops, gate),
    ...gateTokenOps(ops, gate),
    ...gateSourceOps(ops, gate),
    ...gatePlaceholderOps(ops, gate),
    getMeta: (key) => gate(() => ops.getMeta(key)),
    putMeta: (key, value) => gate(() => ops.putMeta(key, value)),
    deleteMeta: (key) => gate(() => ops.deleteMeta(key)),

    createWorkspace: (rec) => gate(() => ops.createWorkspace(rec)),
    getWorkspaceByName: (name) => gate(() => ops.getWorkspaceByName(name)),
    getWorkspace: (id) => gate(() => ops.getWorkspace(id)),
    listWorkspaces: () => gate(() => ops.listWorkspaces()),
    setWorkspaceKey: (id, key) => gate(() => ops.setWorkspaceKey(id, key)),

    createSecret: (rec, first) => gate(() => ops.createSecret(rec, first)),
    getSecretByName: (ws, name) => gate(() => ops.getSecretByName(ws, name)),
    listSecrets: (ws) => gate(() => ops.listSecrets(ws)),
    addSecretVersion: (ws, version) => gate(() => ops.addSecretVersion(ws, version)),
    getSecretVersion: (ws, id, version) => gate(() => ops.getSecretVersion(ws, id, version)),
    deleteSecret: (ws, id) => gate(() => ops.deleteSecret(ws, id)),

    createApiKey: (rec) => gate(() => ops.createApiKey(rec)),
    getApiKeyByHash: (keyHash) => gate(() => ops.getApiKeyByHash(keyHash)),
    listApiKeys: (ws) => gate(() => ops.listApiKeys(ws)),
    revokeApiKey: (ws, id, at) => gate(() => ops.revokeApiKey(ws, id, at)),

    createAgent: (rec) => gate(() => ops.createAgent(rec)),
    getAgentByName: (ws, name) => gate(() => ops.getAgentByName(ws, name)),
    getAgentByKeyHash: (keyHash) => gate(() => ops.getAgentByKeyHash(keyHash)),
    listAgents: (ws) => gate(() => ops.listAgents(ws)),
    updateAgent: (ws, id, patch) => gate(() => ops.updateAgent(ws, id, patch)),
    deleteAgent: (ws, id) => gate(() => ops.deleteAgent(ws, id)),

    createService: (rec) => gate(() => ops.createService(rec)),
    getServiceByName: (ws, name) => gate(() => ops.getServiceByName(ws, name)),
    listServices: (ws) => gate(() => ops.listServices(ws)),
    deleteService: (ws, id) => gate(() => ops.deleteService(ws, id)),

    createGrant: (rec) => gate(() => ops.createGrant(rec)),
    listGrants: (ws, filter) => gate(() => ops.listGrants(ws, filter)),
    deleteGrant: (ws, id) => gate(() => ops.deleteGrant(ws, id)),
  };
}
