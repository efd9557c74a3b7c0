/**
 * What the SDK's workflow thread does for debugging on every promise a workflow creates, dropped
 * unless asked for (docs/national-sizing.md, "The workflow thread's stack traces"):
 * - the promise hook that records a stack trace for every promise, for the `__stack_trace` query
 *   (the Temporal UI's "stack trace" tab): an Error, its stack, a source-map lookup and a few
 *   regular expressions per promise. In a CPU profile of the worker (bench:e2e at 1,000) it was
 *   40 % of the workflow thread's busy time; without it the worker's CPU per candidate fell from
 *   237.1 to 185.9 ms. WORKER_STACK_TRACES=1 keeps it, for a worker started to debug a stuck workflow;
 * - Node's source-map support in that thread (tsx turns it on in development), which looks for a
 *   source-map comment in every function the hook compiles.
 * Neither changes a command a workflow issues (replay runs without both, config/parallel-replay-thread.ts).
 *
 * The SDK starts its workflow threads with `new Worker(<its workflow-worker-thread.js>)` and takes
 * no option for this, so the main thread's Worker constructor is wrapped: that one file is started
 * through a few lines that make both changes, then load it. Any other thread starts unchanged.
 */
import worker_threads from 'node:worker_threads';

/** Set once the wrapper is in place (both worker processes call it; it is idempotent). */
let installed = false;

/** The code the SDK's workflow thread runs first; `vmShared` and `thread` are absolute paths. */
export function threadBoot(vmShared: string, thread: string): string {
  return [
    'process.setSourceMapsEnabled(false);',
    `const shared = require(${JSON.stringify(vmShared)});`,
    // Internal to the SDK: skipped (the hook stays) when its shape is not the one known.
    "if (typeof shared.globalHandlers?.setPromiseHook === 'function') shared.globalHandlers.setPromiseHook = () => undefined;",
    `require(${JSON.stringify(thread)});`,
  ].join('\n');
}

export function lightenWorkflowThreads(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.WORKER_STACK_TRACES === '1' || installed) return installed;
  const thread = require.resolve('@temporalio/worker/lib/workflow/workflow-worker-thread');
  const vmShared = require.resolve('@temporalio/worker/lib/workflow/vm-shared');
  const Original = worker_threads.Worker;
  class WorkflowThread extends Original {
    constructor(filename: string | URL, options?: worker_threads.WorkerOptions) {
      if (filename === thread && !options?.eval) super(threadBoot(vmShared, thread), { ...options, eval: true });
      else super(filename, options);
    }
  }
  (worker_threads as { Worker: typeof Original }).Worker = WorkflowThread;
  installed = true;
  return installed;
}
