import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const MODULE = join(import.meta.dirname, 'core-dumps.ts');

test('limitCoreDumps leaves every memory mapping out of the process’s core dumps', async (t) => {
  if (process.platform !== 'linux') return t.skip('Linux only');
  // In a child: the filter is a property of the process that sets it.
  const script = `const { limitCoreDumps } = await import(${JSON.stringify(MODULE)}); const { readFileSync } = await import('node:fs'); console.log(limitCoreDumps(), readFileSync('/proc/self/coredump_filter', 'utf8').trim());`;
  const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: {},
  });
  assert.equal(r.stdout.trim(), 'true 00000000');
});
