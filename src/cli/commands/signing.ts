import { CLIENT_HELP, CLIENT_OPTIONS, type Command, flag } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';

/** `airlock key rotate-signing`: a new token-signing key; the old one verifies until its tokens expire. */
export const rotateSigningCommand: Command = {
  name: 'rotate-signing',
  summary: 'Add a new token-signing key; the old one keeps verifying until its tokens expire.',
  help: `key rotate-signing\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const res = await connect(values, io).post<{ kid: string }>('/v1/keys/signing/rotate', {});
    if (flag(values, 'json')) printJson(io, res);
    else io.out(`signing key rotated; new kid ${res.kid}\n`);
    return 0;
  },
};
