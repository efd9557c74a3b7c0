import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, ROOT, temporalTools } from '../config';
import { dataConverter } from '../config/codec';
import { createDb, dropDatabase, ensureDatabase, type Db } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { formationIdAttr, roundIdAttr, stageAttr, type CandidateInput } from '../contracts';
import { DEFAULT_PASSING_GRADES } from '../domain';

export const quick = process.argv.includes('--quick');
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A throwaway database for one benchmark run. */
export async function benchDb(name: string): Promise<{ db: Db; url: string; drop: () => Promise<void> }> {
  const url = new URL(loadConfig().databaseUrl);
  url.pathname = `/asn_bench_${name}_${Date.now().toString(36)}`;
  await ensureDatabase(url.toString());
  const db = createDb(url.toString(), { max: 20 });
  await migrateToLatest(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.destroy();
      await dropDatabase(url.toString());
    },
  };
}

/** A real Temporal dev server (the CLI) for one benchmark run. */
export async function benchTemporal(opts: { metricsPort?: number } = {}): Promise<TestWorkflowEnvironment> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const metrics = opts.metricsPort ? ['--metrics-port', String(opts.metricsPort)] : [];
  return TestWorkflowEnvironment.createLocal({
    client: { dataConverter: dataConverter() },
    server: {
      executable: { type: 'existing-path', path: temporalTools().cli },
      ip: '127.0.0.1',
      searchAttributes: [roundIdAttr, formationIdAttr, stageAttr],
      extraArgs: ['--log-level', 'error', ...metrics],
    },
  });
}

/** The worker processes started: a run that fails stops them before the server goes (never left polling a dead one). */
const children: ChildProcess[] = [];
export function startWorker(script: string, env: Record<string, string>): Promise<ChildProcess> {
  // BENCH_WORKER_CPU_PROF=<dir>: each worker process writes a V8 CPU profile there when it stops.
  const prof = process.env.BENCH_WORKER_CPU_PROF
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_WORKER_CPU_PROF]
    : [];
  const p = spawn(process.execPath, [...prof, '--import', 'tsx', join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(p);
  return new Promise((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => d.toString().includes('WORKER_READY') && resolve(p));
    p.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}
export async function stopWorker(p: ChildProcess): Promise<void> {
  p.removeAllListeners('exit');
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
}

/** Kills every worker process still running (a run that failed). */
export function killWorkers(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  goal: string;
  [extra: string]: unknown;
}

/** Writes bench/results/<name>.json and prints it as the last line. */
export function report(r: BenchResult): void {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const line = JSON.stringify(r);
  writeFileSync(join(dir, `${r.name}.json`), `${line}\n`);
  console.log(line);
}

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export async function time<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await f();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** Median of `runs` timings (after one warm-up). */
export async function median(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push((await time(f)).ms);
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

/**
 * The input of a candidate workflow that waits on its signals for the whole run: every deadline at
 * `far` (the DRH's at `drhDeadline` when given), category umum, default passing grades.
 */
export function waitingCandidateInput(c: {
  registrationNo: string;
  roundId: string;
  formationId: string;
  far: string;
  requiredDocuments: CandidateInput['requiredDocuments'];
  sanggahStages: CandidateInput['sanggahStages'];
  drhDeadline?: string;
}): CandidateInput {
  return {
    registrationNo: c.registrationNo,
    roundId: c.roundId,
    formationId: c.formationId,
    category: 'umum',
    requiredDocuments: c.requiredDocuments,
    passingGrades: DEFAULT_PASSING_GRADES,
    sanggahStages: c.sanggahStages,
    schedule: {
      registrationCloses: c.far,
      verificationDeadline: c.far,
      announcementAt: c.far,
      sanggahDays: 3,
      jawabSanggahDays: 3,
      drhDeadline: c.drhDeadline ?? c.far,
    },
    reviewerSlaDays: 3,
    warnings: [],
  };
}
