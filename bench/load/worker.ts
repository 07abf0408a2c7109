// A load-generator worker thread: runs one task from `workerData` and
// reports through `parentPort`. Started by `runTask` in ./runner.ts.
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { Http1Connection, openConnection, requestHead, type Target } from './http1.ts';
import type {
  IdleTask,
  LoadTask,
  MainMessage,
  SseTask,
  Task,
  TaskResult,
  TransferTask,
  WorkerMessage,
} from './tasks.ts';

const port = parentPort;
if (port === null) throw new TypeError('bench/load/worker.ts runs as a worker thread');

function post(message: WorkerMessage): void {
  port?.postMessage(message);
}

function nextMessage(): Promise<MainMessage> {
  return once(port as NonNullable<typeof port>, 'message').then(([m]) => m as MainMessage);
}

class Errors {
  count = 0;
  first: string | null = null;
  add(err: unknown): void {
    this.count++;
    this.first ??= err instanceof Error ? err.message : String(err);
  }
}

async function open(target: Target): Promise<Http1Connection> {
  return new Http1Connection(await openConnection(target));
}

async function runLoad(task: LoadTask): Promise<TaskResult> {
  const errors = new Errors();
  const samples: number[] = [];
  const head = requestHead(task.target, 'GET', task.path, { close: task.tunnel });
  const conns: Http1Connection[] = [];
  if (!task.tunnel) {
    for (let i = 0; i < task.conns; i++) conns.push(await open(task.target));
  }
  post({ type: 'ready' });
  await nextMessage();
  const start = performance.now();
  const measureFrom = start + task.warmupMs;
  const end = measureFrom + task.durationMs;
  let count = 0;
  const loop = async (i: number): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const conn = task.tunnel ? await open(task.target) : (conns[i] as Http1Connection);
        const ex = await conn.exchange(head);
        if (task.tunnel) conn.close();
        if (ex.status !== 200) errors.add(new Error(`status ${ex.status}`));
        else if (t0 >= measureFrom && ex.endAt <= end) {
          samples.push(ex.endAt - t0);
          count++;
        }
      } catch (err) {
        errors.add(err);
        // A broken connection ends its loop; repeated failures end a tunnel loop too.
        if (!task.tunnel || errors.count > 100) return;
      }
    }
  };
  await Promise.all(Array.from({ length: task.conns }, (_, i) => loop(i)));
  for (const c of conns) c.close();
  return {
    count,
    errors: errors.count,
    firstError: errors.first,
    samples,
    windowMs: task.durationMs,
  };
}

async function runTransfer(task: TransferTask): Promise<TaskResult> {
  const errors = new Errors();
  const samples: number[] = [];
  let conn = await open(task.target);
  const warm = await conn.exchange(requestHead(task.target, 'GET', '/small'));
  if (warm.status !== 200) errors.add(new Error(`warm-up status ${warm.status}`));
  post({ type: 'ready' });
  await nextMessage();
  const upload = task.kind === 'upload';
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const head = upload
    ? requestHead(task.target, 'PUT', task.path, { contentLength: task.bytes })
    : requestHead(task.target, 'GET', task.path);
  const start = performance.now();
  for (let i = 0; i < task.reps; i++) {
    const t0 = performance.now();
    // A reused connection the server has closed gets one retry on a new one
    // (handshakes included in the time), as curl and Node's agent retry it.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (!conn.reusable || attempt > 0) {
          conn.close();
          conn = await open(task.target);
        }
        const ex = await conn.exchange(head, upload ? { chunk, total: task.bytes } : undefined);
        const ok = upload ? ex.status === 201 || ex.status === 204 : ex.status === 200;
        if (!ok) errors.add(new Error(`status ${ex.status}`));
        else if (!upload && ex.bodyBytes !== task.bytes)
          errors.add(new Error(`short body ${ex.bodyBytes}`));
        else samples.push(ex.endAt - t0);
        break;
      } catch (err) {
        if (attempt > 0) errors.add(err);
      }
    }
  }
  conn.close();
  const windowMs = performance.now() - start;
  return {
    count: samples.length,
    errors: errors.count,
    firstError: errors.first,
    samples,
    windowMs,
  };
}

async function runSse(task: SseTask): Promise<TaskResult> {
  const errors = new Errors();
  const samples: number[] = [];
  const conn = await open(task.target);
  const warm = await conn.exchange(requestHead(task.target, 'GET', '/small'));
  if (warm.status !== 200) errors.add(new Error(`warm-up status ${warm.status}`));
  post({ type: 'ready' });
  await nextMessage();
  const head = requestHead(task.target, 'GET', task.path);
  const start = performance.now();
  for (let i = 0; i < task.reps; i++) {
    const t0 = performance.now();
    try {
      const ex = await conn.exchange(head);
      if (ex.status !== 200 || Number.isNaN(ex.firstBodyAt))
        errors.add(new Error(`status ${ex.status}`));
      else samples.push(ex.firstBodyAt - t0);
    } catch (err) {
      errors.add(err);
      break;
    }
  }
  conn.close();
  const windowMs = performance.now() - start;
  return {
    count: samples.length,
    errors: errors.count,
    firstError: errors.first,
    samples,
    windowMs,
  };
}

async function runIdle(task: IdleTask): Promise<TaskResult> {
  const errors = new Errors();
  const conns: Http1Connection[] = [];
  const head = requestHead(task.target, 'GET', task.path);
  let next = 0;
  let goal = 0;
  const opener = async (): Promise<void> => {
    while (next < goal) {
      next++;
      try {
        const conn = await open(task.target);
        conns.push(conn);
        const ex = await conn.exchange(head);
        if (ex.status !== 200) errors.add(new Error(`status ${ex.status}`));
      } catch (err) {
        errors.add(err);
      }
    }
  };
  const start = performance.now();
  for (let step = 1; step <= task.steps; step++) {
    goal = Math.round((task.count * step) / task.steps);
    await Promise.all(Array.from({ length: task.parallel }, opener));
    const alive = conns.filter((c) => !c.socket.destroyed).length;
    post({ type: 'opened', opened: alive, errors: errors.count });
    await nextMessage();
  }
  const windowMs = performance.now() - start;
  const stillAlive = conns.filter((c) => !c.socket.destroyed).length;
  for (const c of conns) c.close();
  return {
    count: stillAlive,
    errors: errors.count,
    firstError: errors.first,
    samples: [],
    windowMs,
  };
}

function run(task: Task): Promise<TaskResult> {
  switch (task.kind) {
    case 'load':
      return runLoad(task);
    case 'download':
    case 'upload':
      return runTransfer(task);
    case 'sse':
      return runSse(task);
    case 'idle':
      return runIdle(task);
  }
}

run(workerData as Task).then(
  (result) => post({ type: 'done', result }),
  (err: unknown) => {
    post({
      type: 'done',
      result: {
        count: 0,
        errors: 1,
        firstError: err instanceof Error ? err.message : String(err),
        samples: [],
        windowMs: 0,
      },
    });
  },
);
