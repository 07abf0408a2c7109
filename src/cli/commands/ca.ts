import { AirlockError } from '../../core/index.ts';
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  type Command,
  type CommandGroup,
  flag,
  str,
} from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';

interface CaView {
  certPem: string;
  fingerprint: string;
  notBefore: string;
  notAfter: string;
  bundlePem: string;
  previous: { fingerprint: string; notAfter: string; overlapUntil: string }[];
}

const exportCmd: Command = {
  name: 'export',
  summary: "Print the proxy CA's certificate (PEM) for clients to trust.",
  help: `ca export [--bundle]

  --bundle      the current CA and every retired CA still in its overlap:
                what a client should trust during a rotation

${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, bundle: { type: 'boolean' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const { ca } = await connect(values, io).get<{ ca: CaView }>('/v1/ca');
    if (values.json === true) printJson(io, ca);
    else io.out(flag(values, 'bundle') ? ca.bundlePem : ca.certPem);
    return 0;
  },
};

const rotate: Command = {
  name: 'rotate',
  summary: 'Replace the proxy CA. The old one stays trusted for an overlap (default 7 days).',
  help: `ca rotate [--overlap-days N]

  --overlap-days N  how long clients keep trusting the old CA (0-365, default 7)

${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, 'overlap-days': { type: 'string' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const text = str(values, 'overlap-days');
    if (text !== undefined && !/^\d{1,3}$/.test(text)) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--overlap-days must be a whole number');
    }
    const { ca } = await connect(values, io).post<{ ca: CaView }>(
      '/v1/ca/rotate',
      text === undefined ? {} : { overlapDays: Number(text) },
    );
    if (values.json === true) printJson(io, ca);
    else {
      io.out(`rotated: the CA is now ${ca.fingerprint}\n`);
      for (const p of ca.previous)
        io.out(`still trusted until ${p.overlapUntil}: ${p.fingerprint}\n`);
    }
    io.err('clients need the new bundle: `airlock ca export --bundle`\n');
    return 0;
  },
};

/** `airlock ca …`: the certificate authority the intercepting proxy issues leaves from. */
export const caGroup: CommandGroup = {
  name: 'ca',
  summary: "export and rotate the proxy's certificate authority",
  commands: [exportCmd, rotate],
};
