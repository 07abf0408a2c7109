/**
 * The CLI's half of `npx airlock` (bin/airlock.js). The launcher passes the
 * signals it receives on as messages over an IPC channel, not as signals: a
 * terminal's Ctrl-C already reaches the CLI directly (same process group),
 * and a second SIGINT sent by the launcher could land while Node is tearing
 * the process down, after its listeners are gone, and kill a server that had
 * closed cleanly (exit 130 instead of 0). A message that arrives then is
 * simply never read.
 */

/** The signals the launcher passes on. */
export const LAUNCHER_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The launcher's message for one signal it received. */
export interface LauncherSignal {
  readonly airlockSignal: NodeJS.Signals;
}

/** The parts of `process` the relay uses (a stand-in in tests). */
export interface SignalTarget {
  listenerCount(event: string): number;
  emit(event: string, ...args: unknown[]): boolean;
  kill(pid: number, signal: NodeJS.Signals): boolean;
  readonly pid: number;
}

/** The signal a launcher message names, or null for anything else. */
export function launcherSignal(message: unknown): NodeJS.Signals | null {
  if (typeof message !== 'object' || message === null) return null;
  const signal = (message as Partial<LauncherSignal>).airlockSignal;
  return LAUNCHER_SIGNALS.find((s) => s === signal) ?? null;
}

/**
 * Acts on a launcher message as on the signal itself: the command's own
 * listeners run when it has some; otherwise the process sends the signal to
 * itself, so its default action (ending the process) happens as it would
 * have for a signal sent straight to the CLI.
 */
export function relayLauncherSignal(target: SignalTarget, message: unknown): void {
  const signal = launcherSignal(message);
  if (signal === null) return;
  if (target.listenerCount(signal) > 0) target.emit(signal, signal);
  else target.kill(target.pid, signal);
}

/** Listens for the launcher's messages when this process has its IPC channel. */
export function listenToLauncher(): void {
  const channel = process.channel;
  if (channel === undefined) return;
  process.on('message', (message: unknown) => relayLauncherSignal(process, message));
  // The channel must not keep a finished command alive.
  channel.unref();
}
