import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { dataConverter } from '../config/codec';
import { auditSigner } from '../config/audit-signing';
import { createDb } from '../db/connection';
import { existsSync } from 'node:fs';
import { PREBUILT_BUNDLE } from '../config';
import { buildApp } from './app';
import { pruneIdempotencyRecords } from './plugins/idempotency';
import { startPendingWorkflows } from './services/registrations';
import { createLogger } from '../config/logger';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, 'api');
  const db = createDb(config.databaseUrl);
  // Lazy: the API starts and answers 503 while Temporal is down, instead of refusing to start.
  const connection = Connection.lazy({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter: dataConverter() });
  // The audit signing keys, loaded (and checked) at start: production refuses to run without them.
  auditSigner();
  const bundlePath = process.env.ASN_WORKFLOW_BUNDLE ?? (existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  const app = await buildApp({
    deps: { db, client, connection, taskQueue: config.taskQueue },
    logger,
    bundlePath,
    rateLimits: config.rateLimits,
    commentDuplicateWindowMs: config.commentDuplicateWindowMs,
    codecCorsOrigins: config.codecCorsOrigins,
  });
  const close = async (): Promise<void> => {
    await app.close();
    await connection.close();
    await db.destroy();
  };
  process.once('SIGINT', () => void close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void close().then(() => process.exit(0)));
  await app.listen({ host: config.apiHost, port: config.apiPort });
  // The reconciler: applications whose workflow start did not complete get it started.
  const reconcile = setInterval(
    () => {
      startPendingWorkflows({ db, client, connection, taskQueue: config.taskQueue })
        .then((n) => n && logger.info({ started: n }, 'reconciler started pending candidate workflows'))
        .catch((err: unknown) =>
          logger.warn({ err: (err as Error).message }, 'reconciler: dependency unavailable, will retry'),
        );
    },
    Number(process.env.ASN_RECONCILE_INTERVAL_MS ?? 15_000),
  );
  reconcile.unref();
  // Idempotency keys are retry markers: forgotten after ASN_IDEMPOTENCY_RETENTION_HOURS (default 72 h).
  const prune = setInterval(() => {
    pruneIdempotencyRecords(db, Number(process.env.ASN_IDEMPOTENCY_RETENTION_HOURS ?? 72) * 3_600_000)
      .then((n) => n && logger.info({ pruned: n }, 'idempotency records pruned'))
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'idempotency prune failed, will retry'));
  }, 3_600_000);
  prune.unref();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
