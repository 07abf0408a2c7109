import { AirlockError } from '../../core/index.ts';
import { readConfig, resolveHome, rotateRootKey } from '../../home/index.ts';
import { answers } from '../../listen.ts';
import { type Command, type CommandGroup, flag, str } from '../command.ts';
import { printJson } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';
import { ROOT_KEY_OPTIONS, rootKeyFromFlags } from './init.ts';
import { rotateSigningCommand } from './signing.ts';

const KINDS = ['file', 'passphrase', 'command'] as const;

const rotate: Command = {
  name: 'rotate',
  summary: 'Replace the root key: re-wrap every data key under a new one, in one transaction.',
  help: `key rotate [--to file|passphrase|command] [--passphrase-stdin] [--root-key-command CMD]

  --to KIND                the new root key: a new key file (default), a passphrase, or a command
  --root-key-command CMD   the command for --to command (implied when given); --root-key-arg A
  --passphrase-stdin       read passphrases from stdin, one per line: the current one first
                           (when the home uses a passphrase), then the new one (--to passphrase);
                           without it they are asked for at a hidden prompt
  --home DIR               the Airlock home
  --json                   machine-readable output
  -h, --help               show this help

Stop the server first. An interrupted rotation is finished or rolled back at
the next start.`,
  options: { ...ROOT_KEY_OPTIONS, to: { type: 'string' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const paths = resolveHome(str(values, 'home'), io.env);
    const to =
      str(values, 'to') ?? (str(values, 'root-key-command') === undefined ? 'file' : 'command');
    const kind = KINDS.find((k) => k === to);
    if (kind === undefined)
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--to must be file, passphrase or command');
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
    const next = await rootKeyFromFlags(values, kind, io, 'new passphrase: ');
    const result = await rotateRootKey(paths, current, next);
    const source = result.config.rootKey.source.kind;
    if (flag(values, 'json'))
      printJson(io, { rotated: true, workspaces: result.workspaces, rootKey: source });
    else io.out(`root key rotated (now ${source}); ${result.workspaces} data key(s) re-wrapped\n`);
    return 0;
  },
};

export const keyGroup: CommandGroup = {
  name: 'key',
  summary: 'manage the root key and the token-signing key',
  commands: [rotate, rotateSigningCommand],
};
