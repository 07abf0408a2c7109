import { readFile } from 'node:fs/promises';
import type { ApplyResult } from '../../apply/index.ts';
import { AirlockError } from '../../core/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, flag, str } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';

const MAX_FILE_BYTES = 256 * 1024;
const SIGN = { create: '+', update: '~', delete: '-' } as const;

/** `airlock apply -f airlock.yaml [--dry-run]`: make Airlock match a file, in one transaction. */
export const applyCommand: Command = {
  name: 'apply',
  summary: 'Make providers, secrets, services, agents and grants match a file, in one transaction.',
  help: `apply -f FILE [--dry-run]

  FILE is airlock.yaml (docs/apply.md): secret values never appear in it;
  stored secrets are named with \`stored: true\`. Objects the file does not
  name are deleted. Prints each change (+ create, ~ update, - delete) and the
  key of each agent it creates (shown once). Applying it again changes nothing.

  -f FILE      the configuration file (- for stdin)
  --dry-run    print what would change, change nothing
${CLIENT_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    file: { type: 'string', short: 'f' },
    'dry-run': { type: 'boolean' },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const file = str(values, 'file');
    if (file === undefined) throw new AirlockError('ERR_INVALID_ARGUMENT', 'apply needs -f FILE');
    let source: string;
    try {
      source = file === '-' ? await readStdin(io.stdin) : await readFile(file, 'utf8');
    } catch (cause) {
      if (cause instanceof AirlockError) throw cause;
      throw new AirlockError('ERR_INVALID_ARGUMENT', `cannot read ${file}`, { cause });
    }
    if (Buffer.byteLength(source) > MAX_FILE_BYTES) {
      throw new AirlockError(
        'ERR_VALUE_TOO_LARGE',
        `${file} is larger than ${MAX_FILE_BYTES} bytes`,
      );
    }
    const dryRun = flag(values, 'dry-run');
    const res = await connect(values, io).post<ApplyResult & { dryRun: boolean }>('/v1/apply', {
      source,
      dryRun,
    });
    if (values.json === true) {
      printJson(io, res);
      return 0;
    }
    for (const c of res.changes) io.out(`${SIGN[c.action]} ${c.kind} ${c.name}\n`);
    for (const k of res.agentKeys) io.out(`agent ${k.name} key (shown once): ${k.key}\n`);
    const n = res.changes.length;
    io.out(
      n === 0
        ? 'no changes\n'
        : `${n} change(s)${dryRun ? ' planned (dry run: nothing changed)' : ' applied'}\n`,
    );
    return 0;
  },
};

async function readStdin(stdin: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_FILE_BYTES)
      throw new AirlockError('ERR_VALUE_TOO_LARGE', 'the file on stdin is too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
