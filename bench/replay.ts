/**
 * bench:replay — golden candidate histories replayed per second on the current bundle, beside
 * the replay of a trivial timer-only workflow with the same number of events, same run.
 * Goal: ≥ 200 histories/s per core.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { ROOT, temporalTools } from '../config';
import { bundleWorkflows } from '../worker/worker';
import { arg, quick, report, round3, time } from './lib';

async function main(): Promise<void> {
  const n = arg('histories', quick ? 100 : 1000);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const golden = historyFromJSON(
    JSON.parse(readFileSync(join(ROOT, 'test', 'histories', 'candidate-appointed.json'), 'utf8')),
  );
  const events = golden.events?.length ?? 0;

  // A trivial workflow's history with as many events (5 per timer), captured on the test server.
  const trivialBundle = { code: await bundleWorkflows(join(__dirname, 'trivial-workflow.ts')) };
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTools().testServer } },
  });
  let trivialHistory;
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-replay',
      workflowBundle: trivialBundle,
    });
    trivialHistory = await worker.runUntil(async () => {
      const h = await env.client.workflow.start('trivial', {
        taskQueue: 'bench-replay',
        workflowId: 'trivial',
        args: [Math.max(1, Math.round((events - 5) / 5))],
      });
      await h.result();
      return h.fetchHistory();
    });
  } finally {
    await env.teardown();
  }

  const bundle = { code: await bundleWorkflows() };
  const replayAll = async (workflowBundle: { code: string }, history: typeof golden): Promise<void> => {
    const many = (async function* () {
      for (let i = 0; i < n; i++) yield { workflowId: `h${i}`, history };
    })();
    for await (const r of Worker.runReplayHistories({ workflowBundle, replayName: 'bench' }, many))
      if (r.error) throw r.error;
  };
  await replayAll(bundle, golden); // warm-up
  const real = await time(() => replayAll(bundle, golden));
  await replayAll(trivialBundle, trivialHistory);
  const base = await time(() => replayAll(trivialBundle, trivialHistory));
  const rate = n / (real.ms / 1000);
  const baseRate = n / (base.ms / 1000);
  report({
    name: 'replay',
    value: round3(rate),
    unit: 'histories/s',
    baseline: round3(baseRate),
    ratio: round3(rate / baseRate),
    goal: '≥ 200 histories/s per core',
    histories: n,
    events_per_history: events,
    trivial_events: trivialHistory.events?.length ?? 0,
    met: rate >= 200,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
