#!/usr/bin/env node
// An example Airlock exec provider (protocol version 1), in plain JavaScript
// with no dependencies. It answers ids from a JSON object file such as
// {"github": "ghp_…", "stripe/live": "sk_live_…"} that only its user can read.
//
// Declare it (the command is an absolute path and nothing runs through a shell;
// the child sees only the variables listed with --env):
//
//   airlock provider set jsonfile --command "$(command -v node)" \
//     --arg /abs/path/examples/providers/json-file-provider.mjs \
//     --arg /abs/path/secrets.json --timeout-ms 5000
//   airlock secret ref github exec:jsonfile#github
//
// Protocol: one JSON request on stdin,
//   {"protocolVersion":1,"provider":"jsonfile","ids":["github","stripe/live"]}
// and one JSON response on stdout,
//   {"protocolVersion":1,"values":{"github":"…"},"errors":{"stripe/live":{"code":"NOT_FOUND"}}}
// Exit 0 when the response is written; any other exit fails the whole call.
// Never print a value to stderr: Airlock discards stderr, but other tools may not.
import { readFileSync } from 'node:fs';

const PROTOCOL_VERSION = 1;

function fail(message) {
  process.stderr.write(`json-file-provider: ${message}\n`);
  process.exit(1);
}

const [storePath] = process.argv.slice(2);
if (storePath === undefined) fail('usage: json-file-provider.mjs /abs/path/secrets.json');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
});
process.stdin.on('end', () => {
  let request;
  try {
    request = JSON.parse(input);
  } catch {
    fail('the request is not JSON');
  }
  if (request?.protocolVersion !== PROTOCOL_VERSION || !Array.isArray(request.ids)) {
    fail(`unsupported request (this provider speaks protocol ${PROTOCOL_VERSION})`);
  }
  let store;
  try {
    store = JSON.parse(readFileSync(storePath, 'utf8'));
  } catch {
    fail('cannot read the secrets file');
  }
  const values = {};
  const errors = {};
  for (const id of request.ids) {
    const value = Object.hasOwn(store, id) ? store[id] : undefined;
    if (typeof value === 'string' && value !== '') values[id] = value;
    else errors[id] = { code: 'NOT_FOUND' };
  }
  process.stdout.write(JSON.stringify({ protocolVersion: PROTOCOL_VERSION, values, errors }));
});
