#!/usr/bin/env node
import { AirlockError, isAirlockError } from '../core/index.ts';
import { type Command, type CommandGroup, runCommand } from './command.ts';
import { accessReviewCommand } from './commands/access-review.ts';
import { agentGroup } from './commands/agent.ts';
import { apikeyGroup } from './commands/apikey.ts';
import { applyCommand } from './commands/apply.ts';
import { auditGroup } from './commands/audit.ts';
import { caGroup } from './commands/ca.ts';
import { envCommand } from './commands/env.ts';
import { exportCommand } from './commands/export.ts';
import { grantGroup } from './commands/grant.ts';
import { importGroup } from './commands/import.ts';
import { initCommand } from './commands/init.ts';
import { keyGroup } from './commands/key.ts';
import { providerGroup } from './commands/provider.ts';
import { reloadCommand } from './commands/reload.ts';
import { revokeCommand } from './commands/revoke.ts';
import { runAgentCommand } from './commands/run.ts';
import { scanCommand } from './commands/scan.ts';
import { secretGroup } from './commands/secret.ts';
import { serveCommand } from './commands/serve.ts';
import { serviceGroup } from './commands/service.ts';
import { statusCommand } from './commands/status.ts';
import { taskGroup } from './commands/task.ts';
import { type CliIo, processIo } from './io.ts';
import { listenToLauncher } from './launcher-signals.ts';
import { VERSION } from './version.ts';

const COMMANDS: readonly Command[] = [
  initCommand,
  serveCommand,
  statusCommand,
  revokeCommand,
  reloadCommand,
  scanCommand,
  applyCommand,
  exportCommand,
  accessReviewCommand,
  runAgentCommand,
  envCommand,
];
const GROUPS: readonly CommandGroup[] = [
  secretGroup,
  agentGroup,
  serviceGroup,
  grantGroup,
  caGroup,
  apikeyGroup,
  keyGroup,
  taskGroup,
  providerGroup,
  importGroup,
  auditGroup,
];

function usage(): string {
  const rows = [
    ...COMMANDS.map((c) => [c.name, c.summary.split('.')[0] ?? '']),
    ...GROUPS.map((g) => [`${g.name} …`, g.summary]),
  ];
  return `airlock ${VERSION}: a credential broker for AI agents

Usage: airlock <command> [options]

${rows.map(([n, s]) => `  ${(n ?? '').padEnd(14)} ${s}`).join('\n')}

Run \`airlock <command> --help\` for a command's options.
`;
}

function groupUsage(g: CommandGroup): string {
  const shorthand =
    g.defaultCommand === undefined
      ? ''
      : `\n\`airlock ${g.name} ARGS…\` is short for \`airlock ${g.name} ${g.defaultCommand.name} ARGS…\`.\n`;
  return `airlock ${g.name}: ${g.summary}

${g.commands.map((c) => `  airlock ${g.name} ${c.name.padEnd(8)} ${c.summary}`).join('\n')}
${shorthand}`;
}

/** Runs the CLI and returns the exit code. Every failure is one line on stderr. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const [first, second, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      io.out(usage());
      return first === undefined ? 2 : 0;
    }
    if (first === '--version' || first === '-v') {
      io.out(`${VERSION}\n`);
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === first);
    if (command !== undefined) return await runCommand(command, argv.slice(1), io, 'airlock');
    const group = GROUPS.find((g) => g.name === first);
    if (group === undefined)
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        `unknown command "${first.slice(0, 40)}" (see \`airlock --help\`)`,
      );
    if (second === undefined || second === '--help' || second === '-h') {
      io.out(groupUsage(group));
      return second === undefined ? 2 : 0;
    }
    const sub = group.commands.find((c) => c.name === second);
    if (sub === undefined && group.defaultCommand !== undefined) {
      return await runCommand(group.defaultCommand, [second, ...rest], io, `airlock ${group.name}`);
    }
    if (sub === undefined) {
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        `unknown command "${group.name} ${second.slice(0, 40)}" (see \`airlock ${group.name} --help\`)`,
      );
    }
    return await runCommand(sub, rest, io, `airlock ${group.name}`);
  } catch (err) {
    if (isAirlockError(err)) {
      io.err(`airlock: ${err.message} [${err.code}]\n`);
      return 1;
    }
    io.err(`airlock: internal error [ERR_INTERNAL]\n`);
    if (process.env.AIRLOCK_DEBUG === '1')
      io.err(`${err instanceof Error ? err.stack : String(err)}\n`);
    return 70;
  }
}

if (import.meta.main) {
  listenToLauncher();
  process.exitCode = await main(process.argv.slice(2), processIo());
}
