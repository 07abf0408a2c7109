import { isAbsolute, resolve } from 'node:path';
import { AirlockError, isAirlockError } from '../../core/index.ts';
import { assertSecretName, decryptDotenvxFile } from '../../vault/index.ts';
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  type Command,
  type CommandGroup,
  flag,
  list,
  str,
} from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';

const dotenvx: Command = {
  name: 'dotenvx',
  summary:
    'Copy the values of a dotenvx-encrypted file into the store (decrypted here, sent over the API).',
  help: `import dotenvx FILE [--only KEY]... [--prefix P] [--update]

  The private key comes from DOTENV_PRIVATE_KEY* in this environment, or the
  .env.keys beside FILE (which must be private to you). Each KEY becomes the
  stored secret P+KEY; values are never printed.

  --only KEY   import only this key (repeatable)
  --prefix P   prepend P to every secret name
  --update     rotate secrets that already exist (default: refuse them)
${CLIENT_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    only: { type: 'string', multiple: true },
    prefix: { type: 'string' },
    update: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const file = positionals[0] as string;
    const path = isAbsolute(file) ? file : resolve(file);
    const only = list(values, 'only');
    const prefix = str(values, 'prefix') ?? '';
    const all = await decryptDotenvxFile(path, io.env);
    const chosen = only.length === 0 ? [...all.keys()] : only;
    for (const key of chosen) {
      if (!all.has(key)) throw new AirlockError('ERR_NOT_FOUND', `${file} has no ${key}`);
      assertSecretName(prefix + key);
    }
    const client = connect(values, io);
    const done: { name: string; action: 'created' | 'rotated' }[] = [];
    for (const key of chosen) {
      const name = prefix + key;
      const value = all.get(key) as string;
      try {
        await client.post('/v1/secrets', { name, value });
        done.push({ name, action: 'created' });
      } catch (err) {
        if (!isAirlockError(err, 'ERR_CONFLICT') || !flag(values, 'update')) throw err;
        await client.post(`/v1/secrets/${encodeURIComponent(name)}/rotate`, { value });
        done.push({ name, action: 'rotated' });
      }
    }
    if (values.json === true) printJson(io, done);
    else for (const d of done) io.out(`${d.action} ${d.name}\n`);
    return 0;
  },
};

/** `airlock import …`: copy secrets from elsewhere into the store. */
export const importGroup: CommandGroup = {
  name: 'import',
  summary: 'copy secrets into the store from a dotenvx file',
  commands: [dotenvx],
};
