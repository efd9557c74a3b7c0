/**
 * npm run sizing -- [--from bench/results/e2e.json, else docs/measurements/e2e-3000.json] [--also other-e2e.json, e.g. docs/measurements/e2e-1000.json] [--applicants 3963832]
 *   [--registration-days 21] [--peak 10] [--utilisation 0.6] [--host-cores 8]
 *   [--writes-per-shard 50] [--burst-hours 4]
 *
 * A national round sized from what bench:e2e measured per candidate (bench/costs.ts): CPU of the
 * worker, the Temporal server and the services, Temporal persistence writes, PostgreSQL bytes and
 * rows, history events and bytes. Every other number is an assumption named by a flag. Prints a
 * JSON line (docs/national-sizing.md explains it). With `--also`, the second run's per-candidate
 * figures are printed beside the first's: the model's slope (costs that grow with the size of the
 * round show as a ratio above 1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../config';

type Costs = Record<string, number>;
interface E2e {
  candidates: number;
  value: number;
  eventsPerCandidate: number;
  perCandidate: Costs;
  perCandidateByPhase: Record<string, Costs>;
}

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const num = (name: string, fallback: number): number => Number(flag(name) ?? fallback);
const load = (path: string): E2e => JSON.parse(readFileSync(path, 'utf8')) as E2e;
const nextPow2 = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, x)));
const r1 = (x: number): number => Math.round(x * 10) / 10;

function assumptions() {
  return {
    applicants: num('applicants', 3_963_832),
    registrationDays: num('registration-days', 21),
    peakFactor: num('peak', 10),
    utilisation: num('utilisation', 0.6),
    hostCores: num('host-cores', 8),
    writesPerShardPerS: num('writes-per-shard', 50),
    burstHours: num('burst-hours', 4),
  };
}

/** The last day of registration at `peakFactor` × the average rate: what it needs. */
function registrationPeak(m: E2e, a: ReturnType<typeof assumptions>) {
  const reg = m.perCandidateByPhase.registration!;
  const perS = (a.peakFactor * a.applicants) / (a.registrationDays * 86_400);
  const cores = (cpuMs: number): number => r1((perS * cpuMs) / 1000 / a.utilisation);
  const writesPerS = perS * reg.temporalPersistenceWrites!;
  const hosts = (c: number): number => Math.max(2, Math.ceil(c / a.hostCores)); // two at least: one may fail
  const temporalCores = cores(reg.temporalServerCpuMs!);
  return {
    registrationsPerS: r1(perS),
    workerCores: cores(reg.workerCpuMs!),
    apiCores: cores(reg.servicesCpuMs!),
    temporalServerCores: temporalCores,
    temporalPersistenceWritesPerS: Math.round(writesPerS),
    postgresRowsPerS: Math.round(perS * reg.postgresRows!),
    hosts: {
      worker: hosts(cores(reg.workerCpuMs!)),
      api: hosts(cores(reg.servicesCpuMs!)),
      // The dev server runs every Temporal service in one process; split here 60/20/20.
      temporalHistory: hosts(temporalCores * 0.6),
      temporalMatching: hosts(temporalCores * 0.2),
      temporalFrontend: hosts(temporalCores * 0.2),
    },
  };
}

/** The whole round: what it stores and what it spends. */
function wholeRound(m: E2e, a: ReturnType<typeof assumptions>) {
  const c = m.perCandidate;
  const gb = (bytes: number): number => r1(bytes / 1e9);
  const cpuHours = (ms: number): number => Math.round((a.applicants * ms) / 3_600_000);
  return {
    historyEvents: Math.round(a.applicants * m.eventsPerCandidate),
    historyGb: gb(a.applicants * c.historyBytes!),
    temporalPersistenceWrites: Math.round(a.applicants * c.temporalPersistenceWrites!),
    postgresGb: gb(a.applicants * c.postgresBytes!),
    postgresRows: Math.round(a.applicants * c.postgresRows!),
    cpuHours: {
      worker: cpuHours(c.workerCpuMs!),
      temporalServer: cpuHours(c.temporalServerCpuMs!),
      services: cpuHours(c.servicesCpuMs!),
    },
  };
}

/**
 * The other phases come in bursts (a national result is announced to everyone at once): the cores
 * and persistence writes each needs to pass every applicant within `burstHours`.
 */
function bursts(m: E2e, a: ReturnType<typeof assumptions>) {
  const out: Record<string, { workerCores: number; temporalServerCores: number; persistenceWritesPerS: number }> = {};
  const seconds = a.burstHours * 3600;
  for (const [phase, c] of Object.entries(m.perCandidateByPhase)) {
    if (phase === 'registration') continue;
    const cores = (cpuMs: number): number => r1((a.applicants * cpuMs) / 1000 / seconds / a.utilisation);
    out[phase] = {
      workerCores: cores(c.workerCpuMs!),
      temporalServerCores: cores(c.temporalServerCpuMs!),
      persistenceWritesPerS: Math.round((a.applicants * c.temporalPersistenceWrites!) / seconds),
    };
  }
  return out;
}

/** Each cost of `b` over `a`'s (keys both have). */
function ratios(a: Costs | undefined, b: Costs | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b ?? {}))
    if (typeof v === 'number' && a?.[k]) out[k] = Math.round((v / a[k]) * 100) / 100;
  return out;
}

/**
 * The smaller run's costs over the larger's: whole (when both ran the same phases) and phase by
 * phase (a run `--through skd` has the first three phases only).
 */
function slope(a: E2e, b: E2e) {
  const phases = Object.keys(a.perCandidateByPhase).filter((p) => p in b.perCandidateByPhase);
  const samePhases =
    phases.length === Object.keys(a.perCandidateByPhase).length &&
    phases.length === Object.keys(b.perCandidateByPhase).length;
  return {
    ...(samePhases ? { ratio: ratios(a.perCandidate, b.perCandidate) } : {}),
    byPhase: Object.fromEntries(phases.map((p) => [p, ratios(a.perCandidateByPhase[p], b.perCandidateByPhase[p])])),
  };
}

function main(): void {
  // The last bench:e2e run of this checkout, else the run docs/national-sizing.md was made from.
  const latest = join(ROOT, 'bench', 'results', 'e2e.json');
  const measured = load(
    flag('from') ?? (existsSync(latest) ? latest : join(ROOT, 'docs', 'measurements', 'e2e-3000.json')),
  );
  const also = flag('also');
  const a = assumptions();
  const peak = registrationPeak(measured, a);
  const burst = bursts(measured, a);
  const out = {
    measuredAt: { candidates: measured.candidates, candidatesPerS: measured.value },
    perCandidate: measured.perCandidate,
    registrationPerCandidate: measured.perCandidateByPhase.registration,
    assumptions: a,
    wholeRound: wholeRound(measured, a),
    registrationPeak: peak,
    bursts: burst,
    // Shards: fixed when the cluster is created, so sized for the busiest moment, at least 512.
    historyShards: Math.max(
      512,
      nextPow2(
        Math.max(peak.temporalPersistenceWritesPerS, ...Object.values(burst).map((b) => b.persistenceWritesPerS)) /
          a.writesPerShardPerS,
      ),
    ),
    ...(also ? { slope: { against: load(also).candidates, ...slope(measured, load(also)) } } : {}),
  };
  console.log(JSON.stringify(out));
}

main();
