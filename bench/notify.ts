/**
 * bench:notify — the round's heartbeating batch activity signalling 10,000 running candidate
 * workflows, beside a bare loop of `getHandle().signal()` at the same concurrency (50), on the
 * same dev server in the same run. Reports signals per second.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRoundOpsActivities } from '../activities/round-ops';
import { bundleWorkflows, createWorker } from '../worker/worker';
import type { Client } from '@temporalio/client';
import { candidateWorkflowId, scheduleChangedSignal } from '../contracts';
import { syntheticRound } from '../test/helpers/synthetic';
import { arg, benchDb, benchTemporal, quick, report, round3, time, waitingCandidateInput } from './lib';

const CONCURRENCY = 50;

/** A running candidate workflow for each, its deadlines far off, CONCURRENCY starts at a time. */
async function startCandidates(
  client: Client,
  taskQueue: string,
  roundId: string,
  far: string,
  candidates: { registrationNo: string; formationId: string }[],
): Promise<void> {
  for (let i = 0; i < candidates.length; i += CONCURRENCY) {
    await Promise.all(
      candidates.slice(i, i + CONCURRENCY).map((c) =>
        client.workflow.start('candidate', {
          taskQueue,
          workflowId: candidateWorkflowId(c.registrationNo),
          args: [
            waitingCandidateInput({
              registrationNo: c.registrationNo,
              roundId,
              formationId: c.formationId,
              far,
              requiredDocuments: ['ktp'],
              sanggahStages: ['administrasi'],
            }),
          ],
        }),
      ),
    );
  }
}

async function main(): Promise<void> {
  const n = arg('candidates', quick ? 1_000 : 10_000);
  const { db, drop } = await benchDb('notify');
  const env = await benchTemporal();
  try {
    const roundId = 'bench-notify';
    const { candidates } = await syntheticRound(db, roundId, 50, n, 11);
    const taskQueue = 'bench-notify';
    const code = await bundleWorkflows();
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { db, client: env.client },
      options: { workflowBundle: { code } },
    });
    await worker.runUntil(async () => {
      const far = new Date(Date.now() + 365 * 86_400_000).toISOString();
      const started = await time(() => startCandidates(env.client, taskQueue, roundId, far, candidates));
      console.error(`started ${n} candidate workflows in ${(started.ms / 1000).toFixed(1)} s`);

      // The batch activity, run for real (heartbeats go to a mock activity context).
      const activities = createRoundOpsActivities({ db, client: env.client });
      const batch = await time(
        async () =>
          (await new MockActivityEnvironment().run(activities.notifyCandidates, {
            roundId,
            job: { kind: 'schedule' as const, key: 'drhDeadline' as const, to: far, seq: 1 },
            phaseKey: 'bench-batch',
          })) as { signalled: number; skipped: number },
      );
      if (batch.value.signalled !== n) throw new Error(`batch signalled ${batch.value.signalled} of ${n}`);

      // The baseline: a bare loop over the same workflows at the same concurrency.
      const nos = candidates.map((c) => c.registrationNo).sort();
      const bare = await time(async () => {
        for (let i = 0; i < nos.length; i += CONCURRENCY) {
          await Promise.all(
            nos
              .slice(i, i + CONCURRENCY)
              .map((no) =>
                env.client.workflow
                  .getHandle(candidateWorkflowId(no))
                  .signal(scheduleChangedSignal, { phaseKey: 'bench-bare', key: 'drhDeadline', to: far }),
              ),
          );
        }
      });
      const batchRate = n / (batch.ms / 1000);
      const bareRate = n / (bare.ms / 1000);
      report({
        name: 'notify',
        value: round3(batchRate),
        unit: 'signals/s',
        baseline: round3(bareRate),
        ratio: round3(batchRate / bareRate),
        goal: 'batch close to the bare loop (ratio ≈ 1) while resumable',
        candidates: n,
        concurrency: CONCURRENCY,
        batch_ms: round3(batch.ms),
        bare_ms: round3(bare.ms),
      });
    });
  } finally {
    await env.teardown();
    await drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
