import { isAbsolute } from 'node:path';
import { AirlockError, systemClock } from '../../core/index.ts';
import { type InitRootKey, initHome, resolveHome } from '../../home/index.ts';
import { type Command, flag, str } from '../command.ts';
import { printJson } from '../io.ts';
import { readPassphrase } from '../passphrase.ts';

export const ROOT_KEY_HELP = `  --passphrase-stdin       derive the root key from a passphrase (scrypt) read from stdin
  --root-key-command CMD   run CMD (an absolute path; no shell) to print the root key, for a KMS
                           or keychain; --root-key-arg A passes an argument (repeatable)
  (default: a random key in a 0600 key file in the home)`;

/** Reads which root key source the flags ask for. */
export async function rootKeyFromFlags(
  values: Record<string, unknown>,
  io: Parameters<typeof readPassphrase>[0],
  prompt: string,
): Promise<InitRootKey> {
  const command =
    typeof values['root-key-command'] === 'string' ? values['root-key-command'] : undefined;
  const usePassphrase = values['passphrase-stdin'] === true || values.passphrase === true;
  if (command !== undefined && usePassphrase) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      'choose one of --passphrase-stdin and --root-key-command',
    );
  }
  if (command !== undefined) {
    if (!isAbsolute(command))
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--root-key-command must be an absolute path');
    const raw = values['root-key-arg'];
    const args = Array.isArray(raw) ? raw.filter((a): a is string => typeof a === 'string') : [];
    return { kind: 'command', command, args };
  }
  if (usePassphrase) {
    return {
      kind: 'passphrase',
      passphrase: await readPassphrase(io, values['passphrase-stdin'] === true, prompt),
    };
  }
  return { kind: 'file' };
}

export const initCommand: Command = {
  name: 'init',
  summary:
    'Create an Airlock home: root key, encrypted store, CA, default workspace, owner API key.',
  help: `init [--passphrase-stdin | --root-key-command CMD]

${ROOT_KEY_HELP}
  --home DIR               where (default: $AIRLOCK_HOME, else ~/.airlock)
  --json                   machine-readable output
  -h, --help               show this help

The owner API key is printed once; keep it somewhere safe. The local CLI
does not need it: it reaches the server over the home's Unix socket.`,
  options: {
    passphrase: { type: 'boolean' },
    'passphrase-stdin': { type: 'boolean' },
    'root-key-command': { type: 'string' },
    'root-key-arg': { type: 'string', multiple: true },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const paths = resolveHome(str(values, 'home'), io.env);
    const rootKey = await rootKeyFromFlags(values, io, 'new passphrase: ');
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
