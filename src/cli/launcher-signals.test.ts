import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launcherSignal, relayLauncherSignal, type SignalTarget } from './launcher-signals.ts';

/** A process stand-in that records what the relay did. */
function target(listening: readonly string[]): SignalTarget & { done: string[] } {
  const done: string[] = [];
  return {
    done,
    pid: 4242,
    listenerCount: (event) => (listening.includes(event) ? 1 : 0),
    emit: (event, ...args) => {
      done.push(`emit ${event} ${String(args[0])}`);
      return true;
    },
    kill: (pid, signal) => {
      done.push(`kill ${pid} ${signal}`);
      return true;
    },
  };
}

describe('launcher signals', () => {
  it('reads the three signals the launcher passes on, and nothing else', () => {
    assert.equal(launcherSignal({ airlockSignal: 'SIGINT' }), 'SIGINT');
    assert.equal(launcherSignal({ airlockSignal: 'SIGTERM' }), 'SIGTERM');
    assert.equal(launcherSignal({ airlockSignal: 'SIGHUP' }), 'SIGHUP');
    for (const m of [
      null,
      'SIGINT',
      {},
      { airlockSignal: 'SIGKILL' },
      { airlockSignal: 'SIGUSR1' },
      { airlockSignal: ['SIGINT'] },
      { signal: 'SIGINT' },
    ]) {
      assert.equal(launcherSignal(m), null, JSON.stringify(m));
    }
  });

  it("runs the command's own listeners when it has some", () => {
    const t = target(['SIGINT']);
    relayLauncherSignal(t, { airlockSignal: 'SIGINT' });
    assert.deepEqual(t.done, ['emit SIGINT SIGINT']);
  });

  it('otherwise sends the signal to the process itself, for its default action', () => {
    const t = target(['SIGINT']);
    relayLauncherSignal(t, { airlockSignal: 'SIGTERM' });
    assert.deepEqual(t.done, ['kill 4242 SIGTERM']);
  });

  it('does nothing for any other message', () => {
    const t = target(['SIGINT']);
    relayLauncherSignal(t, { airlockSignal: 'SIGKILL' });
    relayLauncherSignal(t, 'hello');
    assert.deepEqual(t.done, []);
  });
});
