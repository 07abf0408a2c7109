import { Worker } from 'node:worker_threads';
import type { IdleTask, MainMessage, Task, TaskResult, WorkerMessage } from './tasks.ts';

const WORKER = new URL('./worker.ts', import.meta.url);

/** One load-generator thread running one task, with its messages queued in order. */
class TaskWorker {
  readonly #worker: Worker;
  readonly #queue: WorkerMessage[] = [];
  #waiting: ((m: WorkerMessage) => void) | null = null;
  #failure: Error | null = null;

  constructor(task: Task) {
    this.#worker = new Worker(WORKER, { workerData: task });
    this.#worker.on('message', (m: WorkerMessage) => {
      const waiting = this.#waiting;
      this.#waiting = null;
      if (waiting) waiting(m);
      else this.#queue.push(m);
    });
    this.#worker.on('error', (err) => {
      this.#failure = err;
      this.#waiting?.(failed(err));
    });
  }

  next(): Promise<WorkerMessage> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#failure !== null) return Promise.resolve(failed(this.#failure));
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  send(message: MainMessage): void {
    this.#worker.postMessage(message);
  }

  async finish(): Promise<TaskResult> {
    let m = await this.next();
    while (m.type !== 'done') m = await this.next();
    await this.#worker.terminate();
    return m.result;
  }
}

function failed(err: Error): WorkerMessage {
  return {
    type: 'done',
    result: { count: 0, errors: 1, firstError: err.message, samples: [], windowMs: 0 },
  };
}

/** Merges the results of workers that ran side by side over the same window. */
function merge(results: readonly TaskResult[]): TaskResult {
  const samples: number[] = [];
  let count = 0;
  let errors = 0;
  let firstError: string | null = null;
  let windowMs = 0;
  for (const r of results) {
    for (const s of r.samples) samples.push(s);
    count += r.count;
    errors += r.errors;
    firstError ??= r.firstError;
    windowMs = Math.max(windowMs, r.windowMs);
  }
  return { count, errors, firstError, samples, windowMs };
}

/**
 * Runs `tasks` on one worker thread each. Every worker first sets up (opens
 * its connections), then all start together, so their windows coincide.
 */
export async function runTasks(tasks: readonly Task[]): Promise<TaskResult> {
  const workers = tasks.map((t) => new TaskWorker(t));
  const early: (TaskResult | null)[] = [];
  for (const w of workers) {
    const m = await w.next();
    early.push(m.type === 'done' ? m.result : null);
  }
  for (const w of workers) w.send({ type: 'go' });
  const results = await Promise.all(
    workers.map((w, i) => {
      const done = early[i];
      return done ? Promise.resolve(done) : w.finish();
    }),
  );
  return merge(results);
}

/**
 * Opens the idle tunnels of `task` on a worker, batch by batch, calling
 * `afterStep` with the number open after each batch; then closes them all.
 */
export async function holdIdle(
  task: IdleTask,
  afterStep: (opened: number, errors: number) => Promise<void>,
): Promise<TaskResult> {
  const w = new TaskWorker(task);
  for (;;) {
    const m = await w.next();
    if (m.type === 'done') return m.result;
    if (m.type === 'opened') await afterStep(m.opened, m.errors);
    w.send({ type: 'go' });
  }
}
