import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proxyCompletedEvent, proxyDeniedEvent, proxyRequestEvent } from './build.ts';
import { canonicalJson } from './canonical.ts';

const ctx = { instance: 'inst_test', defaultWorkspace: 'ws_default', clock: { now: () => 0 } };
const facts = {
  agentId: 'agt_1',
  agentName: 'bot',
  workspaceId: 'ws_1',
  service: 'github',
  secretName: 'gh',
  scheme: 'https' as const,
  host: 'api.github.com',
  port: 443,
  method: 'GET',
  path: '/repos',
  queryNames: ['page'],
  taskId: 'task_1',
  tokenId: 'tok_1',
  grantId: 'grant_1',
  secretVersion: 2,
  upgrade: false,
};
const outcome = { status: 200, bytesIn: 1, bytesOut: 2, durationMs: 3.25, error: null };

// Not a correctness property (canonicalJson sorts whatever it is given) but
// the reason these builders are written as they are: an event already in
// canonical order is serialised without a copy on every proxied request.
test("the proxy's per-request events are built in canonical member order", () => {
  const events = [
    proxyRequestEvent(ctx, facts, null),
    proxyRequestEvent(ctx, facts, outcome),
    proxyCompletedEvent(ctx, 'evt_1', facts, outcome),
    proxyDeniedEvent(ctx, { ...facts, code: 'ERR_SCOPE_DENIED', status: 403 }),
    proxyDeniedEvent(ctx, { ...facts, secretName: null, code: 'ERR_SCOPE_DENIED', status: null }),
  ];
  for (const event of events) assert.equal(JSON.stringify(event), canonicalJson(event), event.kind);
});
