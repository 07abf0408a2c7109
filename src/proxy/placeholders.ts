import { channel } from 'node:diagnostics_channel';
import { type AgentId, AirlockError, type WorkspaceId } from '../core/index.ts';
import { bindingsForDestination, type HeaderEntry, selectBinding } from '../policy/index.ts';
import type { Authorized } from './authorize.ts';
import type { ProxyContext } from './context.ts';
import { type BodyEncoding, escapeForBody, headerSafe, percentEscape } from './encodings.ts';
import { eventTask, PROXY_CHANNELS } from './events.ts';
import { findPlaceholders, PLACEHOLDER_PREFIX, replacePlaceholders } from './placeholder.ts';
import type { EventTask } from './types.ts';

/** What the store (through memory) knows of one placeholder: whose it is and what it stands for. */
export interface PlaceholderGrant {
  readonly workspaceId: WorkspaceId;
  /** The task that owns it; only requests of that task may use it. */
  readonly taskId: string;
  /** The secret it stands for. */
  readonly secretName: string;
  /** Epoch ms; from then on it is refused. */
  readonly expiresAt: number;
}

/**
 * What the proxy needs to honour sealed placeholders. In-memory lookups
 * only: they run on the request path.
 */
export interface PlaceholderDeps {
  /** The grant behind a placeholder (looked up by its hash), or null when it is unknown. */
  lookup(placeholder: string): PlaceholderGrant | null;
  /**
   * The task's placeholder for a secret, when this process knows its text
   * (it minted it, or saw it presented): the response scrubber writes it
   * where the secret's value was.
   */
  placeholderFor(workspaceId: WorkspaceId, taskId: string, secretName: string): string | null;
}

/** Where in a request a placeholder was found. */
export type PlaceholderSite = 'header' | 'path' | 'query' | 'body';

/** Why a placeholder was refused. */
export type ExfiltrationReason =
  /** Never minted here, or already pruned. */
  | 'unknown'
  /** Its task has ended. */
  | 'expired'
  /** It belongs to another task (or another workspace). */
  | 'other-task'
  /** The request carries no task (an agent key), and placeholders belong to tasks. */
  | 'no-task'
  /** Its secret is not bound to this destination, method and path in the request's scope. */
  | 'destination';

/**
 * Published on `airlock:proxy:exfiltration_attempt` when a request presents
 * a placeholder the proxy will not substitute. The request is refused with
 * `403 ERR_PLACEHOLDER_DESTINATION` and never forwarded (the refusal is
 * also an `airlock:proxy:denied` event, the audit record). Names only: never
 * the placeholder, the secret's value or a query value.
 */
export interface ProxyExfiltrationEvent {
  readonly agentId: AgentId;
  readonly agentName: string;
  readonly workspaceId: WorkspaceId;
  /** The task token of the request (ids and chain), or null for an agent key. */
  readonly task: EventTask | null;
  /** The task of the request, or null for an agent key. */
  readonly taskId: string | null;
  /** The task that owns the placeholder, when it is known and in this workspace. */
  readonly placeholderTaskId: string | null;
  /** The secret the placeholder stands for, when known and in this workspace. */
  readonly secretName: string | null;
  readonly reason: ExfiltrationReason;
  readonly site: PlaceholderSite;
  readonly scheme: 'https' | 'http';
  readonly host: string;
  readonly port: number;
  readonly method: string;
  readonly path: string;
}

const exfiltrationChannel = channel(PROXY_CHANNELS.exfiltration);

/** The refusal for a placeholder that may not be used here; it says nothing about why. */
export function placeholderRefused(): AirlockError {
  return new AirlockError(
    'ERR_PLACEHOLDER_DESTINATION',
    'a placeholder in this request is not valid for this task and destination',
  );
}

/**
 * Substitutes the placeholders of one authorised request, and refuses it
 * when any is not for this request's task or not allowed for this
 * destination and operation (DESIGN.md, request path step 4; invariant 2).
 * Secret values are fetched once per secret per request.
 */
export class RequestPlaceholders {
  readonly #ctx: ProxyContext;
  readonly #ok: Authorized;
  readonly #method: string;
  readonly #values = new Map<string, Promise<string>>();
  /** Placeholder → its secret's value, once allowed. */
  readonly #allowed = new Map<string, string>();

