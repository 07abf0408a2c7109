import type { IncomingMessage, ServerResponse } from 'node:http';
import { AirlockError } from '../core/index.ts';
import type { Action, AdminPrincipal } from './auth.ts';

/** What a route handler receives. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly principal: AdminPrincipal;
  /** Path parameters, decoded; a prototype-free table. */
  readonly params: Readonly<Record<string, string>>;
}

/** A route: method, a path like `/v1/secrets/:name`, the action it needs, and its handler. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly action: Action;
  /** Returns [status, body] to send as JSON. */
  handle(ctx: RouteContext): Promise<readonly [number, unknown]>;
}

interface Compiled {
  readonly route: Route;
  readonly segments: readonly string[];
}

/** Matches request paths against a fixed route table. */
export class Router {
  readonly #routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  }

  /**
   * Finds the route for `method` and `pathname`. An unknown path is
   * `ERR_ROUTE_NOT_FOUND`; a known path with another method is
   * `ERR_METHOD_NOT_ALLOWED`.
   */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    const parts = pathname.split('/').slice(1);
    let pathKnown = false;
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, parts);
      if (params === null) continue;
      pathKnown = true;
      if (route.method === method) return { route, params };
    }
    if (pathKnown)
      throw new AirlockError('ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here`);
    throw new AirlockError('ERR_ROUTE_NOT_FOUND', 'no such route');
  }
}

function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    const got = parts[i] as string;
    if (want.startsWith(':')) {
      if (got === '') return null;
      let decoded: string;
      try {
        decoded = decodeURIComponent(got);
      } catch {
        return null;
      }
      params[want.slice(1)] = decoded;
    } else if (want !== got) {
      return null;
    }
  }
  return params;
}
