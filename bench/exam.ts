/**
 * bench:exam — N concurrent online SKD sessions (workflows/exam), each saving a batch of answers
 * every 10 s for a shortened exam (default 60 s of saving, sessions 30 s longer), on a real dev server and a real PostgreSQL
 * (the banks and the keys read by the scoring activity). Beside it, in the same run on the same
 * server, the same number of skeleton workflows (bench/exam-skeleton-workflow.ts: a bare update
 * loop, no rules) saved the same way with the same payloads.
 *
 * Reported: answer saves per second, p50/p99 of a save's round trip (executeUpdate), lost
 * answers (what the session's final state holds against what was acknowledged), history
 * events per session. Goal: ≥ 0.8 × the skeleton's rate, p99 ≤ 2 × the skeleton's p99, 0 lost.
 * The worker runs in this process (one core of the two). The phases run skeleton, exam, exam,
 * skeleton, each with N sessions, so that a load drifting during the run weighs on both alike.
 *
 *   npm run bench:exam -- [--n 1000] [--duration-s 60] [--interval-s 10]
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { ROOT } from '../config';
import { dataConverter } from '../config/codec';
import { createExamActivities } from '../activities/exam';
import { importBank, itemKeys } from '../db/exam';
import type { Db } from '../db/connection';
import { bundleWorkflows } from '../worker/worker';
import {
  drawItems,
  EXAM_SUBTESTS,
  scoreExam,
  skdTotal,
  type BankItemInput,
  type ExamSubtest,
  DEFAULT_EXAM_ITEMS,
} from '../domain';
import {
  examWorkflowId,
  openExamUpdate,
  saveAnswersUpdate,
  type ExamItemRef,
  type ExamSessionInput,
  type ExamSessionState,
} from '../contracts';
import { arg, benchDb, benchTemporal, report, round3 } from './lib';
import { skOpen, skSave } from './exam-skeleton-workflow';

const N = arg('n', 1000);
const DURATION_MS = arg('duration-s', 60) * 1000;
const INTERVAL_MS = arg('interval-s', 10) * 1000;
const BANK = 'bench';
/** The sessions last this much longer than the saving schedule, so a save delayed by load still arrives in time. */
const SLACK_MS = 30_000;

