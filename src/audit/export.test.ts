import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CSV_COLUMNS, csvHeader, toCsvLine, toJsonLine } from './export.ts';
import type { AuditRecord } from './schema.ts';

const record: AuditRecord = {
  seq: 7,
  id: 'evt_x',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  event: {
    v: 1,
    kind: 'agent.created',
    time: '2030-01-01T00:00:00.000Z',
    instance: 'inst_t',
    workspace: 'ws_t',
    actor: { type: 'owner', id: null, name: null, role: 'owner', tokenId: null, taskId: null },
    chain: [],
    decision: 'allow',
    target: { type: 'agent', id: 'agt_1', name: '=cmd|"x",y', attributes: {} },
    route: 'POST /v1/agents',
    via: 'socket',
  },
};

test('CSV: one cell per column, quoted per RFC 4180, formulas defused', () => {
  assert.equal(csvHeader().trim().split(',').length, CSV_COLUMNS.length);
  const line = toCsvLine(record);
  assert.ok(line.endsWith('\n'));
  // The target cell starts with "agent:" so it is not a formula; a bare formula gets a quote.
  assert.match(line, /,"agent:=cmd\|""x"",y",/);
  const formula = toCsvLine({ ...record, event: { ...record.event, workspace: '=HYPERLINK(1)' } });
  assert.match(formula, /,'=HYPERLINK\(1\),/);
});

test('JSON lines are the canonical record, parseable back to it', () => {
  const line = toJsonLine(record);
  assert.ok(line.startsWith('{"event":{"actor":'));
  assert.deepEqual(JSON.parse(line), record);
});
