import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proxyKey } from './auth.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('proxyKey reads the password of Basic and the token of Bearer', () => {
  const cases: [string | string[] | undefined, string | null][] = [
    [`Basic ${b64('agent:alk_agent_x')}`, 'alk_agent_x'],
    [`basic ${b64('anything:k:with:colons')}`, 'k:with:colons'],
    [`Basic ${b64(':only-key')}`, 'only-key'],
    ['Bearer alk_agent_y', 'alk_agent_y'],
    ['bearer   alk_agent_z  ', 'alk_agent_z'],
    [undefined, null],
    [['Bearer a', 'Bearer b'], null],
    ['', null],
    ['Bearer', null],
    ['Bearer ', null],
    [`Basic ${b64('no-colon')}`, null],
    [`Basic ${b64('user:')}`, null],
    ['Basic not*base64', null],
    ['Digest username="x"', null],
  ];
  for (const [header, expected] of cases) {
    assert.equal(proxyKey(header), expected, JSON.stringify(header));
  }
});
