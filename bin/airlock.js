#!/usr/bin/env node
// `npx airlock …`: runs the TypeScript CLI on the Node.js 24 that the project pins,
// with the flags of ./node-flags.js.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from './node-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
const node = major >= 24 ? process.execPath : join(root, 'node_modules', 'node', 'bin', 'node');
const main = join(root, 'src', 'cli', 'main.ts');
const result = spawnSync(node, [...NODE_FLAGS, main, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (result.error) {
  process.stderr.write(
    `airlock: cannot start Node.js 24 (${result.error.message}); run npm install\n`,
  );
  process.exit(70);
}
process.exit(result.status ?? 1);
