import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { auditFixture, WS } from '../../test/helpers/audit.ts';
import { parseAuditQuery } from './query.ts';
import type { ProxyRequestAuditEvent } from './schema.ts';
import { subscribeProxyAudit } from './subscribe.ts';

const names = {
  request: 'airlock:test:audit:request',
  denied: 'airlock:test:audit:denied',
  tunnel: 'airlock:test:audit:tunnel',
  exfiltration: 'airlock:test:audit:exfiltration',
};

const base = {
  agentId: 'agt_c',
  agentName: 'helper',
  workspaceId: WS,
  service: 'github',
  secretName: 'gh',
  scheme: 'https',
  host: 'api.github.test',
  port: 443,
  method: 'GET',
  path: '/repos/x',
  queryNames: ['page'],
  durationMs: 1.25,
};

test('proxy channel events become audit events, with the task token’s delegation chain', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const errors: unknown[] = [];
  const stop = subscribeProxyAudit(fx.log, {
    channels: names,
    owns: (ws) => ws === WS,
    onError: (err) => errors.push(err),
  });
  t.after(stop);
  channel(names.request).publish({
    ...base,
    status: 200,
    bytesIn: 0,
    bytesOut: 12,
    error: null,
    upgrade: false,
    task: { taskId: 'task_1', jti: 'jti_c', chain: ['agt_b', 'agt_a', 'user:alice'] },
  });
  channel(names.denied).publish({ ...base, path: '/admin', code: 'ERR_SCOPE_DENIED', status: 403 });
  channel(names.exfiltration).publish({
    ...base,
    taskId: 'task_1',
    placeholderTaskId: 'task_2',
    reason: 'other-task',
    site: 'header',
  });
  channel(names.tunnel).publish({ ...base, address: '127.0.0.1', bytesIn: 5, bytesOut: 6 });
  // Another server's workspace, and a payload that is not a proxy event: both ignored.
  channel(names.request).publish({ ...base, workspaceId: 'ws_elsewhere' });
  channel(names.denied).publish('nonsense');
  await fx.log.flush();
  await new Promise<void>((resolve) => setImmediate(resolve));
  await fx.log.flush();

  const page = await fx.log.query(WS, parseAuditQuery(new URLSearchParams('order=asc'), 0));
  assert.deepEqual(
    page.events.map((r) => r.event.kind),
    ['proxy.request', 'proxy.denied', 'proxy.exfiltration_attempt', 'proxy.tunnel'],
  );
  const request = page.events[0]?.event as ProxyRequestAuditEvent;
  assert.deepEqual(
    request.chain.map((l) => [l.type, l.id]),
    [
      ['user', 'user:alice'],
      ['agent', 'agt_a'],
      ['agent', 'agt_b'],
      ['agent', 'agt_c'],
    ],
  );
  assert.equal(request.actor.taskId, 'task_1');
  assert.equal(request.actor.tokenId, 'jti_c');
  assert.deepEqual(errors, []);
});
