/** The skeleton's worker process for bench:e2e (same data converter as the real worker). */
import { NativeConnection, Worker } from '@temporalio/worker';
import { dataConverter } from '../config/codec';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection, namespace: 'default', taskQueue: process.env.TASK_QUEUE!, workflowBundle: { codePath: process.env.SKELETON_BUNDLE! }, dataConverter: dataConverter(),
    activities: { noop: async () => undefined },
  });
  process.stdout.write('WORKER_READY\n');
  await worker.run();
}
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
