import { AirlockError } from '../../core/index.ts';
import type { SecretMetadata } from '../../vault/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, type CommandGroup, str } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson, readSecretInput } from '../io.ts';
import { secretListCommand, secretRefCommand } from './secret-ref.ts';

const VALUE_HELP = `  --from-file F  read the value from file F (default: stdin; a hidden prompt on a terminal)
                 one trailing newline is removed; values never go on the command line`;

function refuseValueOnArgv(positionals: readonly string[]): void {
  if (positionals.length > 1) {
    throw new AirlockError(
      'ERR_SECRET_ON_ARGV',
      'refusing a secret value on the command line (every process can read argv): pipe it on stdin or use --from-file',
    );
  }
}

const set: Command = {
  name: 'set',
  summary: 'Store a new secret. The value comes from stdin or --from-file, never argv.',
  help: `secret set NAME [--from-file F]\n\n${VALUE_HELP}\n${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, 'from-file': { type: 'string' } },
  positionals: [1, 2],
  async run({ io, values, positionals }) {
    refuseValueOnArgv(positionals);
    const name = positionals[0] as string;
    const value = await readSecretInput(io, str(values, 'from-file'), `value for ${name}: `);
    const { secret } = await connect(values, io).post<{ secret: SecretMetadata }>('/v1/secrets', {
      name,
      value,
    });
    if (values.json === true) printJson(io, secret);
    else io.out(`stored ${secret.name} (version ${secret.currentVersion})\n`);
    return 0;
  },
};

const rotate: Command = {
  name: 'rotate',
  summary: 'Give a secret a new value. The old version is kept, encrypted.',
  help: `secret rotate NAME [--from-file F]\n\n${VALUE_HELP}\n${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, 'from-file': { type: 'string' } },
  positionals: [1, 2],
  async run({ io, values, positionals }) {
    refuseValueOnArgv(positionals);
    const name = positionals[0] as string;
    const value = await readSecretInput(io, str(values, 'from-file'), `new value for ${name}: `);
    const { secret } = await connect(values, io).post<{ secret: SecretMetadata }>(
      `/v1/secrets/${encodeURIComponent(name)}/rotate`,
      { value },
    );
    if (values.json === true) printJson(io, secret);
    else io.out(`rotated ${secret.name} (now version ${secret.currentVersion})\n`);
    return 0;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Delete a secret and every version of it.',
  help: `secret rm NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const name = positionals[0] as string;
    await connect(values, io).delete(`/v1/secrets/${encodeURIComponent(name)}`);
    if (values.json === true) printJson(io, { deleted: name });
    else io.out(`deleted ${name}\n`);
    return 0;
  },
};

export const secretGroup: CommandGroup = {
  name: 'secret',
  summary: 'store, rotate, list and delete secrets',
  commands: [set, secretListCommand, rotate, rm, secretRefCommand],
};
