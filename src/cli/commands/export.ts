import { writeFile } from 'node:fs/promises';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, str } from '../command.ts';
import { connect } from '../connect.ts';

/** `airlock export [-o FILE]`: the current configuration as airlock.yaml. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'Print the current configuration in the format apply reads (never a secret value).',
  help: `export [-o FILE]

  -o FILE   write to FILE instead of stdout
${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, output: { type: 'string', short: 'o' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const { yaml } = await connect(values, io).get<{ yaml: string }>('/v1/export');
    const out = str(values, 'output');
    if (out === undefined) io.out(yaml);
    else await writeFile(out, yaml, { mode: 0o600 });
    return 0;
  },
};
