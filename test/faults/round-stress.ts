/**
 * `npm run test:round-stress [-- --rounds N --step-ms MS --seed S]`: rounds whose phases are a few
 * seconds apart, on a real Temporal dev server and PostgreSQL, while HR keeps extending the
 * upcoming deadlines, readers keep reading the rounds' state as the API does, and the worker is
 * SIGKILLed every 3–7 s and restarted. Every round must close with all its phases, every read
 * must either answer or fail only for want of a worker, and every history must replay on the
 * current code.
 *
 * On the code before DEADLINE_PATCH it failed 2 runs of 2 (rounds stuck on "Nondeterminism error
 * … TimerStarted": a wait decided by the clock re-armed a fired timer after a crash). With
 * `--workflow-queries` the readers query the workflows directly, as the API did before it read
 * rounds from PostgreSQL: that still fails about 1 run in 2 — a query on a worker without the
 * workflow in cache, after a crash, leaves an Update ordered differently live than on replay
 * ("Update machine does not handle this event"), an SDK-core bug (compare sdk-python#1591).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadConfig, ROOT, temporalTools } from '../../config';
import { dataConverter } from '../../config/codec';
import { createDb, dropDatabase, ensureDatabase } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { SCHEDULE_KEYS, withDefaults } from '../../domain';
import type { ServiceDeps } from '../../api/services/deps';
import { getRoundState } from '../../api/services/rounds';
import { rng } from '../../demo/synthetic';
import { ensureSearchAttributes } from '../../worker/search-attributes';
import { bundleWorkflows } from '../../worker/worker';
import {
  extendDeadlineUpdate,
  formationIdAttr,
  roundIdAttr,
  roundStateQuery,
  roundWorkflowId,
  stageAttr,
} from '../../contracts';
import type { recruitmentRound } from '../../workflows/round';
import { sampleRound, wib } from '../fixtures';

const KEYS = SCHEDULE_KEYS;
const PHASES = [
  'consultation',
  'criteria_adoption',
  'registration',
  'administrative_check',
  'announcement',
  'skd',
  'skb',
  'final_announcement',
  'closed',
];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main(): Promise<void> {
  const rounds = arg('rounds', 4);
  const step = arg('step-ms', 4_000);
  const random = rng(arg('seed', 7));
  const started = Date.now();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const url = new URL(loadConfig().databaseUrl);
  url.pathname = `/asn_round_stress_${process.pid}`;
  await ensureDatabase(url.toString());
  const db = createDb(url.toString(), { max: 5 });
  await migrateToLatest(db);
  const env = await TestWorkflowEnvironment.createLocal({
    client: { dataConverter: dataConverter() },
    server: {
      executable: { type: 'existing-path', path: temporalTools().cli },
      ip: '127.0.0.1',
      searchAttributes: [roundIdAttr, formationIdAttr, stageAttr],
      extraArgs: ['--log-level', 'error'],
    },
  });
  await ensureSearchAttributes(env.connection, 'default');
  const dir = mkdtempSync(join(tmpdir(), 'asn-round-stress-'));
  const bundlePath = join(dir, 'bundle.js');
  writeFileSync(bundlePath, await bundleWorkflows());
  const taskQueue = 'round-stress';
  const deps: ServiceDeps = { db, client: env.client, connection: env.connection, taskQueue };
  // The API reads a round from PostgreSQL; --workflow-queries reads it with the workflow query
  // instead, which reproduces the SDK's misplaced Update after a crash (see the header).
  const workflowQueries = process.argv.includes('--workflow-queries');

  let child: ChildProcess | undefined;
  const startWorker = (): void => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        DATABASE_URL: url.toString(),
        TASK_QUEUE: taskQueue,
        ASN_WORKFLOW_BUNDLE: bundlePath,
        LOG_LEVEL: 'error',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  };
  startWorker();
  let kills = 0;
  let stop = false;
  const killer = (async () => {
    while (!stop) {
      await sleep(3_000 + random() * 4_000);
      if (stop) break;
      child?.kill('SIGKILL');
      kills += 1;
      await sleep(random() * 1_500);
      startWorker();
    }
  })();

  const problems: string[] = [];
  let extensions = 0;
  let queries = 0;
  await Promise.all(
    Array.from({ length: rounds }, async (_, r) => {
      const roundId = `stress-${Date.now().toString(36)}-${r}`;
      const now = Date.now();
      const schedule = Object.fromEntries(
        KEYS.map((k, i) => [k, wib(now + 3_000 + i * step)]),
      ) as unknown as ReturnType<typeof sampleRound>['schedule'];
      const config = withDefaults(sampleRound(roundId, { schedule }));
      const handle = await env.client.workflow.start<typeof recruitmentRound>('recruitmentRound', {
        taskQueue,
        workflowId: roundWorkflowId(roundId),
        args: [{ config, createdBy: 'hr.stress' }],
      });
      const due: Record<string, number> = Object.fromEntries(KEYS.map((k) => [k, Date.parse(schedule[k])]));
      let done = false;
      // A round stuck on a failing workflow task would never end: it gets the whole schedule plus 3 minutes.
      const limit = 3_000 + KEYS.length * step + 180_000;
      const result = Promise.race([
        handle.result(),
        sleep(limit).then(async () => {
          await handle.terminate('round-stress: no result in time').catch(() => undefined);
          throw new Error(`no result within ${limit / 1000} s`);
        }),
      ]).finally(() => (done = true));
      const reader = (async () => {
        while (!done) {
          try {
            if (workflowQueries) await handle.query(roundStateQuery);
            else await getRoundState(deps, roundId);
            queries += 1;
          } catch (err) {
            if (!done && !/Failed to query|deadline/i.test(String(err)))
              problems.push(`${roundId} query: ${String(err).slice(0, 300)}`);
          }
          await sleep(200);
        }
      })();
      const hr = (async () => {
        while (!done) {
          // The next instant still ahead; moved (with the ones it would pass) by 0.4–1.2 s.
          const idx = KEYS.findIndex((k) => due[k]! - Date.now() > 300);
          if (idx < 0) return;
          const delta = 1_000 * Math.ceil(0.4 + random() * 0.8);
          let last = idx;
          while (last + 1 < KEYS.length && due[KEYS[last]!]! + delta >= due[KEYS[last + 1]!]!) last += 1;
          for (let i = last; i >= idx; i--) {
            const k = KEYS[i]!;
            try {
              await handle.executeUpdate(extendDeadlineUpdate, {
                args: [{ key: k, to: wib(due[k]! + delta), actor: 'hr.stress', reason: 'uji ketahanan' }],
              });
              due[k] = due[k]! + delta;
              extensions += 1;
            } catch (err) {
              const msg = String((err as { cause?: { message?: string } }).cause?.message ?? err);
              // Refusals HR can meet (the deadline passed meanwhile, another change in flight) are fine.
              // So is an update the server could not hand to a worker (one was being killed) —
              // but not one refused because the workflow task is failing (that is nondeterminism).
              const refusal = /sudah lewat|sedang dicatat|harus tetap sebelum/.test(msg);
              const noWorker =
                (/Unable to perform workflow execution update/i.test(msg) && !/failed state/i.test(msg)) ||
                /wasn't processed by worker/.test(msg);
              if (!refusal && !noWorker) problems.push(`${roundId} update: ${msg.slice(0, 300)}`);
              break;
            }
          }
          await sleep(random() * 600);
        }
      })();
      try {
        const state = await result;
        const phases = state.phases.map((p) => p.phase);
        if (phases.join() !== PHASES.join()) problems.push(`${roundId} phases: ${phases.join(', ')}`);
      } catch (err) {
        problems.push(`${roundId} result: ${String(err).slice(0, 300)}`);
      }
      await Promise.all([reader, hr]);
      const history = await handle.fetchHistory();
      try {
        await Worker.runReplayHistory(
          { workflowBundle: { codePath: bundlePath }, dataConverter: dataConverter() },
          history,
          roundWorkflowId(roundId),
        );
      } catch (err) {
        const kept = join(tmpdir(), `asn-round-stress-${roundId}.json`);
        writeFileSync(kept, JSON.stringify(historyToJSON(history)));
        problems.push(
          `${roundId} replay (history kept in ${kept}): ${String(err)
            .replace(/^.*?Details: /s, '')
            .slice(0, 600)}`,
        );
      }
    }),
  );
  stop = true;
  await killer;
  child?.kill('SIGKILL');
  await env.teardown();
  await db.destroy();
  await dropDatabase(url.toString());
  rmSync(dir, { recursive: true, force: true });
  for (const p of problems) console.log(`  ${p}`);
  console.log(
    `round-stress: ${problems.length ? 'FAIL' : 'PASS'} rounds=${rounds} worker_kills=${kills} extensions=${extensions} queries=${queries} problems=${problems.length} seconds=${Math.round((Date.now() - started) / 1000)}`,
  );
  process.exit(problems.length ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
