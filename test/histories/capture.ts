/**
 * Captures golden histories from real runs on a time-skipping server and a real PostgreSQL:
 * `npm run histories:capture [-- name ...] [--force]`. Each scenario writes
 * test/histories/<name>.json. A golden history is frozen once committed: it stands for the
 * workflows already running in production, so the script never overwrites one without --force.
 * 1.0 is the baseline (issue 16): the pre-release patches are retired, the old goldens removed and
 * candidate-1.0-*.json and career-1.0-*.json captured from the 1.0 code (candidate-1.0-
 * decision-in-flight.json by test/workflows/candidate-durability.test.ts with ASN_CAPTURE_GOLDEN=1).
 * After 1.0 a workflow changes as Temporal documents it: the new code goes behind patched() and is
 * captured under a new name beside the old file (which keeps proving the old runs replay); once
 * no run predates the patch it becomes deprecatePatch(), and the patch and the old file are removed
 * once no run has the marker.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { temporalTools, loadConfig } from '../../config';
import { createDb, dropDatabase, ensureDatabase } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { bundleWorkflows, createWorker } from '../../worker/worker';
import { ensureSearchAttributes } from '../../worker/search-attributes';
import { scenarios } from './scenarios';

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const only = process.argv.slice(2).filter((a) => a !== '--force');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const base = new URL(loadConfig().databaseUrl);
  base.pathname = `/asn_capture_${Date.now().toString(36)}`;
  const url = base.toString();
  await ensureDatabase(url);
  const db = createDb(url);
  await migrateToLatest(db);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTools().testServer } },
  });
  await ensureSearchAttributes(env.connection, 'default');
  const dir = mkdtempSync(join(tmpdir(), 'asn-capture-'));
  const bundlePath = join(dir, 'bundle.js');
  writeFileSync(bundlePath, await bundleWorkflows());
  const taskQueue = 'capture';
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    deps: { db, client: env.client },
    bundlePath,
    options: { dataConverter: {} },
  }); // golden histories stay plaintext (synthetic data), replayable with any keys
  try {
    await worker.runUntil(async () => {
      for (const s of scenarios) {
        if (only.length && !only.includes(s.name)) continue;
        if (!force && existsSync(join(__dirname, `${s.name}.json`))) {
          console.log(`${s.name}: kept (frozen; --force to overwrite)`);
          continue;
        }
        const { workflowId, runId } = await s.run({ env, db, taskQueue });
        const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
        writeFileSync(join(__dirname, `${s.name}.json`), historyToJSON(history));
        console.log(`${s.name}: ${history.events?.length} events`);
      }
    });
  } finally {
    await env.teardown();
    await db.destroy();
    await dropDatabase(url);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
