/**
 * bench:replay — golden candidate histories replayed per second on the current bundle, streamed
 * through one replay worker thread per core (config/parallel-replay.ts), beside the replay of a
 * trivial timer-only workflow with the same number of events measured the same way, same run.
 * Goal: ≥ 200 histories/s on this machine and ≥ 0.8 × the trivial workflow.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { ROOT, temporalTools } from '../config';
import { replayInParallel } from '../config/parallel-replay';
import { bundleWorkflows } from '../worker/worker';
import { arg, quick, report, round3, time } from './lib';

async function main(): Promise<void> {
  const n = arg('histories', quick ? 100 : 1000);
  const threads = arg('threads', availableParallelism());
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const goldenJson = readFileSync(join(ROOT, 'test', 'histories', 'candidate-1.0-appointed.json'), 'utf8');
  const golden = historyFromJSON(JSON.parse(goldenJson));
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
  const replayAll = async (bundleCode: string, history: typeof golden, count = n): Promise<void> => {
    const bytes = temporal.api.history.v1.History.encode(history).finish();
    const many = (function* () {
      for (let i = 0; i < count; i++) yield { workflowId: `h${i}`, history: bytes };
    })();
    for await (const r of replayInParallel(many, { bundleCode, threads }))
      if (r.error) throw new Error(`${r.workflowId}: ${r.error}`);
  };
  const load = loadavg().map(round3);
  await replayAll(bundle.code, golden, threads * 4); // warm-up
  const real = await time(() => replayAll(bundle.code, golden));
  await replayAll(trivialBundle.code, trivialHistory, threads * 4);
  const base = await time(() => replayAll(trivialBundle.code, trivialHistory));
  const rate = n / (real.ms / 1000);
  const baseRate = n / (base.ms / 1000);
  report({
    name: 'replay',
    value: round3(rate),
    unit: 'histories/s',
    baseline: round3(baseRate),
    ratio: round3(rate / baseRate),
    goal: '≥ 200 histories/s on this machine, ≥ 0.8 × trivial (same parallel replayer)',
    histories: n,
    threads,
    history_json_bytes: goldenJson.length,
    loadavg_before: load,
    loadavg_after: loadavg().map(round3),
    events_per_history: events,
    trivial_events: trivialHistory.events?.length ?? 0,
    met: rate >= 200 && rate / baseRate >= 0.8,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
