/**
 * A FIFO async lock. `node:sqlite` is synchronous, but a transaction's body
 * awaits between statements; the lock keeps every other caller out of the
 * connection until that body has finished and the transaction has ended.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /**
   * Runs `fn` once every earlier holder has finished, and holds the lock
   * until the promise `fn` returns settles. A failing holder releases the
   * lock like a succeeding one; its error goes to its own caller only.
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(release, release);
    return result;
  }
}

function release(): void {}
