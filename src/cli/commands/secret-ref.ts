import type { RefStatus, SecretMetadata } from '../../vault/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson, printTable } from '../io.ts';

/** `airlock secret ref NAME REF`: create or repoint a reference (the reference is not a secret). */
export const secretRefCommand: Command = {
  name: 'ref',
  summary: 'Make NAME a reference to a secret kept elsewhere: env:, file:, exec: or dotenvx:.',
  help: `secret ref NAME REF

  REF is one of
    env:NAME                          a variable of the server's environment
    file:/abs/path[#/json/pointer]    a file private to the server's user (0600)
    exec:PROVIDER#ID                  an id asked of a declared exec provider
    dotenvx:/abs/path/.env.ENV#KEY    a key of a dotenvx-encrypted file
  The value is resolved by the server at once; \`secret list\` shows how it stands.
${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [2, 2],
  async run({ io, values, positionals }) {
    const [name, ref] = positionals as [string, string];
    const res = await connect(values, io).request<{ ref: RefStatus | null; created: boolean }>(
      'PUT',
      `/v1/refs/${encodeURIComponent(name)}`,
      { ref },
    );
    if (values.json === true) printJson(io, res);
    else {
      const state = res.ref === null ? 'unused' : res.ref.state;
      const code = res.ref?.code ? ` (${res.ref.code})` : '';
      io.out(`${res.created ? 'created' : 'repointed'} ${name} -> ${ref}: ${state}${code}\n`);
    }
    return res.ref?.state === 'unavailable' ? 1 : 0;
  },
};

/** One row of `secret list`: a stored secret or a reference, never a value. */
export interface SecretListing {
  readonly name: string;
  readonly source: string;
  readonly status: string;
  readonly versions: number | null;
  readonly createdAt: string | null;
  readonly rotatedAt: string | null;
  readonly ref: string | null;
  readonly code: string | null;
}

/** `airlock secret list`: stored secrets and references, with their source kind and status. */
export const secretListCommand: Command = {
  name: 'list',
  summary: 'List secrets: name, source (store, env, file, exec, dotenvx), status. Never values.',
  help: `secret list\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const client = connect(values, io);
    const { secrets } = await client.get<{ secrets: SecretMetadata[] }>('/v1/secrets');
    const { refs } = await client.get<{ refs: RefStatus[] }>('/v1/refs');
    const rows: SecretListing[] = [
      ...secrets.map((s) => ({
        name: s.name,
        source: 'store',
        status: 'ok',
        versions: s.versions,
        createdAt: s.createdAt,
        rotatedAt: s.rotatedAt,
        ref: null,
        code: null,
      })),
      ...refs.map((r) => ({
        name: r.name,
        source: r.kind,
        status: r.state,
        versions: null,
        createdAt: null,
        rotatedAt: null,
        ref: r.ref,
        code: r.code,
      })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (values.json === true) printJson(io, rows);
    else
      printTable(
        io,
        ['name', 'source', 'status', 'versions', 'rotated', 'reference'],
        rows.map((r) => [
          r.name,
          r.source,
          r.code === null ? r.status : `${r.status} (${r.code})`,
          r.versions === null ? '-' : String(r.versions),
          r.rotatedAt ?? '-',
          r.ref ?? '-',
        ]),
      );
    return 0;
  },
};
