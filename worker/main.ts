import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfig, workerCacheOptions } from '../config';
import { dataConverter } from '../config/codec';
import { auditSigner } from '../config/audit-signing';
import { createDb } from '../db/connection';
import { dispatcherFromEnv, mailConfig } from '../db/mail';
import { createLogger } from '../config/logger';
import { createWorker } from './worker';
import { lightenWorkflowThreads } from './workflow-thread';
import type { ActivityDeps } from '../activities';

async function main(): Promise<void> {
  const config = loadConfig();
  lightenWorkflowThreads();
  const logger = createLogger(config, 'worker');
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => logger.warn({ temporal: entry.meta }, entry.message)),
  });
  const db = createDb(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  // The round's batch notifications signal candidate workflows through a client connection.
  const clientConnection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporalNamespace,
    dataConverter: dataConverter(),
  });
  // The keys the anchoring activity signs checkpoints with: production refuses to run without them.
  auditSigner();
  const deps: ActivityDeps = { db, client, faults: faultsFromEnv() };
  const worker = await createWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    deps,
    bundlePath: process.env.ASN_WORKFLOW_BUNDLE,
    options: workerCacheOptions(),
  });
  // The e-mail outbox is sent from here (one place): SMTP_URL, default the sink of `npm start`.
  const mail = dispatcherFromEnv(db, (msg, fields) => logger.info(fields ?? {}, msg));
  if (mail) logger.info({ smtp: mailConfig().smtpUrl?.replace(/\/\/[^@]*@/, '//') }, 'mail dispatcher running');
  else logger.warn('SMTP_URL is not set: e-mails stay in the outbox (mail_outbox) until it is');
  logger.info({ taskQueue: config.taskQueue, temporal: config.temporalAddress }, 'worker polling');
  process.stdout.write('WORKER_READY\n');
  await worker.run();
  await mail?.stop();
  await connection.close();
  await clientConnection.close();
  await db.destroy();
  logger.info('worker stopped');
}

/**
 * Fault injection for the durability tests only: ASN_FAULT_PAUSE_AFTER_WRITE=<activity> makes the
 * worker print FAULT_PAUSED <activity> after that activity's write and hang, so the test can
 * SIGKILL it inside the window between a committed write and the activity's completion.
 */
function faultsFromEnv(): ActivityDeps['faults'] {
  const target = process.env.ASN_FAULT_PAUSE_AFTER_WRITE;
  if (!target) return undefined;
  return {
    afterWrite: async (activity) => {
      if (activity !== target) return;
      process.stdout.write(`FAULT_PAUSED ${activity}\n`);
      await new Promise(() => undefined);
    },
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