  constructor(ctx: ProxyContext, ok: Authorized, method: string) {
    this.#ctx = ctx;
    this.#ok = ok;
    this.#method = method;
  }

  /** The secret value a placeholder stands for, or the refusal (with its event). */
  async resolve(placeholder: string, site: PlaceholderSite): Promise<string> {
    const known = this.#allowed.get(placeholder);
    if (known !== undefined) return known;
    const secretName = this.#check(placeholder, site);
    let value = this.#values.get(secretName);
    if (value === undefined) {
      value = this.#ctx.deps.secretValue(this.#ok.principal.workspaceId, secretName);
      this.#values.set(secretName, value);
    }
    const v = await value;
    this.#allowed.set(placeholder, v);
    return v;
  }

  /** Resolves every placeholder in `texts`; afterwards `replace` is synchronous. */
  async resolveAll(placeholders: Iterable<string>, site: PlaceholderSite): Promise<void> {
    for (const p of placeholders) await this.resolve(p, site);
  }

  /** The value of an already resolved placeholder. */
  valueOf(placeholder: string): string {
    const v = this.#allowed.get(placeholder);
    if (v === undefined) throw new TypeError('placeholder was not resolved first');
    return v;
  }

  /** A body value, escaped for the body's encoding. */
  async bodyValue(placeholder: string, encoding: BodyEncoding): Promise<Buffer> {
    return escapeForBody(await this.resolve(placeholder, 'body'), encoding);
  }

  /**
   * Header values, the path and the query with their placeholders replaced:
   * headers take the value as it is (refused if a header cannot carry it),
   * the path and query take it percent-encoded.
   */
  async head(
    headers: readonly HeaderEntry[],
    path: string,
    query: string,
  ): Promise<{ headers: HeaderEntry[]; path: string; query: string }> {
    const out: HeaderEntry[] = [];
    for (const [name, value] of headers) {
      if (!value.includes(PLACEHOLDER_PREFIX)) {
        out.push([name, value]);
        continue;
      }
      out.push([name, await this.#replace(value, 'header', headerSafe)]);
    }
    return {
      headers: out,
      path: path.includes(PLACEHOLDER_PREFIX)
        ? await this.#replace(path, 'path', percentEscape)
        : path,
      query: query.includes(PLACEHOLDER_PREFIX)
        ? await this.#replace(query, 'query', percentEscape)
        : query,
    };
  }

  async #replace(text: string, site: PlaceholderSite, encode: (v: string) => string) {
    await this.resolveAll(findPlaceholders(text), site);
    return replacePlaceholders(text, (p) => encode(this.valueOf(p)));
  }

  /** The secret a placeholder stands for, if this request may use it; otherwise throws. */
  #check(placeholder: string, site: PlaceholderSite): string {
    const { deps } = this.#ctx;
    const { principal, dest, path } = this.#ok;
    const now = deps.clock.now();
    const grant = deps.placeholders?.lookup(placeholder) ?? null;
    const task = principal.task?.taskId ?? null;
    const ours = grant !== null && grant.workspaceId === principal.workspaceId;
    let reason: ExfiltrationReason | null = null;
    if (grant === null || !ours) reason = grant === null ? 'unknown' : 'other-task';
    else if (task === null) reason = 'no-task';
    else if (grant.taskId !== task) reason = 'other-task';
    else if (now >= grant.expiresAt) reason = 'expired';
    else {
      const forSecret = deps.bindings(principal).filter((b) => b.secretName === grant.secretName);
      const here = bindingsForDestination(forSecret, dest.scheme, dest.host, dest.port, now);
      if (selectBinding(here, this.#method, path) === null) reason = 'destination';
    }
    if (reason === null && grant !== null) return grant.secretName;
    if (exfiltrationChannel.hasSubscribers) {
      const event: ProxyExfiltrationEvent = {
        agentId: principal.agentId,
        agentName: principal.agentName,
        workspaceId: principal.workspaceId,
        task: eventTask(principal),
        taskId: task,
        placeholderTaskId: grant !== null && ours ? grant.taskId : null,
        secretName: grant !== null && ours ? grant.secretName : null,
        reason: reason ?? 'unknown',
        site,
        scheme: dest.scheme,
        host: dest.host,
        port: dest.port,
        method: this.#method,
        path: path.path,
      };
      exfiltrationChannel.publish(event);
    }
    throw placeholderRefused();
  }
}
