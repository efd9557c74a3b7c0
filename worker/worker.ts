import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { PREBUILT_BUNDLE } from '../config';
import { dataConverter } from '../config/codec';

export { PREBUILT_BUNDLE };

/**
 * Production loads the prebuilt bundle (`npm run build`); tests pass the one bundle they built
 * for the run; development without a bundle bundles from source (slower start).
 */
export function workflowSource(
  bundlePath?: string,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  // A stale dist/ bundle must never run in development: only production falls back to it.
  const path =
    bundlePath ?? (process.env.NODE_ENV === 'production' && existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  if (path) return { workflowBundle: { codePath: path } };
  return { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: PRELOAD_MODULES } };
}

/** The workflows' entry: index.ts from source, index.js from dist. */
export const WORKFLOWS_PATH =
  [join(__dirname, '..', 'workflows', 'index.ts'), join(__dirname, '..', 'workflows', 'index.js')].find((p) =>
    existsSync(p),
  ) ?? join(__dirname, '..', 'workflows');

export async function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  bundlePath?: string;
  options?: Partial<WorkerOptions>;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...workflowSource(opts.bundlePath),
    dataConverter: dataConverter(),
    ...opts.options,
  });
}

const noop = (): void => undefined;
/** The bundler's logger without its progress chatter; errors still print. */
export const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  log: noop,
  error: (msg: string, meta?: unknown) => console.error(msg, meta ?? ''),
};

/**
 * Modules evaluated once per V8 context and shared by every workflow in it, instead of once per
 * workflow: the rules (domain/), the message definitions (contracts/) and the workflow code itself
 * (workflows/). All three hold no module-level state: their top levels define functions,
 * constants and activity proxies (which find the running workflow when called, not when made), so
 * sharing them (and the SDK's deep freeze of shared modules) changes nothing a workflow does.
 * Measured on the golden candidate history: module evaluation was ~1.1 ms of each workflow's
 * creation before domain/ and contracts/ were shared; workflows/ was another 0.1 ms of each
 * replay, and every cached workflow kept its own copy of the workflow modules.
 */
export const PRELOAD_MODULES = [
  join(__dirname, '..', 'domain'),
  join(__dirname, '..', 'contracts'),
  join(__dirname, '..', 'workflows'),
];

/** Bundles the workflows (or another entry, for replay experiments) once; returns the code. */
export async function bundleWorkflows(workflowsPath: string = WORKFLOWS_PATH): Promise<string> {
  const preloadModules = workflowsPath === WORKFLOWS_PATH ? PRELOAD_MODULES : [];
  return (await bundleWorkflowCode({ workflowsPath, preloadModules, logger: quietBundlerLogger })).code;
}
