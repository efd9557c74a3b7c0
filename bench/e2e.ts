/**
 * bench:e2e — N candidates through the whole successful path (registration with a document,
 * verification, SKD import and fan-out, SKB cut, SKB import, final ranking, DRH, NIP and the
 * start of the career), driven through the services the API calls, on a real dev server, a real
 * PostgreSQL and the worker in its own process. Beside it, in the same run on the same server,
 * a skeleton workflow of the same shape (same updates, signals, local activities, timer and
 * search-attribute upserts; no-op bodies) driven the same way.
 *
 * Reported: candidates per second over the active phases (waits for scheduled instants are not
 * counted, in either), history events per candidate, the worker's peak RSS.
 * Goals: ≥ 0.8 × the skeleton's throughput, ≤ 60 events per candidate and no more than the
 * skeleton's (issue 16), ≤ 500 MB worker RSS.
 *
 * The outbox's e-mails are written (their rows count) but not sent (SMTP_URL=none): with no sink
 * listening, the dispatcher retried every one, and the run measured failed connections.
 *
 * The round is a simulation whose phases are advanced once their work is done (issue 20): no
 * stage races a timer, whatever the machine's speed.
 *
 * The two run phase by phase in turn (real registration, skeleton registration, real
 * verification, …), both workers up throughout, so that the machine's drift during a run (the
 * skeleton alone ran 9.26 and 11.56 candidates/s in two runs of 2,000 made back to back) falls on
 * both alike. Each real phase ends once the round's fan-outs are sent; the real path's costs are
 * metered over its own phases only.
 *
 * The skeleton gets the round's messages the real candidates got (read from a real history: the
 * advances' schedule changes, the announcements), one after the other, at the same places, and
 * both drivers wait for the registration to be taken before uploading (as the portal shows it),
 * so that the two histories differ only where the workflows do. `--dump-history` prints the
 * longest sampled real history and the first skeleton's, event by event, to stderr.
 *
 *   npm run bench:e2e -- [--candidates 10000] [--concurrency 16] [--cache default] [--dump-history]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { ROOT } from '../config';
import { generateKey } from '../config/codec';
import { advancePhase, createRound } from '../api/services/rounds';
import { register } from '../api/services/registrations';
import { storeDocument, submitDocuments } from '../api/services/documents';
import { decideTask, submitDrh } from '../api/services/reviews';
import { importResults, requestRanking } from '../api/services/imports';
import type { ServiceDeps } from '../api/services/deps';
import { createUser, findUserByToken } from '../db/users';
import type { Db } from '../db/connection';
import { pool } from '../demo/http';
import { layoutSchedule } from '../demo/driver';
import { sampleDrh, wib } from '../demo/synthetic';
import { withDefaults } from '../domain';
import { bundleWorkflows, quietBundlerLogger } from '../worker/worker';
import {
  candidateStatusQuery,
  candidateWorkflowId,
  roundStateQuery,
  roundWorkflowId,
  type RoundPhase,
} from '../contracts';
import { skRoundMessages } from './skeleton-workflow';
import {
  type CandidateCosts,
  freePort,
  historyBytes,
  type Metered,
  perCandidate,
  PhaseMeter,
  serverPid,
  snapshot,
} from './costs';
import { arg, benchDb, benchTemporal, killWorkers, quick, report, round3, startWorker, stopWorker } from './lib';

const N = arg('candidates', quick ? 300 : 10_000);
const CONC = arg('concurrency', 16);
/**
 * `--through skd`: the real path alone, from registration through the SKD fan-out and SKB cut,
 * registration in chunks of `--chunk` (10,000): the check of the sizing model's slope at the
 * largest round this machine holds (docs/national-sizing.md). No skeleton: it reports how the
 * rate and what a candidate costs change as the round fills, first chunk against the last.
 */
const THROUGH = process.argv.includes('--through') ? process.argv[process.argv.indexOf('--through') + 1] : undefined;
if (THROUGH !== undefined && THROUGH !== 'skd') throw new Error(`--through takes skd, not ${THROUGH}`);
const CHUNK = arg('chunk', 10_000);
/**
 * `--workers K`: the real path runs K worker processes (each caching `--cache` workflows), as a
 * round larger than one worker should cache is deployed: its candidates spread over the workers.
 */