function bank(sub: ExamSubtest, n: number): BankItemInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${sub}-${i}`,
    text: `Soal ${sub} ${i}`,
    options: ['a', 'b', 'c', 'd', 'e'].map((id, j) => ({
      id,
      text: `Pilihan ${id}`,
      ...(sub === 'tkp' ? { points: ((i + j) % 5) + 1 } : j === i % 5 ? { points: 5 } : {}),
    })),
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

interface Phase {
  saves: number;
  latencies: number[];
  lost: number;
  failed: number;
  ms: number;
  events: number;
}

/** The batches of one session: 110 answers spread over the saves, each a random option. */
function batches(items: ExamItemRef[], count: number): { itemId: string; option: string }[][] {
  const out: { itemId: string; option: string }[][] = Array.from({ length: count }, () => []);
  items.forEach((it, i) => out[i % count]!.push({ itemId: it.itemId, option: it.options[i % it.options.length]! }));
  return out;
}

/** Drives N workflows: each opens, then saves every INTERVAL_MS from a random offset until the end. */
async function drive(
  n: number,
  open: (i: number) => Promise<void>,
  save: (i: number, k: number) => Promise<void>,
  finish: (i: number) => Promise<number>,
): Promise<Omit<Phase, 'events'>> {
  const saveCount = Math.max(1, Math.floor((DURATION_MS - 3_000) / INTERVAL_MS));
  const latencies: number[] = [];
  let failed = 0;
  let first = Infinity;
  let last = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await open(i);
      const start = Date.now();
      const offset = Math.random() * Math.min(INTERVAL_MS, DURATION_MS / (saveCount + 1));
      for (let k = 0; k < saveCount; k++) {
        await sleep(start + offset + k * INTERVAL_MS - Date.now());
        const s0 = process.hrtime.bigint();
        first = Math.min(first, Date.now());
        try {
          await save(i, k);
          latencies.push(Number(process.hrtime.bigint() - s0) / 1e6);
          last = Math.max(last, Date.now());
        } catch (err) {
          failed += 1;
          const e = err as Error & { cause?: { type?: string; message?: string } };
          if (failed <= 5)
            console.error(`save ${i}/${k} failed: ${e.cause?.type ?? ''} ${e.cause?.message ?? e.message}`);
        }
      }
    }),
  );
  // The rate over the saving window (first save sent → last save acknowledged), opens excluded.
  const ms = last - first;
  let lost = 0;
  for (let i = 0; i < n; i += 50)
    lost += (await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => finish(i + j)))).reduce(
      (a, b) => a + b,
      0,
    );
  return { saves: latencies.length, latencies, lost, failed, ms };
}

async function eventsPerRun(client: Client, ids: string[]): Promise<number> {
  let total = 0;
  for (const id of ids) total += (await client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
  return total / ids.length;
}

async function skeletonPhase(client: Client, taskQueue: string, payload: unknown[][]): Promise<Phase> {
  const tag = randomBytes(4).toString('hex');
  const id = (i: number) => `bench-exam-skeleton/${tag}/${i}`;
  const r = await drive(
    N,
    async (i) => {
      await client.workflow.start('skeletonExam', {
        workflowId: id(i),
        taskQueue,
        args: [{ durationMs: DURATION_MS + SLACK_MS }],
      });
      await client.workflow.getHandle(id(i)).executeUpdate(skOpen, { args: [{ deviceId: 'bench-device-skeleton' }] });
    },
    async (i, k) => void (await client.workflow.getHandle(id(i)).executeUpdate(skSave, { args: [payload[k]] })),
    async (i) => {
      const res = (await client.workflow.getHandle(id(i)).result()) as { saves: number };
      const sent = Math.max(1, Math.floor((DURATION_MS - 3_000) / INTERVAL_MS));
      return Math.max(0, sent - res.saves);
    },
  );
  return { ...r, events: await eventsPerRun(client, [0, 1, 2].map(id)) };
}

async function examPhase(client: Client, taskQueue: string, banks: Record<ExamSubtest, string[]>): Promise<Phase> {
  const tag = randomBytes(4).toString('hex');
  const saveCount = Math.max(1, Math.floor((DURATION_MS - 3_000) / INTERVAL_MS));
  const sessions = Array.from({ length: N }, (_, i) => {
    const seed = randomBytes(16).toString('hex');
    const items: ExamItemRef[] = EXAM_SUBTESTS.flatMap((sub) =>
      drawItems(seed, sub, banks[sub], DEFAULT_EXAM_ITEMS[sub]).map((itemId) => ({
        itemId,
        subtest: sub,
        options: ['a', 'b', 'c', 'd', 'e'],
      })),
    );
    const input: ExamSessionInput = {
      sessionId: `${tag}-${i}`,
      roundId: 'bench',
      registrationNo: `9${String(i).padStart(11, '0')}`,
      exam: 'skd',
      bankId: BANK,
      bankVersions: { twk: 1, tiu: 1, tkp: 1 },
      items,
      seed,
      durationMs: DURATION_MS + SLACK_MS,
      slot: {
        slotId: 'bench',
        opensAt: new Date(Date.now() - 60_000).toISOString(),
        closesAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    };
    return {
      input,
      batches: batches(items, saveCount),
      deviceId: `bench-device-${tag}-${i}`,
      acked: {} as Record<string, string>,
    };
  });
  const handle = (i: number) => client.workflow.getHandle(examWorkflowId(sessions[i]!.input.sessionId));
  const r = await drive(
    N,
    async (i) => {
      const s = sessions[i]!;
      await client.workflow.start('examSession', {
        workflowId: examWorkflowId(s.input.sessionId),
        taskQueue,
        args: [s.input],
      });
      await handle(i).executeUpdate(openExamUpdate, { args: [{ deviceId: s.deviceId }] });
    },
    async (i, k) => {
      const s = sessions[i]!;
      await handle(i).executeUpdate(saveAnswersUpdate, { args: [{ deviceId: s.deviceId, answers: s.batches[k]! }] });
      for (const a of s.batches[k]!) s.acked[a.itemId] = a.option;
    },
    async (i) => {
      const final = (await handle(i).result()) as ExamSessionState;
      const acked = sessions[i]!.acked;
      return Object.entries(acked).filter(([item, opt]) => final.answers[item] !== opt).length;
    },
  );
  return {
    ...r,
    events: await eventsPerRun(
      client,
      [0, 1, 2].map((i) => examWorkflowId(sessions[i]!.input.sessionId)),
    ),
  };
}

/** Phases of one kind taken together: saves over the summed saving windows, every latency, every loss. */
function combine(ps: Phase[]): Phase {
  return {
    saves: ps.reduce((a, p) => a + p.saves, 0),
    latencies: ps.flatMap((p) => p.latencies),
    lost: ps.reduce((a, p) => a + p.lost, 0),
    failed: ps.reduce((a, p) => a + p.failed, 0),
    ms: ps.reduce((a, p) => a + p.ms, 0),
    events: ps[0]!.events,
  };
}

/** The exam phases against the skeleton's: rates, latencies, losses (the JSON line). */
function reportExam(ex: Phase, sk: Phase, phaseOrder: string, saveCount: number): void {
  const rate = ex.saves / (ex.ms / 1000);
  const skRate = sk.saves / (sk.ms / 1000);
  const p99 = pct(ex.latencies, 99);
  const skP99 = pct(sk.latencies, 99);
  const met = rate >= 0.8 * skRate && p99 <= 2 * skP99 && ex.lost === 0 && ex.failed === 0;
  report({
    name: 'exam',
    value: round3(rate),
    unit: 'answer saves/s',
    baseline: round3(skRate),
    ratio: round3(rate / skRate),
    goal: '≥ 0.8 × skeleton rate, p99 ≤ 2 × skeleton p99, 0 lost answers',
    met,
    sessions: N,
    phaseOrder,
    savesPerSession: saveCount,
    durationS: DURATION_MS / 1000,
    intervalS: INTERVAL_MS / 1000,
    p50Ms: round3(pct(ex.latencies, 50)),
    p99Ms: round3(p99),
    skeletonP50Ms: round3(pct(sk.latencies, 50)),
    skeletonP99Ms: round3(skP99),
    p99Ratio: round3(p99 / skP99),
    lostAnswers: ex.lost,
    failedSaves: ex.failed,
    skeletonLost: sk.lost,
    skeletonFailed: sk.failed,
    eventsPerSession: round3(ex.events),
    skeletonEventsPerRun: round3(sk.events),
  });
}

/** The banks imported, and the two workers (the exam's and the skeleton's) created in this process. */
async function startWorkers(
  env: Awaited<ReturnType<typeof benchTemporal>>,
  db: Db,
): Promise<{ banks: Record<ExamSubtest, string[]>; examWorker: Worker; skWorker: Worker }> {
  const banks = {} as Record<ExamSubtest, string[]>;
  for (const sub of EXAM_SUBTESTS) {
    const items = bank(sub, DEFAULT_EXAM_ITEMS[sub] + 20);
    await importBank(db, { bankId: BANK, subtest: sub, items, actor: 'bench' });
    banks[sub] = items.map((x) => x.id);
  }
  const real = createExamActivities({ db, client: env.client });
  // The session's activities, with the candidate side left out (no application rows here):
  // scoring still reads the keys of the bank version from PostgreSQL.
  const activities = {
    examSessionStarted: real.examSessionStarted,
    recordExamAbsent: async () => undefined,
    scoreExamSession: async (i: Parameters<typeof real.scoreExamSession>[0]) => {
      const s = scoreExam(await itemKeys(db, i.bankId, i.bankVersions, i.items), i.answers);
      return { ...s, total: skdTotal(s), passed: true, scoredAt: i.endedAt };
    },
  };
  const common = {
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    dataConverter: dataConverter(),
  };
  const examWorker = await Worker.create({
    ...common,
    taskQueue: 'bench-exam',
    workflowBundle: { code: await bundleWorkflows() },
    activities,
  });
  const skWorker = await Worker.create({
    ...common,
    taskQueue: 'bench-exam-skeleton',
    workflowBundle: { code: await bundleWorkflows(join(ROOT, 'bench', 'exam-skeleton-workflow.ts')) },
  });
  return { banks, examWorker, skWorker };
}

async function main(): Promise<void> {
  const env = await benchTemporal();
  const { db, drop } = await benchDb('exam');
  try {
    const { banks, examWorker, skWorker } = await startWorkers(env, db);
    const runs = Promise.all([examWorker.run(), skWorker.run()]);
    const saveCount = Math.max(1, Math.floor((DURATION_MS - 3_000) / INTERVAL_MS));
    const payload = batches(
      EXAM_SUBTESTS.flatMap((sub) =>
        banks[sub]
          .slice(0, DEFAULT_EXAM_ITEMS[sub])
          .map((itemId) => ({ itemId, subtest: sub, options: ['a', 'b', 'c', 'd', 'e'] })),
      ),
      saveCount,
    ).map((answers) => [{ deviceId: 'bench-device-skeleton', answers }]);
    console.error(`bench:exam: ${N} sessions, ${saveCount} saves each every ${INTERVAL_MS / 1000} s`);
    // Skeleton, exam, exam, skeleton (ABBA): a load that drifts during the run (this machine is
    // shared) weighs on both sides alike instead of on whichever phase ran second.
    const runPhase = async (kind: 'skeleton' | 'exam'): Promise<Phase> => {
      const p =
        kind === 'skeleton'
          ? await skeletonPhase(env.client, 'bench-exam-skeleton', payload)
          : await examPhase(env.client, 'bench-exam', banks);
      console.error(`${kind}: ${p.saves} saves in ${p.ms} ms, p99 ${round3(pct(p.latencies, 99))} ms`);
      return p;
    };
    const order = ['skeleton', 'exam', 'exam', 'skeleton'] as const;
    const phases: Record<'skeleton' | 'exam', Phase[]> = { skeleton: [], exam: [] };
    for (const kind of order) phases[kind].push(await runPhase(kind));
    const sk = combine(phases.skeleton);
    const ex = combine(phases.exam);
    examWorker.shutdown();
    skWorker.shutdown();
    await runs;

    reportExam(ex, sk, order.join(' '), saveCount);
  } finally {
    await env.teardown();
    await drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
