/**
 * bench:register — registrations per second through the API (autocannon, real dev server, real
 * PostgreSQL, the worker running in its own process as deployed) beside a bare script calling
 * `client.workflow.start` with the same workflow input and search attributes at the same
 * concurrency, same run. The two run in turn, in slices (A B B A, A B B A: `--slices` of each),
 * and each slice starts once the worker has done what the slice before it started (its CPU
 * quiet): the time that took is reported (`drain_after_*_ms`), not counted in either rate.
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
import { cpuMsOf, postgresCpuMs, serverPid } from './costs';
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

/** A part's registrations (or starts): how many, how long, each one's latency. */
interface Timed {
  count: number;
  /** From the part's first request to its last answer. */
  ms: number;
  latencies: number[];
}

/** The baseline: the same workflow starts as the API's, no HTTP, no PostgreSQL, same concurrency. */
async function bareStarts(
  client: Client,
  taskQueue: string,
  config: RoundConfig,
  from: number,
  n: number,
): Promise<Timed> {
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
  const latencies: number[] = [];
  let next = from;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < from + n) {
        const i = next++;
        const t = performance.now();
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
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { count: n, ms: performance.now() - t0, latencies };
}

/**
 * n registration forms POSTed by autocannon, CONNECTIONS at a time, each with its own NIK. Timed
 * from the first request to the last answer, as the bare starts are: autocannon's own `finish`
 * comes at its next one-second sampling tick, up to a second after the last answer.
 */
async function apiRegistrations(url: string, from: number, n: number): Promise<Timed & { non2xx: number }> {
  let seq = from;
  const latencies: number[] = [];
  let last = 0;
  const t0 = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url,
        method: 'POST',
        connections: CONNECTIONS,
        amount: n,
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (r) => ({ ...r, body: registrationBody((seq += 1)) }) }],
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    run.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      last = performance.now();
    });
  });
  return { count: n, ms: last - t0, latencies, non2xx: result.non2xx };
}