const WORKERS = arg('workers', 1);
const FORMATIONS = 4;
/** One line per event (type and what it names), to stderr: where a history's events come from. */
async function dumpHistory(client: Client, workflowId: string): Promise<void> {
  for (const e of (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []) {
    const what =
      e.workflowExecutionSignaledEventAttributes?.signalName ??
      e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ??
      e.activityTaskScheduledEventAttributes?.activityType?.name ??
      '';
    console.error(`event ${String(e.eventId)} ${String(e.eventType)} ${what}`);
  }
}

/**
 * Per history, on average: the workflow tasks that timed out or failed. A sticky task that
 * waits longer than the worker's sticky schedule-to-start timeout is timed out by the server
 * and scheduled again on the normal queue: the two extra events, and the server's writes for
 * them, grow with the backlog of a fan-out.
 */
async function taskCensus(client: Client, ids: string[]): Promise<{ timedOut: number; failed: number }> {
  let timedOut = 0;
  let failed = 0;
  await pool(ids, 8, async (id) => {
    for (const e of (await client.workflow.getHandle(id).fetchHistory()).events ?? []) {
      if (e.workflowTaskTimedOutEventAttributes) timedOut++;
      if (e.workflowTaskFailedEventAttributes) failed++;
    }
  });
  return { timedOut: round3(timedOut / ids.length), failed: round3(failed / ids.length) };
}

/**
 * The round's messages (announcements, schedule changes) a workflow's history holds, by where
 * they came: before the verification decision, between it and the SKD result, after the final
 * result. The skeleton gets the same ones at the same places.
 */
type RoundMessages = { registration: string[]; beforeSkd: string[]; afterFinal: string[] };
async function roundMessagesOf(client: Client, workflowId: string): Promise<RoundMessages> {
  const out: RoundMessages = { registration: [], beforeSkd: [], afterFinal: [] };
  let segment: keyof RoundMessages | null = 'registration';
  for (const e of (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []) {
    const name =
      e.workflowExecutionSignaledEventAttributes?.signalName ??
      e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    if (name === 'verifyDocuments') segment = 'beforeSkd';
    else if (name === 'skdResult') segment = null;
    else if (name === 'finalResult') segment = 'afterFinal';
    else if (segment && (name === 'roundAnnounced' || name === 'scheduleChanged')) out[segment].push(name);
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF bench'),
  Buffer.alloc(1024, 7),
]);

/** Peak resident memory of child processes (summed), sampled from /proc every 250 ms. */
function rssSampler(pids: number[]): { stop: () => number } {
  let peak = 0;
  const rssOf = (pid: number): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0; // gone
    }
  };
  const t = setInterval(
    () =>
      (peak = Math.max(
        peak,
        pids.reduce((sum, pid) => sum + rssOf(pid), 0),
      )),
    250,
  );
  return { stop: () => (clearInterval(t), peak) };
}

/**
 * Both workers keep every workflow of the run in their cache (a candidate and, at the end, its
 * career), with the heap for it: with the SDK's default (about 2,300 with Node's default heap)
 * each fan-out over more candidates than that replays nearly every one from its history, and
 * the run measures cache misses, not the workflows. `--cache default` keeps the SDK's default;
 * `--cache <n>` caches n workflows per worker: a worker's cost per activation grows with the
 * workflows it caches (docs/national-sizing.md, "The worker's cache"), so a round larger than
 * one worker should cache is run the way it would be deployed, the evicted replayed when next needed.
 */
