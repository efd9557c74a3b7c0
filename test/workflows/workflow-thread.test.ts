import worker_threads from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advancePhaseUpdate, roundStateQuery, roundWorkflowId } from '../../contracts';
import { withDefaults } from '../../domain';
import type { recruitmentRound } from '../../workflows/round';
import { lightenWorkflowThreads } from '../../worker/workflow-thread';
import { spawnTs } from '../helpers/processes';
import { spinSignal, type echo as echoWorkflow, type spinner } from '../helpers/spin-workflow';
import { sampleRound } from '../fixtures';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

// The worker process's workflow threads without the SDK's per-promise stack traces
// (worker/workflow-thread.ts): workflows run as before, and `__stack_trace` says it is off.
const SdkWorker = worker_threads.Worker;
let h: Harness;
const taskQueue = uniqueTaskQueue('wf-thread');

beforeAll(async () => {
  expect(lightenWorkflowThreads({ WORKER_STACK_TRACES: '1' })).toBe(false);
  expect(worker_threads.Worker).toBe(SdkWorker);
  expect(lightenWorkflowThreads({})).toBe(true);
  h = await startHarness(taskQueue, { server: 'dev' });
});
afterAll(async () => {
  await h?.stop();
});

describe('lightened workflow threads', () => {
  it('start the SDK workflow thread through the boot code only', () => {
    expect(worker_threads.Worker).not.toBe(SdkWorker);
    // Any other thread starts as it would have.
    const other = new worker_threads.Worker('require("node:worker_threads").parentPort.postMessage(7)', {
      eval: true,
    });
    return new Promise<void>((resolve, reject) => {
      other.once('message', (m) => (m === 7 ? resolve() : reject(new Error(String(m)))));
      other.once('error', reject);
    }).finally(() => other.terminate());
  });

  it('run a round workflow (updates, queries, promises) and refuse the stack-trace query', async () => {
    const roundId = `wft-${Date.now()}`;
    const config = withDefaults(sampleRound(roundId, { simulation: { dayMs: 60_000 } }));
    const handle = await h.env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
      taskQueue,
      workflowId: roundWorkflowId(roundId),
      args: [{ config, createdBy: 'hr.wft' }],
    });
    await expect.poll(async () => (await handle.query(roundStateQuery)).phase, { timeout: 20_000 }).toBe('draft');
    // WRONG_PHASE until the round waits on the draft's timer: again.
    const advance = () =>
      handle.executeUpdate(advancePhaseUpdate, { args: [{ from: 'draft', actor: 'hr.wft', reason: 'uji' }] }).then(
        (st) => st.phase,
        (e: Error) => `belum: ${String((e.cause as Error | undefined)?.message ?? e.message)}`,
      );
    await expect.poll(advance, { timeout: 20_000, interval: 300 }).toBe('consultation');
    await expect(handle.query('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);
    await handle.terminate('test done');
  });
});

// The SDK's deadlock timeout (isolateExecutionTimeout) still works in the lightened thread: code
// that never yields is stopped, and on Node 20 the worker process then aborts ("async hook stack
// has become corrupted", with or without the lightened thread): a crash for the supervisor to see
// and restart, not a worker that keeps taking tasks it never runs (docs/national-sizing.md). The
// task's failure, with the SDK's timeout error, reaches the history only when it is sent before
// the abort (on a busy machine the abort often wins and the task times out instead). Without the
// timeout the process keeps running and the poll for its end times out.
describe('the deadlock timeout in the lightened thread', () => {
  it('stops a workflow that does not yield: the worker process ends, it does not hang', async () => {
    const spinQueue = uniqueTaskQueue('wf-spin');
    const worker = spawnTs('test/helpers/spin-worker.ts', { TEMPORAL_ADDRESS: h.env.address, TASK_QUEUE: spinQueue });
    try {
      await worker.waitFor('spin worker running', 60_000);
      const echo = (x: number) =>
        h.env.client.workflow.execute<typeof echoWorkflow>('echo', {
          taskQueue: spinQueue,
          workflowId: `echo-${x}-${Date.now()}`,
          args: [x],
        });
      await expect(echo(1)).resolves.toBe(2);
      const spinning = await h.env.client.workflow.start<typeof spinner>('spinner', {
        taskQueue: spinQueue,
        workflowId: `spin-${Date.now()}`,
      });
      await spinning.signal(spinSignal);
      // What an operator sees: the process ends (non-zero), it does not hang.
      await expect.poll(() => worker.child.exitCode ?? worker.child.signalCode, { timeout: 60_000 }).not.toBeNull();
      expect(worker.child.exitCode).not.toBe(0);
      const events = (await spinning.fetchHistory()).events ?? [];
      const failed = events.filter((e) => e.workflowTaskFailedEventAttributes);
      for (const e of failed)
        expect(e.workflowTaskFailedEventAttributes?.failure?.message).toMatch(
          /Script execution timed out after 1000ms/,
        );
      await spinning.terminate('test done');
    } finally {
      await worker.kill();
    }
  }, 120_000);
});
