#!/usr/bin/env node
// `npx airlock …`: runs the TypeScript CLI on the Node.js 24 that the project pins,
// with the flags of ./node-flags.js. Signals sent to this launcher (a supervisor's
// SIGTERM, SIGHUP for a reload) are passed on to the CLI, and the launcher exits
// as the CLI did, so stopping it never leaves a server running without it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from './node-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
const node = major >= 24 ? process.execPath : join(root, 'node_modules', 'node', 'bin', 'node');
const main = join(root, 'src', 'cli', 'main.ts');
// Signals are passed on as messages over an IPC channel (fd 3), not as
// signals: src/cli/launcher-signals.ts is the other end, and says why.
const child = spawn(node, [...NODE_FLAGS, main, ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
});

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const forward = (signal) => {
  if (child.connected) child.send({ airlockSignal: signal }, () => {});
};
for (const signal of FORWARDED) process.on(signal, forward);

child.once('error', (err) => {
  process.stderr.write(`airlock: cannot start Node.js 24 (${err.message}); run npm install\n`);
  process.exit(70);
});
child.once('exit', (code, signal) => {
  for (const s of FORWARDED) process.off(s, forward);
  // Killed by a signal: exit the way a shell reports it (128 + its number).
  process.exit(signal === null ? (code ?? 1) : 128 + (constants.signals[signal] ?? 0));
});
