/**
 * bench:register — registrations per second through the API (autocannon, real dev server, real
 * PostgreSQL, worker running) beside a bare script calling `client.workflow.start` with the same
 * workflow input and search attributes at the same concurrency, same run.
 * Goal (issue 20): ≥ 0.8 × the bare rate, p99 ≤ 2 × the bare p99 at the same concurrency (both reported).
 */
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { buildApp } from '../api/app';
import { createRoundActivities } from '../activities/round';
import { withDefaults, type RoundConfig } from '../domain';
import type { Client } from '@temporalio/client';
import { bundleWorkflows, createWorker } from '../worker/worker';
import { candidateWorkflowId, formationIdAttr, roundIdAttr, stageAttr, type CandidateInput } from '../contracts';
import { TypedSearchAttributes } from '@temporalio/common';
import { sampleRound } from '../test/fixtures';
import { arg, benchDb, benchTemporal, quick, report, round3, time, waitingCandidateInput } from './lib';

const CONNECTIONS = 20;

/** The registration form's body, a different NIK for each `seq`. */
function registrationBody(seq: number): string {
  const nik = `1271${String(10 + (seq % 89)).padStart(2, '0')}120396${String(seq % 10000 || 1).padStart(4, '0')}`;
  return JSON.stringify({
    nik,
    fullName: 'Pelamar Uji Beban',
    birthDate: '1996-03-12',
    sex: 'L',
    email: 'uji@example.id',
    formationId: 'DINKES-PERAWAT',
    category: 'umum',
    education: { level: 'S1', program: 'Keperawatan', ipk: 340 },
  });
}

/** The baseline: the same workflow starts as the API's, no HTTP, no PostgreSQL, same concurrency. */
async function bareStarts(
  client: Client,
  taskQueue: string,
  config: RoundConfig,
  n: number,
): Promise<{ bare: { ms: number }; bareMs: number[] }> {
  const far = config.schedule.registrationCloses;
  const input = (no: string): CandidateInput =>
    waitingCandidateInput({
      registrationNo: no,
      roundId: config.roundId,
      formationId: 'DINKES-PERAWAT',
      far,
      requiredDocuments: config.requiredDocuments,
      sanggahStages: ['administrasi', 'final'],
      drhDeadline: config.schedule.drhDeadline,
    });
  const bareMs: number[] = [];
  const bare = await time(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < n) {
          const i = next++;
          const t0 = performance.now();
          await client.workflow.start('candidate', {
            taskQueue,
            workflowId: candidateWorkflowId(`bare${String(i).padStart(8, '0')}`),
            args: [input(`bare${i}`)],
            typedSearchAttributes: new TypedSearchAttributes([
              { key: roundIdAttr, value: config.roundId },
              { key: formationIdAttr, value: 'DINKES-PERAWAT' },
              { key: stageAttr, value: 'documents' },
            ]),
          });
          bareMs.push(performance.now() - t0);
        }
      }),
    );
  });
  return { bare, bareMs };
}

async function main(): Promise<void> {
  const n = arg('registrations', quick ? 500 : 3000);
  const { db, drop } = await benchDb('register');
  const env = await benchTemporal();
  const taskQueue = 'bench-register';
  try {
    const code = await bundleWorkflows();
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { db, client: env.client },
      options: { workflowBundle: { code } },
    });
    await worker.runUntil(async () => {
      const config = withDefaults(sampleRound('bench-register', {}, Date.now() - 32 * 86_400_000));
      await createRoundActivities({ db }).recordRound({ config, createdBy: 'bench', at: new Date().toISOString() });
      await db.updateTable('rounds').set({ phase: 'registration' }).where('round_id', '=', config.roundId).execute();
      const app = await buildApp({
        deps: { db, client: env.client, connection: env.connection, taskQueue },
        rateLimit: { max: 1e9, timeWindow: 60_000 },
      });
      const address = await app.listen({ host: '127.0.0.1', port: 0 });

      const load = loadavg().map(round3);
      let seq = 0;
      const api = await autocannon({
        url: `${address}/rounds/${config.roundId}/registrations`,
        method: 'POST',
        connections: CONNECTIONS,
        amount: n,
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (r) => ({ ...r, body: registrationBody((seq += 1)) }) }],
      });
      await app.close();
      const non2xx = api.non2xx;
      const apiSeconds = (new Date(api.finish).getTime() - new Date(api.start).getTime()) / 1000;
      const apiRate = (api.requests.total - non2xx) / apiSeconds;

      const { bare, bareMs } = await bareStarts(env.client, taskQueue, config, n);
      const bareRate = n / (bare.ms / 1000);
      bareMs.sort((a, b) => a - b);
      const pct = (q: number): number =>
        round3(bareMs[Math.min(bareMs.length - 1, Math.floor(q * bareMs.length))] ?? 0);
      const bareP99 = pct(0.99);
      report({
        name: 'register',
        value: round3(apiRate),
        unit: 'registrations/s',
        baseline: round3(bareRate),
        ratio: round3(apiRate / bareRate),
        goal: '≥ 0.8 × bare client.workflow.start, p99 ≤ 2 × bare p99 (same concurrency)',
        p50_ms: api.latency.p50,
        p99_ms: api.latency.p99,
        bare_p50_ms: pct(0.5),
        bare_p99_ms: bareP99,
        p99_ratio: round3(api.latency.p99 / bareP99),
        loadavg_before: load,
        loadavg_after: loadavg().map(round3),
        requests: api.requests.total,
        non2xx,
        connections: CONNECTIONS,
        met: apiRate >= 0.8 * bareRate && api.latency.p99 <= 2 * bareP99,
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
