import type { SourcesStatus } from '../../vault/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command } from '../command.ts';
import { connect } from '../connect.ts';
import type { CliIo } from '../io.ts';
import { printJson } from '../io.ts';

/** Prints how secret sources stand: `ok`, or `degraded` and each failing secret by code. */
export function printSources(io: CliIo, s: SourcesStatus): void {
  io.out(
    `sources      ${s.state} (${s.references} references, resolved ${s.resolvedAt ?? 'never'})\n`,
  );
  for (const f of s.failing) {
    const serving = f.state === 'stale' ? 'serving last good value' : 'requests fail';
    io.out(`  ${f.secret}: ${f.code} since ${f.since}, ${serving}: ${f.message}\n`);
  }
}

/** `airlock reload`: re-resolve every secret reference now (as SIGHUP does). */
export const reloadCommand: Command = {
  name: 'reload',
  summary: 'Re-resolve secret references now (as SIGHUP does). Exit 1 when degraded.',
  help: `reload\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const { sources } = await connect(values, io).post<{ sources: SourcesStatus }>(
      '/v1/reload',
      {},
    );
    if (values.json === true) printJson(io, sources);
    else printSources(io, sources);
    return sources.state === 'ok' ? 0 : 1;
  },
};