interface CpuNow {
  self: number;
  postgres: number;
  worker: number;
  temporal: number;
}
const cpuNow = (workerPid: number, serverPid: number | undefined): CpuNow => ({
  self: cpuMsOf(process.pid),
  postgres: postgresCpuMs(),
  worker: cpuMsOf(workerPid),
  temporal: serverPid ? cpuMsOf(serverPid) : 0,
});
const addCpu = (into: CpuNow, a: CpuNow, b: CpuNow): void => {
  for (const k of Object.keys(into) as (keyof CpuNow)[]) into[k] += b[k] - a[k];
};
const perRequest = (c: CpuNow, n: number): CpuNow => ({
  self: round3(c.self / n),
  postgres: round3(c.postgres / n),
  worker: round3(c.worker / n),
  temporal: round3(c.temporal / n),
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

const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return round3(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0);
};

/**
 * The order of the parts: API and bare in turn, ABBA (A B B A, A B B A, …), so that a machine
 * whose speed drifts steadily during the run slows both alike (the two halves of the earlier
 * layout, API first and bare after, moved the ratio between 0.74 and 0.83 in two runs minutes apart).
 */
function abba(slices: number): ('api' | 'bare')[] {
  return Array.from({ length: 2 * slices }, (_, i) => (i % 4 === 0 || i % 4 === 3 ? 'api' : 'bare'));
}

/**
 * The API's registrations and the bare starts in turn (`abba`), each slice timed and its CPU
 * metered from its start until the worker has done its first workflow tasks (the slice after it
 * starts only then: it never pays for this one's backlog).
 */
async function inTurn(
  n: number,
  slices: number,
  workerPid: number,
  server: number | undefined,
  drive: {
    api: (from: number, size: number) => Promise<Timed & { non2xx: number }>;
    bare: (from: number, size: number) => Promise<Timed>;
  },
) {
  const per = Math.ceil(n / slices);
  const part = (): Timed => ({ count: 0, ms: 0, latencies: [] });
  const parts = { api: part(), bare: part() };
  const zero = (): CpuNow => ({ self: 0, postgres: 0, worker: 0, temporal: 0 });
  const cpu = { api: zero(), bare: zero() };
  const drains = { api: 0, bare: 0 };
  const done = { api: 0, bare: 0 };
  let non2xx = 0;
  for (const kind of abba(slices)) {
    const size = Math.min(per, n - done[kind]);
    // CPU: this process (the API, and autocannon driving it), PostgreSQL, the worker, the server.
    const c0 = cpuNow(workerPid, server);
    let t: Timed;
    if (kind === 'api') {
      const r = await drive.api(done.api, size);
      non2xx += r.non2xx;
      t = r;
    } else t = await drive.bare(done.bare, size);
    drains[kind] += await drained(workerPid);
    addCpu(cpu[kind], c0, cpuNow(workerPid, server));
    parts[kind].count += t.count;
    parts[kind].ms += t.ms;
    parts[kind].latencies.push(...t.latencies);
    done[kind] += size;
    console.error(`[register] ${kind} ${size}: ${round3(size / (t.ms / 1000))}/s`);
  }
  return { parts, cpu, drains, non2xx };
}

async function main(): Promise<void> {
  // One key set for the bench's client and the worker process (set before any client exists).
  const keys = JSON.stringify({ active: 'bench', keys: { bench: generateKey() } });
  process.env.ASN_CODEC_KEYS = keys;
  const n = arg('registrations', quick ? 500 : 3000);
  const slices = arg('slices', quick ? 2 : 4);
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
    const server = serverPid(Number(String(env.connection.options.address).split(':').pop()));
    const config = withDefaults(sampleRound('bench-register', {}, Date.now() - 32 * 86_400_000));
    await createRoundActivities({ db }).recordRound({ config, createdBy: 'bench', at: new Date().toISOString() });
    await db.updateTable('rounds').set({ phase: 'registration' }).where('round_id', '=', config.roundId).execute();
    const app = await buildApp({
      deps: { db, client: env.client, connection: env.connection, taskQueue },
      rateLimit: { max: 1e9, timeWindow: 60_000 },
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const registrations = `${address}/rounds/${config.roundId}/registrations`;

    const load = loadavg().map(round3);
    const { parts, cpu, drains, non2xx } = await inTurn(n, slices, worker.pid!, server, {
      api: (from, size) => apiRegistrations(registrations, from, size),
      bare: (from, size) => bareStarts(env.client, taskQueue, config, from, size),
    });
    await app.close();
    const apiRate = (parts.api.count - non2xx) / (parts.api.ms / 1000);
    const bareRate = parts.bare.count / (parts.bare.ms / 1000);
    const p99 = percentile(parts.api.latencies, 0.99);
    const bareP99 = percentile(parts.bare.latencies, 0.99);
    report({
      name: 'register',
      value: round3(apiRate),
      unit: 'registrations/s',
      baseline: round3(bareRate),
      ratio: round3(apiRate / bareRate),
      goal: '≥ 0.8 × bare client.workflow.start, p99 ≤ 2 × bare p99 (same concurrency)',
      p50_ms: percentile(parts.api.latencies, 0.5),
      p99_ms: p99,
      bare_p50_ms: percentile(parts.bare.latencies, 0.5),
      bare_p99_ms: bareP99,
      p99_ratio: round3(p99 / bareP99),
      cpu_ms_per_registration: perRequest(cpu.api, parts.api.count),
      bare_cpu_ms_per_start: perRequest(cpu.bare, parts.bare.count),
      drain_after_api_ms: Math.round(drains.api),
      drain_after_bare_ms: Math.round(drains.bare),
      order: abba(slices).join(' '),
      loadavg_before: load,
      loadavg_after: loadavg().map(round3),
      requests: parts.api.count,
      non2xx,
      connections: CONNECTIONS,
      met: apiRate >= 0.8 * bareRate && p99 <= 2 * bareP99,
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
