import { AirlockError } from '../../core/index.ts';
import { readConfig, resolveHome, rotateRootKey } from '../../home/index.ts';
import { answers } from '../../listen.ts';
import { type Command, type CommandGroup, flag, str } from '../command.ts';
import { printJson } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';
import { ROOT_KEY_HELP, rootKeyFromFlags } from './init.ts';

const rotate: Command = {
  name: 'rotate',
  summary: 'Replace the root key: re-wrap every data key under a new one, in one transaction.',
  help: `key rotate [--passphrase-stdin | --root-key-command CMD]

The new root key source (same flags as init):
${ROOT_KEY_HELP}
  --home DIR               the Airlock home
  --json                   machine-readable output
  -h, --help               show this help

Stop the server first. When the current key is a passphrase, stdin holds two
lines: the current passphrase, then the new one (with --passphrase-stdin).`,
  options: {
    passphrase: { type: 'boolean' },
    'passphrase-stdin': { type: 'boolean' },
    'root-key-command': { type: 'string' },
    'root-key-arg': { type: 'string', multiple: true },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const paths = resolveHome(str(values, 'home'), io.env);
    const config = await readConfig(paths);
    if (await answers(paths.socket)) {
      throw new AirlockError(
        'ERR_CONFLICT',
        'the server is running: stop it before rotating the root key',
      );
    }
    const current: { passphrase?: string } = {};
    if (config.rootKey.source.kind === 'passphrase') {
      current.passphrase = await readPassphrase(
        io,
        flag(values, 'passphrase-stdin'),
        'current passphrase: ',
      );
    }
    const next = await rootKeyFromFlags(values, io, 'new passphrase: ');
    const result = await rotateRootKey(paths, current, next);
    if (flag(values, 'json'))
      printJson(io, {
        rotated: true,
        workspaces: result.workspaces,
        rootKey: result.config.rootKey.source.kind,
      });
    else
      io.out(
        `root key rotated (${result.config.rootKey.source.kind}); ${result.workspaces} data key(s) re-wrapped\n`,
      );
    return 0;
  },
};

export const keyGroup: CommandGroup = {
  name: 'key',
  summary: 'manage the root key',
  commands: [rotate],
};
