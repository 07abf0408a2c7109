import { createHmac } from 'node:crypto';
import { AirlockError, isAirlockError, type WorkspaceId } from '../../core/index.ts';
import {
  assertSecretName,
  formatSecretRef,
  parseExecProvider,
  parseSecretRef,
  type SecretSnapshot,
  type SourcesStatus,
} from '../../vault/index.ts';
import type { ApiDeps } from '../deps.ts';
import { assertObjectName, noSuch, onlyFields, pathParam, stringField } from '../fields.ts';
import { readJsonBody, readOptionalJsonBody } from '../http.ts';
import type { Route } from '../router.ts';

/** What the source routes need beyond `ApiDeps`. */
export interface SourceDeps {
  readonly secrets: SecretSnapshot;
  /**
   * Re-resolves references (and anything else that depends on them) after a
   * committed change, awaited before the API answers.
   */
  readonly onSourcesChange: () => Promise<SourcesStatus>;
}

/** One secret's keyed fingerprint for `airlock scan`: never the value. */
export interface SecretFingerprint {
  readonly name: string;
  readonly length: number;
  /** Hex HMAC-SHA256 of the value under the scanner's one-time key. */
  readonly hmac: string;
}

/**
 * `/v1/refs`, `/v1/providers`, `/v1/reload` and `/v1/fingerprints`: secret
 * references (`airlock secret ref`), exec providers (owner only: they run
 * programs as the server's user), re-resolution on demand, and the keyed
 * hashes the scanner compares files against. No route returns a value.
 */
export function sourceRoutes(deps: ApiDeps, sources: SourceDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/refs',
      action: 'secret:read',
      handle: async ({ principal }) => [
        200,
        { refs: sources.secrets.describe(principal.workspaceId) },
      ],
    },
    {
      method: 'PUT',
      path: '/v1/refs/:name',
      action: 'secret:write',
      handle: async ({ req, principal, params }) => {
        const name = pathParam(params, 'name');
        assertSecretName(name);
        const body = await readJsonBody(req);
        onlyFields(body, ['ref']);
        const ref = formatSecretRef(parseSecretRef(stringField(body, 'ref')));
        const now = deps.clock.now();
        const created = await deps.store.putSecretRef({
          workspaceId: principal.workspaceId,
          name,
          ref,
          createdAt: now,
          updatedAt: now,
        });
        await sources.onSourcesChange();
        const shown = sources.secrets.describe(principal.workspaceId).find((r) => r.name === name);
        return [created ? 201 : 200, { ref: shown ?? null, created }];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/refs/:name',
      action: 'secret:write',
      handle: async ({ principal, params }) => {
        const name = pathParam(params, 'name');
        if (!(await deps.store.deleteSecretRef(principal.workspaceId, name))) {
          throw new AirlockError('ERR_NOT_FOUND', noSuch('secret reference', name));
        }
        await sources.onSourcesChange();
        return [200, { deleted: name }];
      },
    },
    {
      method: 'GET',
      path: '/v1/providers',
      action: 'secret:read',
      handle: async ({ principal }) => [
        200,
        { providers: (await deps.store.listProviders(principal.workspaceId)).map((p) => p.spec) },
      ],
    },
    {
      method: 'PUT',
      path: '/v1/providers/:name',
      action: 'provider:write',
      handle: async ({ req, principal, params }) => {
        const name = pathParam(params, 'name');
        assertObjectName(name, 'provider');
        const body = await readJsonBody(req);
        const spec = parseExecProvider({ ...body, name });
        const now = deps.clock.now();
        const created = await deps.store.putProvider({
          workspaceId: principal.workspaceId,
          name,
          spec,
          createdAt: now,
          updatedAt: now,
        });
        await sources.onSourcesChange();
        return [created ? 201 : 200, { provider: spec, created }];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/providers/:name',
      action: 'provider:write',
      handle: async ({ principal, params }) => {
        const name = pathParam(params, 'name');
        if (!(await deps.store.deleteProvider(principal.workspaceId, name))) {
          throw new AirlockError('ERR_NOT_FOUND', noSuch('provider', name));
        }
        await sources.onSourcesChange();
        return [200, { deleted: name }];
      },
    },
    {
      method: 'POST',
      path: '/v1/reload',
      action: 'secret:write',
      handle: async ({ req }) => {
        onlyFields(await readOptionalJsonBody(req), []);
        return [200, { sources: await sources.onSourcesChange() }];
      },
    },
    {
      method: 'POST',
      path: '/v1/fingerprints',
      action: 'secret:write',
      handle: async ({ req, principal }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['key']);
        const key = Buffer.from(stringField(body, 'key'), 'base64');
        if (key.length !== 32) {
          throw new AirlockError('ERR_INVALID_ARGUMENT', '"key" must be 32 bytes, base64');
        }
        const fingerprints = await fingerprintsOf(
          deps,
          sources.secrets,
          principal.workspaceId,
          key,
        );
        key.fill(0);
        const unresolved = sources.secrets
          .describe(principal.workspaceId)
          .filter((r) => r.state === 'unavailable' || r.state === 'stale')
          .map((r) => ({ name: r.name, ref: r.ref, state: r.state, code: r.code }));
        return [200, { fingerprints, unresolved }];
      },
    },
  ];
}

/**
 * HMAC-SHA256 under the caller's one-time key of every stored secret's
 * current value and every resolved reference: the scanner compares file
 * contents against these without ever holding a value.
 */
async function fingerprintsOf(
  deps: ApiDeps,
  secrets: SecretSnapshot,
  ws: WorkspaceId,
  key: Buffer,
): Promise<SecretFingerprint[]> {
  const out: SecretFingerprint[] = [];
  const add = (name: string, value: string) => {
    out.push({
      name,
      length: Buffer.byteLength(value, 'utf8'),
      hmac: createHmac('sha256', key).update(value, 'utf8').digest('hex'),
    });
  };
  for (const s of await deps.vault.list(ws)) {
    try {
      add(s.name, await deps.vault.current(ws, s.name));
    } catch (err) {
      if (!isAirlockError(err)) throw err;
    }
  }
  for (const [name, value] of secrets.resolvedValues(ws)) add(name, value);
  return out;
}
