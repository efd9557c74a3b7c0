/**
 * One replay worker thread of config/parallel-replay.ts: replays the histories it is sent (encoded
 * protobuf) with Worker.runReplayHistories on the bundle it was given, and posts each outcome back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { dataConverter } from './codec';

interface ThreadInit {
  bundlePath?: string;
  bundleCode?: string;
  codec: boolean;
}
type Incoming = { workflowId: string; bytes: Uint8Array } | { end: true } | { stop: true };
type Item = { workflowId: string; history: temporal.api.history.v1.IHistory };

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
      : { workflowId: m.workflowId, history: temporal.api.history.v1.History.decode(m.bytes) },
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

async function main(): Promise<void> {
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
  for await (const r of Worker.runReplayHistories(options, histories())) {
    const error = r.error ? String((r.error as Error).message ?? r.error).slice(0, 2000) : undefined;
    port.postMessage({ workflowId: r.workflowId, ...(error ? { error } : {}) });
  }
  port.postMessage({ done: true });
}

main().catch((err: unknown) => port.postMessage({ fatal: String((err as Error).stack ?? err) }));