function workerCache(): Record<string, string> {
  const asked = process.argv.includes('--cache') ? process.argv[process.argv.indexOf('--cache') + 1] : undefined;
  if (asked === 'default') return {};
  const entries = asked !== undefined ? Number(asked) : 2 * N + 100;
  if (!Number.isInteger(entries) || entries < 1) throw new Error(`--cache takes default or a number, not ${asked}`);
  const heapMb = Math.max(4096, 512 + entries); // about 1 MB per cached workflow, measured by the RSS at 1,000
  const sticky: Record<string, string> = process.argv.includes('--sticky')
    ? { WORKER_STICKY_TIMEOUT_S: String(arg('sticky', 10)) }
    : {};
  return {
    WORKER_MAX_CACHED_WORKFLOWS: String(entries),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${heapMb}`.trim(),
    ...sticky,
  };
}

async function until(
  what: string,
  f: () => Promise<boolean>,
  timeoutMs = Math.max(30 * 60_000, N * 200),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done in ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

interface Phases {
  [phase: string]: number;
}
const sum = (p: Phases): number => Object.values(p).reduce((s, x) => s + x, 0);

/** Runs one phase, its duration into `into` and to stderr. */
async function timed(name: string, f: () => Promise<void>, into: Phases): Promise<void> {
  const t = performance.now();
  await f();
  into[name] = performance.now() - t;
  console.error(`[e2e] ${name}: ${(into[name] / 1000).toFixed(1)} s`);
}

type Env = Awaited<ReturnType<typeof benchTemporal>>;
type Reviewer = NonNullable<Awaited<ReturnType<typeof findUserByToken>>>;
/** What the real drive shares between its phases. */
interface RealRun {
  deps: ServiceDeps;
  db: Db;
  env: Env;
  roundId: string;
  reviewers: Reviewer[];
  nos: string[];
  births: Map<string, { i: number; birth: string }>;
  meter: PhaseMeter;
  metered: Metered;
  /** `--through skd`: each chunk of registrations, its time and its cost per candidate. */
  chunks: RegistrationChunk[];
}

interface RegistrationChunk {
  candidates: string;
  s: number;
  perS: number;
  perCandidate: CandidateCosts;
}

/** Both workflows' bundles, written to `work` for the worker processes. */
async function writeBundles(work: string): Promise<{ bundle: string; skeletonBundle: string }> {
  const bundle = join(work, 'workflow-bundle.js');
  writeFileSync(bundle, await bundleWorkflows());
  const skeletonBundle = join(work, 'skeleton-bundle.js');
  writeFileSync(
    skeletonBundle,
    (
      await bundleWorkflowCode({
        workflowsPath: join(ROOT, 'bench', 'skeleton-workflow.ts'),
        logger: quietBundlerLogger,
      })
    ).code,
  );
  return { bundle, skeletonBundle };
}

/** The round (a simulation, one day a second), its four reviewers, recorded. */
async function createBenchRound(deps: ServiceDeps, db: Db): Promise<{ roundId: string; reviewers: Reviewer[] }> {
  const roundId = `bench-e2e-${Date.now().toString(36)}`;
  const reviewers = await Promise.all(
    [1, 2, 3, 4].map(
      async (i) =>
        (await findUserByToken(
          db,
          (await createUser(db, { username: `${roundId}.v${i}`, displayName: `v${i}`, role: 'reviewer' })).token,
        ))!,
    ),
  );
  const dayMs = 1_000;
  const spec = layoutSchedule(Date.now());
  // Weeks per phase: each is advanced once its work is done.
  const config = withDefaults({
    roundId,
    name: 'Bench e2e',
    agency: 'BKPSDM Kota Medan',
    budgetYear: 2027,
    referenceDate: '2027-08-01',
    sanggahStages: [],
    requiredDocuments: ['ktp'],
    schedule: Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, wib(v)])) as never,
    formations: Array.from({ length: FORMATIONS }, (_, f) => ({
      formationId: `F${f}`,
      unit: `Unit ${f}`,
      jabatan: 'Pranata Komputer Ahli Pertama',
      educationLevel: 'S1' as const,
      educationPrograms: ['Teknik Informatika'],
      quota: Math.ceil(N / FORMATIONS),
      category: 'umum' as const,
      skbMax: 500,
    })),
    simulation: { dayMs },
  });
  await createRound(deps, config, 'bench');
  await until(
    'round recorded',
    async () => !!(await db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).executeTakeFirst()),
  );
  await db
    .insertInto('round_reviewers')
    .values(reviewers.map((r) => ({ round_id: roundId, username: r.username })))
    .execute();
  return { roundId, reviewers };
}

/** Advances the round from `from`, once more while it is between two steps. */
async function advance(run: RealRun, from: RoundPhase): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await advancePhase(run.deps, run.roundId, { from, reason: 'bench: pekerjaan tahap ini selesai' }, 'bench');
      return;
    } catch (err) {
      // The round between two steps (just recorded): once more.
      if (tries > 40 || (err as { cause?: { type?: string } }).cause?.type !== 'WRONG_PHASE') throw err;
      await sleep(250);
    }
  }
}

async function count(
  db: Db,
  table: 'skd_scores' | 'skb_results' | 'final_results' | 'appointments' | 'careers',
  extra?: 'scored' | 'nip',
): Promise<number> {
  let q = db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));
  if (extra === 'nip') q = q.where('nip' as never, 'is not', null);
  if (extra === 'scored') q = q.where('score' as never, 'is not', null);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Registrations `from` to `to` (all N), each seen taken (as on the portal) before its document is stored and submitted. */
async function registerAll(run: RealRun, from = 0, to = N): Promise<void> {
  const { deps, env, nos, births } = run;
  await pool(
    Array.from({ length: to - from }, (_, i) => from + i),
    CONC,
    async (i) => {
      const birth = `${1996 + (i % 10)}-0${1 + (i % 9)}-1${i % 10}`;
      const [y, m, d] = birth.split('-');
      const nik = `1271${String(1 + (Math.floor(i / 9999) % 21)).padStart(2, '0')}${d}${m}${y!.slice(2)}${String((i % 9999) + 1).padStart(4, '0')}`;
      const r = await register(deps, run.roundId, {
        nik,
        fullName: `Pelamar ${i}`,
        birthDate: birth,
        sex: 'L',
        email: `p${i}@contoh.id`,
        formationId: `F${i % FORMATIONS}`,
        category: 'umum',
        education: { level: 'S1', program: 'Teknik Informatika', ipk: 300 + (i % 100) },
      });
      nos[i] = r.registrationNo;
      births.set(r.registrationNo, { i, birth });
      // As on the portal: the candidate sees the registration taken (its status) before uploading.
      await env.client.workflow.getHandle(candidateWorkflowId(r.registrationNo)).query(candidateStatusQuery);
      const doc = await storeDocument(deps, r.registrationNo, 'ktp', Buffer.concat([JPEG, Buffer.from(String(i))]));
      await submitDocuments(deps, r.registrationNo, [doc.documentId]);
    },
  );
}

/** `--through skd`: registration in chunks of CHUNK, each timed and metered on its own. */
async function registerInChunks(run: RealRun): Promise<void> {
  for (let from = 0; from < N; from += CHUNK) {
    const to = Math.min(N, from + CHUNK);
    const before = await snapshot(run.metered);
    const t = performance.now();
    await registerAll(run, from, to);
    const s = (performance.now() - t) / 1000;
    const costs = perCandidate(before, await snapshot(run.metered), to - from);
    run.chunks.push({
      candidates: `${from + 1}-${to}`,
      s: round3(s),
      perS: round3((to - from) / s),
      perCandidate: costs,
    });
    console.error(`[e2e] registration ${from + 1}-${to}: ${s.toFixed(1)} s, ${JSON.stringify(costs)}`);
  }
}

/** Every open verification task decided MS by its reviewer. */
async function verifyAll(run: RealRun): Promise<void> {
  const tasks = await run.db
    .selectFrom('tasks')
    .select(['task_id', 'reviewer'])
    .where('round_id', '=', run.roundId)
    .where('status', '=', 'open')
    .execute();
  const byName = new Map(run.reviewers.map((r) => [r.username, r]));
  await pool(
    tasks,
    CONC,
    async (t) =>
      void (await decideTask(run.deps, byName.get(t.reviewer)!, t.task_id, {
        decisions: [{ kind: 'ktp', result: 'MS' }],
      })),
  );
}

async function skdAndSkbCut(run: RealRun): Promise<void> {
  await importResults(
    run.deps,
    run.roundId,
    'skd',
    [
      'registration_no,twk,tiu,tkp',
      ...run.nos.map((no, i) => `${no},${100 + (i % 10) * 5},${120 + (i % 7) * 5},${180 + (i % 40)}`),
    ].join('\n'),
    'bench',
  );
  await until('SKD recorded', async () => (await count(run.db, 'skd_scores')) >= N);
  await requestRanking(run.deps, run.roundId, 'skb_selection', 'bench');
  await until('SKB selection recorded', async () => (await count(run.db, 'skb_results')) >= N);
}

async function skbAndFinal(run: RealRun): Promise<void> {
  await importResults(
    run.deps,
    run.roundId,
    'skb',
    ['registration_no,skb,interview', ...run.nos.map((no, i) => `${no},${300 + (i % 150)},`)].join('\n'),
    'bench',
  );
  await until('SKB recorded', async () => (await count(run.db, 'skb_results', 'scored')) >= N);
  await requestRanking(run.deps, run.roundId, 'final', 'bench');
  await until('final recorded', async () => (await count(run.db, 'final_results')) >= N);
}

/** Each candidate's DRH submitted (once the final result lets it), then every NIP. */
async function drhAll(run: RealRun): Promise<void> {
  const { births } = run;
  await pool(run.nos, CONC, async (no) => {
    for (;;) {
      try {
        await submitDrh(
          run.deps,
          no,
          sampleDrh({
            index: births.get(no)!.i,
            fullName: `Pelamar ${births.get(no)!.i}`,
            birthDate: births.get(no)!.birth,
            sex: 'L',
            educationLevel: 'S1',
            program: 'Teknik Informatika',
          }),
        );
        return;
      } catch (err) {
        if (!/DRH tidak sedang dibuka|WRONG_STAGE/.test((err as Error).message)) throw err;
        await sleep(200); // the final result is still being recorded
      }
    }
  });
  await until('appointed', async () => (await count(run.db, 'appointments', 'nip')) >= N);
  // The phase ends with every career opened by its workflow (the skeleton's as well).
  await until('careers opened', async () => (await count(run.db, 'careers')) >= N);
}

/**
 * What runs after a phase's timed work, before the next one: the fan-outs the advances started
 * are sent (every round job finished), so none of them runs on into the skeleton's phase that
 * follows (the skeleton's driver likewise sends its round messages outside its timed phases).
 */
async function roundJobsSent(run: RealRun): Promise<void> {
  const handle = run.env.client.workflow.getHandle(roundWorkflowId(run.roundId));
  await until('round jobs sent', async () =>
    (await handle.query(roundStateQuery)).jobs.every((j) => j.finishedAt !== null),
  );
}

/** A drive's phases, one step each: its timed work and what the round does before the next. */
type Step = () => Promise<void>;

/** The real round driven phase by phase, each advanced once its work is done. */
function realSteps(run: RealRun, real: Phases): Step[] {
  const { db, roundId } = run;
  const phase = async (name: string, f: () => Promise<void>): Promise<void> => {
    await run.meter.mark(name);
    await timed(name, f, real);
  };
  const tasks = async (): Promise<number> =>
    Number(
      (
        await db
          .selectFrom('tasks')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('round_id', '=', roundId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return [
    async () => {
      for (const from of ['draft', 'consultation', 'criteria_adoption'] as const) await advance(run, from);
      await sleep(1_200); // the registration service reads the phase through a 1 s cache
      await phase('registration', () => (THROUGH ? registerInChunks(run) : registerAll(run)));
      await advance(run, 'registration');
      await until('tasks assigned', async () => (await tasks()) >= N);
    },
    async () => {
      await phase('verification', () => verifyAll(run));
      await advance(run, 'administrative_check');
      await advance(run, 'announcement');
    },
    async () => {
      await phase('SKD fan-out and SKB cut', () => skdAndSkbCut(run));
      await advance(run, 'skd');
    },
    () => phase('SKB fan-out and final ranking', () => skbAndFinal(run)),
    () => phase('DRH, NIP and career start', () => drhAll(run)),
  ].map((step) => async () => {
    await step();
    await roundJobsSent(run);
    await run.meter.pause(); // the skeleton's phase comes next, on the same server
  });
}

interface RealResult {
  roundId: string;
  real: Phases;
  realEvents: number;
  realRoundMessages: RoundMessages;
  realRss: number;
  costs: CandidateCosts & { historyBytes: number };
  phaseCosts: Record<string, CandidateCosts>;
  tasks: { timedOut: number; failed: number };
}

/** The real path's worker (in its own process), round and meter. */
async function startReal(
  db: Db,
  env: Env,
  common: Record<string, string>,
  bundle: string,
  metricsPort: number,
): Promise<{ run: RealRun; workers: ChildProcess[]; rss: { stop: () => number }; real: Phases }> {
  const taskQueue = 'bench-e2e';
  const deps: ServiceDeps = { db, client: env.client, connection: env.connection, taskQueue };
  const workers: ChildProcess[] = [];
  for (let k = 0; k < WORKERS; k++)
    workers.push(
      await startWorker('worker/main.ts', { ...common, TASK_QUEUE: taskQueue, ASN_WORKFLOW_BUNDLE: bundle }),
    );
  const pids = workers.map((w) => w.pid!);
  const rss = rssSampler(pids);
  const { roundId, reviewers } = await createBenchRound(deps, db);
  const server = serverPid(Number(String(env.connection.options.address).split(':').pop()));
  const metered: Metered = { db, workerPids: pids, serverPid: server, metricsPort };
  const meter = new PhaseMeter(metered, N);
  const nos: string[] = new Array<string>(N);
  const run: RealRun = { deps, db, env, roundId, reviewers, nos, births: new Map(), meter, metered, chunks: [] };
  return { run, workers, rss, real: {} };
}

/** After the drive: the real path's costs, its sampled histories' events, its worker stopped. */
async function finishReal(r: Awaited<ReturnType<typeof startReal>>): Promise<RealResult> {
  const { run, workers, rss, real } = r;
  const { env, nos, meter } = run;
  const whole = await meter.end();
  const sample = nos.filter((_, i) => i % Math.max(1, Math.floor(N / 300)) === 0);
  const lengths = await pool(sample, 8, async (no) =>
    Number((await env.client.workflow.getHandle(candidateWorkflowId(no)).describe()).historyLength),
  );
  const realEvents = lengths.reduce((s, x) => s + x, 0) / lengths.length;
  // The round's messages a real candidate received (the skeleton got the same, read as it went).
  const realRoundMessages = await roundMessagesOf(env.client, candidateWorkflowId(nos[0]!));
  if (process.argv.includes('--dump-history')) {
    const longest = sample[lengths.indexOf(Math.max(...lengths))]!;
    console.error(`event lengths ${lengths.join(' ')}`);
    await dumpHistory(env.client, candidateWorkflowId(longest));
  }
  const realRss = rss.stop();
  for (const w of workers) await stopWorker(w);
  const historyBytesPer = await historyBytes(env.client, sample.slice(0, 30).map(candidateWorkflowId));
  const costs = { ...whole, historyBytes: Math.round(historyBytesPer) };
  const tasks = await taskCensus(env.client, sample.map(candidateWorkflowId));
  return { roundId: run.roundId, real, realEvents, realRoundMessages, realRss, costs, phaseCosts: meter.phases, tasks };
}

/** The skeletons' driving: their handles, the round's signals to all, and waiting on the worker's counts. */
class SkeletonDriver {
  counts: Record<string, number> = {};
  said = 0;
  constructor(
    readonly env: Env,
    readonly ids: string[],
  ) {}
  h(id: string): ReturnType<Env['client']['workflow']['getHandle']> {
    return this.env.client.workflow.getHandle(id);
  }
  done(what: string): Promise<void> {
    return until(`skeleton ${what}`, async () => (this.counts[what] ?? 0) >= N);
  }
  async signalAll(name: string, arg: unknown = { phaseKey: name }): Promise<void> {
    // The round signals in pages of 500, 50 at a time; the same here.
    for (let k = 0; k < this.ids.length; k += 50)
      await Promise.all(this.ids.slice(k, k + 50).map((id) => this.h(id).signal(name, arg)));
  }
  /**
   * The round's messages one after the other, each taken by every skeleton before the next (as
   * the real round's are: the driver advances once the previous phase's work is done).
   */
  async roundSays(names: string[]): Promise<void> {
    for (const name of names) {
      await this.signalAll(name, {
        phaseKey: `${name}-${this.said}`,
        key: 'registrationCloses',
        to: new Date().toISOString(),
      });
      this.said += 1;
      await pool(this.ids, CONC, async (id) => {
        while ((await this.h(id).query<number>('roundMessages')) < this.said) await sleep(50);
      });
    }
  }
}

/** The skeletons started and registered as the real candidates were: status seen, document stored, submitted. */
async function skeletonRegistration(sk: SkeletonDriver, db: Db, skQueue: string, closesAtMs: number): Promise<void> {
  await pool(sk.ids, CONC, async (id) => {
    const handle = await sk.env.client.workflow.start('skeletonCandidate', {
      taskQueue: skQueue,
      workflowId: id,
      args: [{ closesAtMs, verificationDueMs: closesAtMs + 30 * 86_400_000, drhDueMs: closesAtMs + 60 * 86_400_000 }],
    });
    // As the real candidate: the registration seen taken, then the document stored (the same
    // hash and PostgreSQL write), then submitted.
    await handle.query(skRoundMessages);
    const content = Buffer.concat([JPEG, Buffer.from(id)]);
    const sha256 = createHash('sha256').update(content).digest('hex');
    await sql`insert into bench_skeleton_documents (sha256, content) values (${sha256}, ${content})`.execute(db);
    await handle.executeUpdate('submitDocuments', { args: [{ documents: [{ kind: 'ktp', sha256 }] }] });
  });
}

/**
 * The skeletons driven phase by phase, the round's messages at the places the real candidate got
 * them: `messages` reads them from a real candidate's history, whose phase ran just before.
 */
function skeletonSteps(
  sk: SkeletonDriver,
  db: Db,
  skQueue: string,
  messages: () => Promise<RoundMessages>,
  skeleton: Phases,
): Step[] {
  const registration: Step = async () => {
    // Registration closes as the real round's did: by an advance (a schedule change to now), or at its instant.
    await sql`create table bench_skeleton_documents (sha256 text primary key, content bytea not null)`.execute(db);
    const said = (await messages()).registration;
    const advanced = said.includes('scheduleChanged');
    const closesAtMs = Date.now() + (advanced ? 86_400_000 : Math.max(30_000, N * 30));
    await timed('registration', () => skeletonRegistration(sk, db, skQueue, closesAtMs), skeleton);
    await sk.roundSays(said);
    if (!advanced) await sleep(Math.max(0, closesAtMs - Date.now()));
    await sk.done('assignTask');
  };
  const verification: Step = async () => {
    const verify = async (id: string) =>
      void (await sk.h(id).executeUpdate('verifyDocuments', { args: [{ decisions: [] }] }));
    await timed('verification', async () => void (await pool(sk.ids, CONC, verify)), skeleton);
    await sk.roundSays((await messages()).beforeSkd);
  };
  const skd: Step = () =>
    timed(
      'SKD fan-out and SKB cut',
      async () => {
        await sk.signalAll('skdResult');
        await sk.done('recordSkd');
        await sk.signalAll('skbSelection');
        await sk.done('recordSkbSelection');
      },
      skeleton,
    );
  const skb: Step = async () => {
    const afterFinal = (await messages()).afterFinal;
    await timed(
      'SKB fan-out and final ranking',
      async () => {
        await sk.signalAll('skbScore');
        await sk.done('recordSkbScore');
        await sk.signalAll('finalResult');
        await sk.done('recordFinal');
        await sk.roundSays(afterFinal);
      },
      skeleton,
    );
  };
  const drh: Step = () =>
    timed(
      'DRH, NIP and career start',
      async () => {
        await pool(sk.ids, CONC, async (id) => {
          for (;;) {
            try {
              await sk.h(id).executeUpdate('submitDrh', { args: [{ drh: { alamat: 'Medan' } }] });
              break;
            } catch {
              await sleep(100);
            }
          }
          await sk.h(id).result();
        });
        await sk.done('openCareer');
      },
      skeleton,
    );
  return [registration, verification, skd, skb, drh];
}

interface SkeletonRun {
  sk: SkeletonDriver;
  workers: ChildProcess[];
  skRss: { stop: () => number };
  skeleton: Phases;
  skQueue: string;
  /** The skeleton's costs per candidate, phase by phase (its worker's CPU in place of the real worker's). */
  meter: PhaseMeter;
}

/** The skeleton's worker (in its own process) on the same server, and its driver. */
async function startSkeleton(
  env: Env,
  common: Record<string, string>,
  skeletonBundle: string,
  real: RealRun,
): Promise<SkeletonRun> {
  const roundId = real.roundId;
  const skQueue = 'bench-e2e-skeleton';
  const sk = new SkeletonDriver(
    env,
    Array.from({ length: N }, (_, i) => `skeleton/${roundId}-${i}`),
  );
  // As many workers as the real path's; what each has done, summed.
  const workers: ChildProcess[] = [];
  const counts: Record<string, number>[] = [];
  for (let k = 0; k < WORKERS; k++) {
    const worker = await startWorker('bench/skeleton-worker.ts', {
      ...common,
      TASK_QUEUE: skQueue,
      SKELETON_BUNDLE: skeletonBundle,
    });
    counts.push({});
    worker.stdout!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n'))
        if (line.startsWith('COUNTS ')) {
          counts[k] = JSON.parse(line.slice(7)) as Record<string, number>;
          const sum: Record<string, number> = {};
          for (const c of counts) for (const [what, n] of Object.entries(c)) sum[what] = (sum[what] ?? 0) + n;
          sk.counts = sum;
        }
    });
    workers.push(worker);
  }
  const pids = workers.map((w) => w.pid!);
  const meter = new PhaseMeter({ ...real.metered, workerPids: pids }, N);
  return { sk, workers, skRss: rssSampler(pids), skeleton: {}, skQueue, meter };
}

/** After the drive: the skeleton's sampled histories' events, its worker stopped. */
async function finishSkeleton(env: Env, s: SkeletonRun): Promise<SkeletonResult> {
  const { sk, workers, skRss, skeleton } = s;
  const sample = sk.ids.filter((_, i) => i % Math.max(1, Math.floor(N / 300)) === 0);
  const skLengths = await pool(sample, 8, async (id) => Number((await sk.h(id).describe()).historyLength));
  const skEvents = skLengths.reduce((s, x) => s + x, 0) / skLengths.length;
  const skTasks = await taskCensus(env.client, sample);
  if (process.argv.includes('--dump-history')) {
    console.error(`event lengths ${skLengths.join(' ')}`);
    await dumpHistory(env.client, sk.ids[0]!);
  }
  const skPeak = skRss.stop();
  for (const w of workers) await stopWorker(w);
  return { skeleton, skEvents, skPeak, skTasks, costs: await s.meter.end(), phaseCosts: s.meter.phases };
}

/** The real path against the skeleton (the JSON line). */
interface SkeletonResult {
  skeleton: Phases;
  skEvents: number;
  skPeak: number;
  skTasks: { timedOut: number; failed: number };
  costs: CandidateCosts;
  phaseCosts: Record<string, CandidateCosts>;
}

const seconds = (p: Phases): Phases => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, round3(v / 1000)]));

function reportE2e(r: RealResult, s: SkeletonResult, steps: { real: Phases; skeleton: Phases }): void {
  const { real, realEvents, realRss, realRoundMessages } = r;
  const { skeleton, skEvents, skPeak } = s;
  const realRate = N / (sum(real) / 1000);
  const skRate = N / (sum(skeleton) / 1000);
  const ratio = realRate / skRate;
  const mb = (b: number): number => Math.round(b / 1024 / 1024);
  const verdict = ratio >= 0.8 && realEvents <= 60 && realEvents <= skEvents && realRss <= 500 * 1024 * 1024;
  report({
    name: 'e2e',
    value: round3(realRate),
    unit: 'candidates/s',
    baseline: round3(skRate),
    ratio: round3(ratio),
    goal: "≥ 0.8 × skeleton, ≤ 60 events/candidate and ≤ the skeleton's, ≤ 500 MB worker RSS",
    met: verdict,
    candidates: N,
    workerCachedWorkflows: workerCache().WORKER_MAX_CACHED_WORKFLOWS ?? 'sdk default',
    workers: WORKERS,
    eventsPerCandidate: round3(realEvents),
    skeletonEventsPerCandidate: round3(skEvents),
    // Workflow tasks timed out (sticky queue waits) and failed, per history: real and skeleton.
    workflowTasksPerCandidate: { real: r.tasks, skeleton: s.skTasks },
    roundMessagesPerCandidate: realRoundMessages,
    workerRssMb: mb(realRss),
    skeletonWorkerRssMb: mb(skPeak),
    // Per candidate over the active phases (bench/costs.ts): the inputs of docs/national-sizing.md.
    perCandidate: r.costs,
    perCandidateByPhase: r.phaseCosts,
    // The same, over the skeleton's phases (its worker's CPU; the server, PostgreSQL and the driver as they are).
    skeletonPerCandidate: s.costs,
    skeletonPerCandidateByPhase: s.phaseCosts,
    phasesS: Object.fromEntries(Object.entries(real).map(([k, v]) => [k, round3(v / 1000)])),
    skeletonPhasesS: Object.fromEntries(Object.entries(skeleton).map(([k, v]) => [k, round3(v / 1000)])),
    // Each step from its start to the end of the round's work after it: the time a round takes.
    stepsS: { real: seconds(steps.real), skeleton: seconds(steps.skeleton) },
    realWholeMin: round3(sum(steps.real) / 60_000),
  });
}

/** `--through skd`: the first chunk's registrations against the last's, and every phase's costs. */
function reportSlope(r: RealResult, chunks: RegistrationChunk[], steps: Phases): void {
  const first = chunks[0]!;
  const last = chunks.at(-1)!;
  report({
    name: 'e2e-slope',
    value: last.perS,
    unit: 'registrations/s',
    baseline: first.perS,
    ratio: round3(last.perS / first.perS),
    goal: "the sizing model's slope (docs/national-sizing.md): the last chunk's registrations against the first's, same run; each phase's costs against a smaller run's (npm run sizing -- --from … --also …)",
    candidates: N,
    workerCachedWorkflows: workerCache().WORKER_MAX_CACHED_WORKFLOWS ?? 'sdk default',
    workers: WORKERS,
    through: 'SKD fan-out and SKB cut',
    candidatesPerS: round3(N / (sum(r.real) / 1000)),
    eventsPerCandidate: round3(r.realEvents),
    workflowTasksPerCandidate: r.tasks,
    workerRssMb: Math.round(r.realRss / 1024 / 1024),
    perCandidate: r.costs,
    perCandidateByPhase: r.phaseCosts,
    registrationChunks: chunks,
    phasesS: seconds(r.real),
    stepsS: seconds(steps),
    wholeMin: round3(sum(steps) / 60_000),
  });
}

/** `--through skd`: the real path alone, through the SKD fan-out and SKB cut. */
async function slopeRun(db: Db, env: Env, common: Record<string, string>, bundle: string, metricsPort: number) {
  const realRun = await startReal(db, env, common, bundle, metricsPort);
  const steps: Phases = {};
  for (const [i, step] of realSteps(realRun.run, realRun.real).slice(0, 3).entries()) {
    const t = performance.now();
    await step();
    steps[Object.keys(realRun.real)[i]!] = performance.now() - t;
  }
  reportSlope(await finishReal(realRun), realRun.run.chunks, steps);
}

async function main(): Promise<void> {
  // One key set for the bench, its client and both worker processes (set before any client exists).
  const keys = JSON.stringify({ active: 'bench', keys: { bench: generateKey() } });
  process.env.ASN_CODEC_KEYS = keys;
  const { db, url, drop } = await benchDb('e2e');
  const metricsPort = await freePort();
  const env = await benchTemporal({ metricsPort });
  const address = env.connection.options.address as string;
  const work = mkdtempSync(join(tmpdir(), 'asn-bench-e2e-'));
  try {
    const { bundle, skeletonBundle } = await writeBundles(work);
    const common = {
      TEMPORAL_ADDRESS: address,
      ASN_CODEC_KEYS: keys,
      DATABASE_URL: url,
      SMTP_URL: 'none',
      ...workerCache(),
    };
    if (THROUGH) return await slopeRun(db, env, common, bundle, metricsPort);
    // Both workers run throughout; each phase is driven on the real path and then on the
    // skeleton, so that a machine whose speed drifts during the run (it does, by a quarter between
    // runs minutes apart) slows both alike.
    const realRun = await startReal(db, env, common, bundle, metricsPort);
    const skRun = await startSkeleton(env, common, skeletonBundle, realRun.run);
    const messages = () => roundMessagesOf(env.client, candidateWorkflowId(realRun.run.nos[0]!));
    const realPart = realSteps(realRun.run, realRun.real);
    const skPart = skeletonSteps(skRun.sk, db, skRun.skQueue, messages, skRun.skeleton);
    // Each step whole, as well: its timed phase and the round's work after it (a fan-out, the
    // assignment of every task when registration closes), which neither path's rate counts.
    const steps = { real: {} as Phases, skeleton: {} as Phases };
    for (const [i, step] of realPart.entries()) {
      let t = performance.now();
      await step();
      const name = Object.keys(realRun.real)[i]!;
      steps.real[name] = performance.now() - t;
      // The skeleton's costs over its whole step, under the name the real phase was timed by.
      await skRun.meter.mark(name);
      t = performance.now();
      await skPart[i]!();
      steps.skeleton[name] = performance.now() - t;
      await skRun.meter.pause();
    }
    const real = await finishReal(realRun);
    const skeleton = await finishSkeleton(env, skRun);
    reportE2e(real, skeleton, steps);
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
