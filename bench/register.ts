/**
 * bench:register — registrations per second through the API (autocannon, real dev server, real
 * PostgreSQL, the worker running in its own process as deployed) beside a bare script calling
 * `client.workflow.start` with the same workflow input and search attributes at the same
 * concurrency, same run. Each part starts once the worker has done what the part before it started
 * (its CPU quiet): the time that took is reported (`drain_after_*_ms`).
 * Goal (issue 20): ≥ 0.8 × the bare rate, p99 ≤ 2 × the bare p99 at the same concurrency (both reported).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { buildApp } from '../api/app';
import { createRoundActivities } from '../activities/round';
import { withDefaults, type RoundConfig } from '../domain';
import type { Client } from '@temporalio/client';
import { bundleWorkflows } from '../worker/worker';
import { generateKey } from '../config/codec';
import { cpuMsOf, postgresCpuMs } from './costs';
import { candidateWorkflowId, formationIdAttr, roundIdAttr, stageAttr, type CandidateInput } from '../contracts';
import { TypedSearchAttributes } from '@temporalio/common';
import { sampleRound } from '../test/fixtures';
import {
  arg,
  benchDb,
  benchTemporal,
  killWorkers,
  quick,
  report,
  round3,
  startWorker,
  stopWorker,
  time,
  waitingCandidateInput,
} from './lib';

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

/** n registration forms POSTed by autocannon, CONNECTIONS at a time, each with its own NIK. */
function apiRegistrations(url: string, n: number): Promise<autocannon.Result> {
  let seq = 0;
  return autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    amount: n,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (r) => ({ ...r, body: registrationBody((seq += 1)) }) }],
  });
}

interface CpuNow {
  self: number;
  postgres: number;
  worker: number;
}
const cpuNow = (workerPid: number): CpuNow => ({
  self: cpuMsOf(process.pid),
  postgres: postgresCpuMs(),
  worker: cpuMsOf(workerPid),
});
const perRequest = (a: CpuNow, b: CpuNow, n: number): CpuNow => ({
  self: round3((b.self - a.self) / n),
  postgres: round3((b.postgres - a.postgres) / n),
  worker: round3((b.worker - a.worker) / n),
});

/**
 * Waits until the worker process has used under 30 % of a core in each of two consecutive half
 * seconds (the first workflow tasks of what was started all done: it uses a whole core until
 * then, and idles near 0 %, 20 % under BENCH_WORKER_CPU_PROF); how long that took.
 */
async function drained(pid: number): Promise<number> {
  const t0 = performance.now();
  for (let quiet = 0, last = cpuMsOf(pid); quiet < 2;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuMsOf(pid);
    quiet = now - last < 150 ? quiet + 1 : 0;
    last = now;
  }
  return performance.now() - t0 - 1000;
}

async function main(): Promise<void> {
  // One key set for the bench's client and the worker process (set before any client exists).
  const keys = JSON.stringify({ active: 'bench', keys: { bench: generateKey() } });
  process.env.ASN_CODEC_KEYS = keys;
  const n = arg('registrations', quick ? 500 : 3000);
  const { db, url, drop } = await benchDb('register');
  const env = await benchTemporal();
  const taskQueue = 'bench-register';
  const work = mkdtempSync(join(tmpdir(), 'asn-bench-register-'));
  try {
    const bundle = join(work, 'workflow-bundle.js');
    writeFileSync(bundle, await bundleWorkflows());
    // The worker in its own process, as deployed: the API's event loop is the API's alone.
    const worker = await startWorker('worker/main.ts', {
      TEMPORAL_ADDRESS: env.connection.options.address as string,
      ASN_CODEC_KEYS: keys,
      DATABASE_URL: url,
      SMTP_URL: 'none',
      TASK_QUEUE: taskQueue,
      ASN_WORKFLOW_BUNDLE: bundle,
    });
    const config = withDefaults(sampleRound('bench-register', {}, Date.now() - 32 * 86_400_000));
    await createRoundActivities({ db }).recordRound({ config, createdBy: 'bench', at: new Date().toISOString() });
    await db.updateTable('rounds').set({ phase: 'registration' }).where('round_id', '=', config.roundId).execute();
    const app = await buildApp({
      deps: { db, client: env.client, connection: env.connection, taskQueue },
      rateLimit: { max: 1e9, timeWindow: 60_000 },
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });

    const load = loadavg().map(round3);
    // CPU per registration of this process (the API, and autocannon driving it), PostgreSQL and
    // the worker: the part that does not vary with the machine's other load.
    const cpu0 = cpuNow(worker.pid!);
    const api = await apiRegistrations(`${address}/rounds/${config.roundId}/registrations`, n);
    await app.close();
    // The bare starts begin once the worker has done what the registrations started (their
    // first workflow tasks): otherwise the one measured second pays for the first's backlog.
    const drainMs = await drained(worker.pid!);
    const cpu1 = cpuNow(worker.pid!);
    const non2xx = api.non2xx;
    const apiSeconds = (new Date(api.finish).getTime() - new Date(api.start).getTime()) / 1000;
    const apiRate = (api.requests.total - non2xx) / apiSeconds;

    const { bare, bareMs } = await bareStarts(env.client, taskQueue, config, n);
    const bareDrainMs = await drained(worker.pid!);
    const cpu2 = cpuNow(worker.pid!);
    const bareRate = n / (bare.ms / 1000);
    bareMs.sort((a, b) => a - b);
    const pct = (q: number): number => round3(bareMs[Math.min(bareMs.length - 1, Math.floor(q * bareMs.length))] ?? 0);
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
      cpu_ms_per_registration: perRequest(cpu0, cpu1, n),
      bare_cpu_ms_per_start: perRequest(cpu1, cpu2, n),
      drain_after_api_ms: Math.round(drainMs),
      drain_after_bare_ms: Math.round(bareDrainMs),
      loadavg_before: load,
      loadavg_after: loadavg().map(round3),
      requests: api.requests.total,
      non2xx,
      connections: CONNECTIONS,
      met: apiRate >= 0.8 * bareRate && api.latency.p99 <= 2 * bareP99,
    });
    await stopWorker(worker);
  } finally {
    killWorkers();
    await env.teardown();
    await drop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
