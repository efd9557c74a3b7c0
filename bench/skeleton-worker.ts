/** The skeleton's worker process for bench:e2e (same data converter as the real worker). */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { dataConverter } from '../config/codec';
import { workerCacheOptions } from '../config';
import { isWorkflowAlreadyStarted } from '../config/temporal-errors';
import { lightenWorkflowThreads } from '../worker/workflow-thread';

async function main(): Promise<void> {
  lightenWorkflowThreads(); // as the real worker's
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const taskQueue = process.env.TASK_QUEUE!;
  // As the real worker's: the appointment starts the career through a client.
  const client = new Client({
    connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
    dataConverter: dataConverter(),
  });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { codePath: process.env.SKELETON_BUNDLE! },
    dataConverter: dataConverter(),
    // The same cache as the real worker's (WORKER_MAX_CACHED_WORKFLOWS, set by bench:e2e).
    ...workerCacheOptions(),
    activities: {
      // Counts what the workflows did, so the bench waits for the work to be done, as it does
      // for the real path (where it counts rows in PostgreSQL).
      noop: async (what: string) => {
        counts[what] = (counts[what] ?? 0) + 1;
      },
      appoint: async (candidateWorkflowId: string) => {
        counts.appoint = (counts.appoint ?? 0) + 1;
        await client.workflow
          .start('skeletonCareer', { taskQueue, workflowId: `${candidateWorkflowId}-career`, args: [] })
          .catch((err: unknown) => {
            if (!isWorkflowAlreadyStarted(err)) throw err;
          });
      },
    },
  });
  const counts: Record<string, number> = {};
  let last = '';
  setInterval(() => {
    const now = JSON.stringify(counts);
    if (now !== last) process.stdout.write(`COUNTS ${now}\n`);
    last = now;
  }, 100).unref();
  process.stdout.write('WORKER_READY\n');
  await worker.run();
}
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
