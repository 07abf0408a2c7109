import type { Target } from './http1.ts';

/** Keep-alive (`tunnel: false`) or one new tunnel per request (`tunnel: true`) small GETs. */
export interface LoadTask {
  readonly kind: 'load';
  readonly target: Target;
  readonly path: string;
  /** Connections (or concurrent tunnel loops) this worker runs. */
  readonly conns: number;
  readonly tunnel: boolean;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** Sequential large transfers on one warm connection. */
export interface TransferTask {
  readonly kind: 'download' | 'upload';
  readonly target: Target;
  readonly path: string;
  readonly bytes: number;
  readonly reps: number;
}

/** Sequential SSE requests on one warm connection; time to the first event. */
export interface SseTask {
  readonly kind: 'sse';
  readonly target: Target;
  readonly path: string;
  readonly reps: number;
}

/**
 * Opens `count` tunnels (one GET each) in `steps` equal batches, reporting
 * after each and waiting to be told to go on; holds them all until told,
 * then closes them.
 */
export interface IdleTask {
  readonly kind: 'idle';
  readonly target: Target;
  readonly path: string;
  readonly count: number;
  readonly steps: number;
  readonly parallel: number;
}

export type Task = LoadTask | TransferTask | SseTask | IdleTask;

/** What a worker reports when its task is done. */
export interface TaskResult {
  /** Requests completed inside the measured window. */
  readonly count: number;
  readonly errors: number;
  /** The first error message seen, for the log. */
  readonly firstError: string | null;
  /** Milliseconds: latency per request, transfer time per rep, or time to first event. */
  readonly samples: readonly number[];
  /** Length of the measured window in milliseconds. */
  readonly windowMs: number;
}

/** Messages from a worker to the main thread. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'opened'; readonly opened: number; readonly errors: number }
  | { readonly type: 'done'; readonly result: TaskResult };

/** Messages from the main thread to a worker. */
export type MainMessage = { readonly type: 'go' };
