/**
 * Replay on every core: streams histories through several replay workers, one worker thread per
 * core (os.availableParallelism()), each running Worker.runReplayHistories on its share. Used by the
 * auditor's replay (api/services/audit.ts, `asn replay`) and bench:replay. It lives in config/
 * because api/ may not import worker/ (lint) and it depends only on the SDK and the data converter.
 *
 * A thread is never terminated while it replays: the SDK's native worker aborts the whole process
 * when its thread is torn down mid-activation. A consumer that stops early (an aborted audit job)
 * asks every thread to stop after its current history and waits for each to say it is done.
 */
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { temporal } from '@temporalio/proto';

export interface ReplayInput {
  workflowId: string;
  history: temporal.api.history.v1.IHistory | Uint8Array;
}
export interface ReplayOutcome {
  workflowId: string;
  error?: string;
}
export interface ParallelReplayOptions {
  /** A bundle file (the worker's prebuilt bundle) or the bundle's code. */
  bundlePath?: string;
  bundleCode?: string;
  /** Decode payloads with the configured data converter (config/codec.ts). */
  codec?: boolean;
  /** Default: os.availableParallelism(). */
  threads?: number;
  /** Histories sent ahead to each thread (back-pressure on the source). */
  window?: number;
}

type FromThread = ReplayOutcome | { done: true } | { fatal: string };

function startThread(opts: ParallelReplayOptions): Thread {
  const ext = extname(__filename);
  const file = join(__dirname, `parallel-replay-thread${ext}`);
  const workerData = { bundlePath: opts.bundlePath, bundleCode: opts.bundleCode, codec: !!opts.codec };
  // From sources (tsx: bench, tests, scripts) the thread registers tsx before loading the .ts file.
  if (ext !== '.ts') return new Thread(file, { workerData });
  const boot = `require('tsx/cjs'); require(${JSON.stringify(file)});`;
  return new Thread(boot, { eval: true, workerData });
}

interface Slot {
  thread: Thread;
  inFlight: number;
  /** It posted `done`, failed or exited: it replays nothing more. */
  finished: boolean;
}

/** The threads, their outcomes as they arrive, and a wake-up for whoever waits on them. */
function pool(opts: ParallelReplayOptions) {
  const n = Math.max(1, opts.threads ?? availableParallelism());
  const slots: Slot[] = Array.from({ length: n }, () => ({ thread: startThread(opts), inFlight: 0, finished: false }));
  const state = { results: [] as ReplayOutcome[], failure: undefined as Error | undefined };
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (const slot of slots) {
    slot.thread.on('message', (m: FromThread) => {
      if ('fatal' in m) {
        state.failure ??= new Error(`replay thread failed: ${m.fatal}`);
        slot.finished = true;
      } else if ('done' in m) slot.finished = true;
      else {
        slot.inFlight--;
        state.results.push(m);
      }
      poke();
    });
    slot.thread.on('error', (err) => {
      state.failure ??= err;
      slot.finished = true;
      poke();
    });
    slot.thread.on('exit', () => {
      if (!slot.finished) state.failure ??= new Error('replay thread exited before it was done');
      slot.finished = true;
      poke();
    });
  }
  const waitForEvent = (): Promise<void> => new Promise<void>((r) => (wake = r));
  const allFinished = (): boolean => slots.every((s) => s.finished);
  return { slots, state, waitForEvent, allFinished };
}

/** Every thread stops after its current history (what it was sent ahead is dropped), then is released. */
async function release(p: ReturnType<typeof pool>): Promise<void> {
  for (const s of p.slots) if (!s.finished) s.thread.postMessage({ stop: true });
  while (!p.allFinished()) await p.waitForEvent();
  await Promise.all(p.slots.map((s) => s.thread.terminate()));
}

/** Replays every history; yields each outcome as it completes (not in input order). */
export async function* replayInParallel(
  histories: AsyncIterable<ReplayInput> | Iterable<ReplayInput>,
  opts: ParallelReplayOptions,
): AsyncGenerator<ReplayOutcome> {
  const window = opts.window ?? 4;
  const p = pool(opts);
  const { slots, state } = p;
  try {
    for await (const h of histories) {
      for (;;) {
        if (state.failure) throw state.failure;
        while (state.results.length) yield state.results.shift()!;
        const slot = slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
        if (slot.inFlight < window) {
          const bytes =
            h.history instanceof Uint8Array ? h.history : temporal.api.history.v1.History.encode(h.history).finish();
          slot.thread.postMessage({ workflowId: h.workflowId, bytes });
          slot.inFlight++;
          break;
        }
        await p.waitForEvent();
      }
    }
    for (const s of slots) s.thread.postMessage({ end: true });
    while (!p.allFinished() || state.results.length) {
      if (state.failure) throw state.failure;
      if (state.results.length) yield state.results.shift()!;
      else await p.waitForEvent();
    }
  } finally {
    await release(p);
  }
}
