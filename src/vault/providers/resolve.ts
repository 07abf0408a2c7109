import { AirlockError } from '../../core/index.ts';
import { resolveDotenvxFile } from './dotenvx.ts';
import { type ExecProvider, type ProviderResult, runExecProvider } from './exec.ts';
import { resolveFileRef } from './file.ts';
import type { SecretRef } from './ref.ts';

/** What resolution may read: the server's environment (as captured at start) and the declared exec providers. */
export interface ResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly providers: ReadonlyMap<string, ExecProvider>;
  /** Largest value accepted from any source, in UTF-8 bytes. */
  readonly maxValueBytes: number;
}

function failed(err: unknown): ProviderResult {
  if (err instanceof AirlockError) return { ok: false, code: err.code, message: err.message };
  return { ok: false, code: 'ERR_PROVIDER_FAILED', message: 'the source failed' };
}

function checked(result: ProviderResult, max: number): ProviderResult {
  if (!result.ok) return result;
  if (Buffer.byteLength(result.value, 'utf8') > max) {
    return {
      ok: false,
      code: 'ERR_VALUE_TOO_LARGE',
      message: `the value is larger than ${max} bytes`,
    };
  }
  return result;
}

/**
 * Resolves many references at once, keyed by the caller's own keys. All
 * ids for one exec provider go in one call; each dotenvx file is read and
 * its key recovered once. A failure of one source affects only the
 * references it serves. Never throws for a source failure: each key gets a
 * value or a stable code.
 */
export async function resolveRefs(
  wanted: ReadonlyMap<string, SecretRef>,
  ctx: ResolveContext,
): Promise<Map<string, ProviderResult>> {
  const out = new Map<string, ProviderResult>();
  const byProvider = new Map<string, Map<string, string[]>>();
  const byDotenvx = new Map<string, Map<string, string[]>>();
  const pending: Promise<void>[] = [];
  const group = (
    table: Map<string, Map<string, string[]>>,
    outer: string,
    inner: string,
    key: string,
  ) => {
    const ids = table.get(outer) ?? new Map<string, string[]>();
    table.set(outer, ids);
    ids.set(inner, [...(ids.get(inner) ?? []), key]);
  };
  for (const [key, ref] of wanted) {
    switch (ref.kind) {
      case 'env': {
        const value = ctx.env[ref.name];
        out.set(
          key,
          value === undefined || value === ''
            ? {
                ok: false,
                code: 'ERR_PROVIDER_NOT_FOUND',
                message: `${ref.name} is not set in the server's environment`,
              }
            : { ok: true, value },
        );
        break;
      }
      case 'file':
        pending.push(
          resolveFileRef(ref.path, ref.pointer).then(
            (value) => {
              out.set(key, { ok: true, value });
            },
            (err: unknown) => {
              out.set(key, failed(err));
            },
          ),
        );
        break;
      case 'exec':
        group(byProvider, ref.provider, ref.id, key);
        break;
      case 'dotenvx':
        group(byDotenvx, ref.path, ref.key, key);
        break;
    }
  }
  const fanOut = (
    ids: Map<string, string[]>,
    results: Map<string, ProviderResult> | ProviderResult,
  ) => {
    for (const [id, keys] of ids) {
      const r = results instanceof Map ? (results.get(id) ?? failed(null)) : results;
      for (const k of keys) out.set(k, r);
    }
  };
  for (const [name, ids] of byProvider) {
    const provider = ctx.providers.get(name);
    if (provider === undefined) {
      fanOut(ids, {
        ok: false,
        code: 'ERR_PROVIDER_UNKNOWN',
        message: `no provider named ${name} is declared`,
      });
      continue;
    }
    pending.push(
      runExecProvider(provider, [...ids.keys()], ctx.env).then(
        (results) => fanOut(ids, results),
        (err: unknown) => fanOut(ids, failed(err)),
      ),
    );
  }
  for (const [path, keys] of byDotenvx) {
    pending.push(
      resolveDotenvxFile(path, [...keys.keys()], ctx.env).then(
        (results) => fanOut(keys, results),
        (err: unknown) => fanOut(keys, failed(err)),
      ),
    );
  }
  await Promise.all(pending);
  for (const [key, r] of out) out.set(key, checked(r, ctx.maxValueBytes));
  return out;
}
