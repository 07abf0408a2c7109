import { randomBytes } from 'node:crypto';
import { isAirlockError } from '../../core/index.ts';
import {
  type Fingerprint,
  type FingerprintSet,
  type ScanReport,
  scanExitCode,
  scanPaths,
  toSarif,
  type UnresolvedRef,
} from '../../scan/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, flag } from '../command.ts';
import { connect } from '../connect.ts';
import type { CliIo } from '../io.ts';
import { printJson, printTable } from '../io.ts';
import { VERSION } from '../version.ts';

/**
 * Asks the server for keyed fingerprints of the values it holds, under a
 * key made here for this scan only, and for references that do not resolve.
 * Null (with a note on stderr) when the server cannot be asked.
 */
async function fromServer(
  io: CliIo,
  values: Parameters<typeof connect>[0],
): Promise<{ set: FingerprintSet; unresolved: UnresolvedRef[] } | null> {
  const key = randomBytes(32);
  try {
    const res = await connect(values, io).post<{
      fingerprints: Fingerprint[];
      unresolved: UnresolvedRef[];
    }>('/v1/fingerprints', { key: key.toString('base64') });
    return { set: { key, fingerprints: res.fingerprints }, unresolved: res.unresolved };
  } catch (err) {
    if (!isAirlockError(err)) throw err;
    io.err(
      `airlock scan: values held by Airlock were not compared (${err.code}); pass --offline to silence this\n`,
    );
    return null;
  }
}

function printReport(io: CliIo, report: ScanReport): void {
  if (report.findings.length > 0) {
    printTable(
      io,
      ['location', 'rule', 'excerpt'],
      report.findings.map((f) => [`${f.path}:${f.line}:${f.column}`, f.rule, f.excerpt]),
    );
  }
  for (const u of report.unresolved) {
    io.out(`unresolved reference: ${u.name} -> ${u.ref} (${u.code ?? u.state})\n`);
  }
  io.out(
    `${report.findings.length} finding(s) in ${report.filesScanned} file(s), ${report.unresolved.length} unresolved reference(s)\n`,
  );
}

/** `airlock scan [PATH]...`: find plaintext credentials at rest. */
export const scanCommand: Command = {
  name: 'scan',
  summary: 'Find plaintext credentials at rest. Exit 0 clean, 1 findings, 2 unresolved references.',
  help: `scan [PATH]... [--sarif] [--offline]

  Scans files and directories (default: .) for .env files, shell profiles,
  JSON/YAML config and CI files holding credentials, known token shapes
  (cloud keys, GitHub, Slack, OpenAI, Anthropic, Stripe, private keys), and
  any value Airlock holds: the server sends keyed hashes only, under a key
  made for this scan, so no value ever reaches the scanner. Findings show
  masked excerpts, never a value.

  --sarif      print SARIF 2.1.0 for code-scanning tools (--json prints JSON)
  --offline    do not ask the server (no stored-value or reference checks)
${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, sarif: { type: 'boolean' }, offline: { type: 'boolean' } },
  positionals: [0, 1000],
  async run({ io, values, positionals }) {
    const server = flag(values, 'offline') ? null : await fromServer(io, values);
    const report = await scanPaths(positionals.length === 0 ? ['.'] : positionals, {
      fingerprints: server?.set ?? null,
      unresolved: server?.unresolved ?? [],
    });
    server?.set.key.fill(0);
    if (flag(values, 'sarif')) printJson(io, toSarif(report, VERSION));
    else if (values.json === true) printJson(io, report);
    else printReport(io, report);
    return scanExitCode(report);
  },
};
