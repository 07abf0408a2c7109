export { type Action, type AdminPrincipal, authorize } from './auth.ts';
export { ApiClient, type ApiTarget } from './client.ts';
export type { ApiDeps } from './deps.ts';
export { onlyFields, optionalStringField, stringField } from './fields.ts';
export { readJsonBody, sendError, sendJson, statusOf } from './http.ts';
export type { Route, RouteContext } from './router.ts';
export { createApiHandler, type Transport } from './server.ts';
