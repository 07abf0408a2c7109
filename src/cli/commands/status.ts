import type { SourcesStatus } from '../../vault/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';
import { printSources } from './reload.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: "Show the server's status: version, instance, listeners, root key source.",
  help: `status\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const status = await connect(values, io).get<Record<string, unknown>>('/v1/status');
    if (values.json === true) printJson(io, status);
    else
      for (const [k, v] of Object.entries(status)) {
        if (k === 'sources' && typeof v === 'object' && v !== null)
          printSources(io, v as SourcesStatus);
        else io.out(`${k.padEnd(12)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
      }
    return 0;
  },
};
