/**
 * A worker process for the deadlock timeout test (test/workflows/workflow-thread.test.ts): the
 * workflow thread as the worker process starts it (worker/workflow-thread.ts), the test-only
 * workflows of spin-workflow.ts, the project's payload codec, a 1 s isolate execution timeout.
 * Environment: TEMPORAL_ADDRESS, TASK_QUEUE.
 */
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { dataConverter } from '../../config/codec';
import { quietBundlerLogger } from '../../worker/worker';
import { lightenWorkflowThreads } from '../../worker/workflow-thread';

async function main(): Promise<void> {
  lightenWorkflowThreads();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(__dirname, 'spin-workflow.ts'),
    logger: quietBundlerLogger,
  });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
    taskQueue: process.env.TASK_QUEUE!,
    workflowBundle: { code },
    dataConverter: dataConverter(), // the test's client encodes payloads, as the project's do
    // Not in WorkerOptions' type; the SDK spreads it over its default (5 s): a shorter test.
    ...({ isolateExecutionTimeout: '1s' } as object),
  });
  console.log('spin worker running');
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
