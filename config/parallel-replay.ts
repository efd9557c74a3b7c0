/**
 * Replay on every core: streams histories through several replay workers, one worker thread per
 * core (os.availableParallelism()), each running Worker.runReplayHistories on its share. Used by the
 * auditor's replay (api/services/audit.ts, `asn replay`) and bench:replay. It lives in config/
 * because api/ may not import worker/ (lint) and it depends only on the SDK and the data converter.
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

/** Replays every history; yields each outcome as it completes (not in input order). */
export async function* replayInParallel(
  histories: AsyncIterable<ReplayInput> | Iterable<ReplayInput>,
  opts: ParallelReplayOptions,
): AsyncGenerator<ReplayOutcome> {
  const n = Math.max(1, opts.threads ?? availableParallelism());
  const window = opts.window ?? 4;
  const slots = Array.from({ length: n }, () => ({ thread: startThread(opts), inFlight: 0 }));
  const results: ReplayOutcome[] = [];
  let failure: Error | undefined;
  let finished = 0;
  let signal: (() => void) | undefined;
  const poke = (): void => {
    const s = signal;
    signal = undefined;
    s?.();
  };
  const waitForEvent = (): Promise<void> => new Promise<void>((r) => (signal = r));
  slots.forEach((slot) => {
    slot.thread.on('message', (m: FromThread) => {
      if ('fatal' in m) failure ??= new Error(`replay thread failed: ${m.fatal}`);
      else if ('done' in m) finished++;
      else {
        slot.inFlight--;
        results.push(m);
      }
      poke();
    });
    slot.thread.on('error', (err) => {
      failure ??= err;
      poke();
    });
  });
  try {
    for await (const h of histories) {
      for (;;) {
        if (failure) throw failure;
        while (results.length) yield results.shift()!;
        const slot = slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
        if (slot.inFlight < window) {
          const bytes =
            h.history instanceof Uint8Array ? h.history : temporal.api.history.v1.History.encode(h.history).finish();
          slot.thread.postMessage({ workflowId: h.workflowId, bytes });
          slot.inFlight++;
          break;
        }
        await waitForEvent();
      }
    }
    for (const s of slots) s.thread.postMessage({ end: true });
    while (finished < n || results.length) {
      if (failure) throw failure;
      if (results.length) yield results.shift()!;
      else await waitForEvent();
    }
  } finally {
    await Promise.all(slots.map((s) => s.thread.terminate()));
  }
}
