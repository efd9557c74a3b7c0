/**
 * One replay worker thread of config/parallel-replay.ts: replays the histories it is sent (encoded
 * protobuf) with Worker.runReplayHistories on the bundle it was given, and posts each outcome back.
 *
 * The thread does nothing but replay, so it drops three costs the SDK's replay worker carries for
 * debugging (measured on the golden candidate history, one thread: 7.0 → 25 histories/s):
 * - every call into the workflow's V8 context passes the debug mode's "no timeout" (2^32-1 ms), and
 *   any `timeout` makes Node start a watchdog per call (~100 µs each, hundreds per history): the
 *   call is made without it, which is the same limit (none);
 * - the promise hook that records a stack trace for every promise the workflow creates, for the
 *   `__stack_trace` query, which a replay never answers;
 * - source-map lookups of those stack traces (tsx turns source maps on in development).
 * None of them changes a command the workflow code issues, so a determinism check is unaffected;
 * the golden histories' replay tests run through this thread (test/workflows/parallel-replay.test.ts).
 */
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { native } from '@temporalio/core-bridge';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Writer } from 'protobufjs/minimal';
import { dataConverter } from './codec';

interface ThreadInit {
  bundlePath?: string;
  bundleCode?: string;
  codec: boolean;
}
type Incoming = { workflowId: string; bytes: Uint8Array } | { end: true } | { stop: true };

/**
 * A history as the main thread sent it (encoded): `events[0]` is only what the SDK's
 * validateHistory reads (an event id that is not a string: not JSON); the bytes go to the core
 * as they are (passBytesThrough).
 */
const RAW = Symbol('encoded history');
interface RawHistory {
  events: { eventId: number }[];
  [RAW]: Uint8Array;
}
type Item = { workflowId: string; history: RawHistory };

const init = workerData as ThreadInit;
const port = parentPort!;
const queue: (Item | null)[] = [];
let wake: (() => void) | undefined;
port.on('message', (m: Incoming) => {
  // `stop`: the consumer went away; what was sent ahead is dropped, the current history finishes.
  if ('stop' in m) queue.length = 0;
  queue.push(
    'end' in m || 'stop' in m
      ? null
      : { workflowId: m.workflowId, history: { events: [{ eventId: 1 }], [RAW]: m.bytes } },
  );
  wake?.();
});

async function* histories(): AsyncGenerator<Item> {
  for (;;) {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    const next = queue.shift()!;
    if (next === null) return;
    yield next;
  }
}

const NO_TIMEOUT = 4_294_967_295; // the SDK's debug-mode isolateExecutionTimeout, in ms

function lightenReplay(): void {
  process.setSourceMapsEnabled(false);
  const run = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function (this: vm.Script, context, options) {
    if (options?.timeout !== NO_TIMEOUT) return run.call(this, context, options);
    const { timeout: _none, ...rest } = options;
    return run.call(this, context, rest);
  };
  // Internal to the SDK (no option turns it off): skipped when its shape is not the one known.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shared = require('@temporalio/worker/lib/workflow/vm-shared') as {
    globalHandlers?: { setPromiseHook?: () => void };
  };
  if (typeof shared.globalHandlers?.setPromiseHook === 'function')
    shared.globalHandlers.setPromiseHook = () => undefined;
}

/**
 * The SDK's pushHistory encodes the history object it is given, length-delimited, for the core. The
 * thread gets the history encoded already: decoding it only for the SDK to encode it again cost as
 * much as a fifth of the JavaScript a candidate history's replay takes. The bytes go to the core
 * length-delimited, as the SDK would send them (a history that is not RawHistory takes the SDK's way).
 */
function passBytesThrough(): void {
  const rt = Runtime.prototype as unknown as {
    pushHistory?: (pusher: unknown, workflowId: string, history: unknown) => Promise<void>;
  };
  const push = rt.pushHistory;
  if (typeof push !== 'function' || typeof native.pushHistory !== 'function') return;
  rt.pushHistory = function (pusher, workflowId, history) {
    const raw = (history as Partial<RawHistory>)[RAW];
    if (!raw) return push.call(this, pusher, workflowId, history);
    const delimited = Writer.create().bytes(raw).finish();
    return native.pushHistory(
      pusher as never,
      workflowId,
      Buffer.from(delimited.buffer, delimited.byteOffset, delimited.byteLength),
    );
  };
}

async function main(): Promise<void> {
  lightenReplay();
  passBytesThrough();
  // The native warnings (each determinism violation, which the outcome reports anyway) would go to
  // the process's stdout, where `asn replay` prints its JSON answer: only errors.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const workflowBundle = init.bundlePath ? { codePath: init.bundlePath } : { code: init.bundleCode! };
  const options = {
    workflowBundle,
    replayName: 'parallel-replay',
    ...(init.codec ? { dataConverter: dataConverter() } : {}),
  };
  // RawHistory stands in for the history object the SDK's type names (passBytesThrough).
  for await (const r of Worker.runReplayHistories(options, histories() as AsyncIterable<never>)) {
    const error = r.error ? String((r.error as Error).message ?? r.error).slice(0, 2000) : undefined;
    port.postMessage({ workflowId: r.workflowId, ...(error ? { error } : {}) });
  }
  port.postMessage({ done: true });
}

main().catch((err: unknown) => port.postMessage({ fatal: String((err as Error).stack ?? err) }));
