import { isAbsolute } from 'node:path';
import { AirlockError, systemClock } from '../../core/index.ts';
import { type InitRootKey, initHome, resolveHome } from '../../home/index.ts';
import { type Command, flag, list, type OptionValues, str } from '../command.ts';
import { type CliIo, printJson } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';

export const ROOT_KEY_HELP = `  --passphrase             derive the root key from a passphrase (scrypt), typed at a hidden prompt
  --passphrase-stdin       the same, with the passphrase read from stdin
  --root-key-command CMD   run CMD (an absolute path; no shell) to print the root key, for a KMS
                           or keychain; --root-key-arg A passes an argument (repeatable)
  (default: a random key in a 0600 key file in the home)`;

/** The flags that choose a root key source (init) or supply passphrases (key rotate). */
export const ROOT_KEY_OPTIONS = {
  passphrase: { type: 'boolean' },
  'passphrase-stdin': { type: 'boolean' },
  'root-key-command': { type: 'string' },
  'root-key-arg': { type: 'string', multiple: true },
} as const;

/** Which kind of root key the flags ask for: a command, a passphrase, or a key file. */
export function rootKeyKind(values: OptionValues): InitRootKey['kind'] {
  const command = str(values, 'root-key-command') !== undefined;
  const passphrase = flag(values, 'passphrase-stdin') || flag(values, 'passphrase');
  if (command && passphrase) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      'choose a passphrase or --root-key-command, not both',
    );
  }
  return command ? 'command' : passphrase ? 'passphrase' : 'file';
}

/** Builds the new root key of `kind` from the flags, reading a passphrase if one is needed. */
export async function rootKeyFromFlags(
  values: OptionValues,
  kind: InitRootKey['kind'],
  io: CliIo,
  prompt: string,
): Promise<InitRootKey> {
  switch (kind) {
    case 'command': {
      const command = str(values, 'root-key-command');
      if (command === undefined || !isAbsolute(command)) {
        throw new AirlockError(
          'ERR_INVALID_ARGUMENT',
          '--root-key-command must be an absolute path',
        );
      }
      return { kind: 'command', command, args: list(values, 'root-key-arg') };
    }
    case 'passphrase':
      return {
        kind: 'passphrase',
        passphrase: await readPassphrase(io, flag(values, 'passphrase-stdin'), prompt),
      };
    case 'file':
      return { kind: 'file' };
  }
}

export const initCommand: Command = {
  name: 'init',
  summary:
    'Create an Airlock home: root key, encrypted store, CA, default workspace, owner API key.',
  help: `init [--passphrase | --passphrase-stdin | --root-key-command CMD]

${ROOT_KEY_HELP}
  --home DIR               where (default: $AIRLOCK_HOME, else ~/.airlock)
  --json                   machine-readable output
  -h, --help               show this help

The owner API key is printed once; keep it somewhere safe. The local CLI
does not need it: it reaches the server over the home's Unix socket.`,
  options: ROOT_KEY_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const paths = resolveHome(str(values, 'home'), io.env);
    const rootKey = await rootKeyFromFlags(values, rootKeyKind(values), io, 'new passphrase: ');
    const result = await initHome(paths, rootKey, systemClock);
    if (flag(values, 'json')) {
      printJson(io, {
        home: paths.home,
        instanceId: result.config.instanceId,
        rootKey: result.config.rootKey.source.kind,
        caFingerprint: result.caFingerprint,
        ownerKey: result.ownerKey,
      });
      return 0;
    }
    io.out(
      [
        `initialised Airlock home ${paths.home}`,
        `  instance   ${result.config.instanceId}`,
        `  root key   ${result.config.rootKey.source.kind}`,
        `  CA         ${result.caFingerprint}`,
        '',
        'owner API key (shown once; the local CLI does not need it):',
        `  ${result.ownerKey}`,
        '',
        'next: airlock serve',
        '',
      ].join('\n'),
    );
    return 0;
  },
};
