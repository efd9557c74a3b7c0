import { randomUUID } from 'node:crypto';
import type { RoundJob, RoundPhase, RoundState } from '../contracts';
import type { RoundConfigInput } from '../domain';
import { ApiClient, ApiError, multipartFile, pool } from './http';
import {
  ADOPTED_CRITERIA,
  CONSULTATION_COMMENTS,
  SANGGAH_TEXT,
  sampleDrh,
  syntheticRound,
  TMS_REASONS,
  type ScheduleSpec,
  type SimCandidate,
} from './synthetic';

/**
 * Drives one synthetic round through the real API, as its people would: HR starts it and adopts
 * the criteria after the public consultation, candidates register and upload, reviewers verify
 * and answer appeals, HR imports SKD and SKB and runs the rankings, the successful candidates
 * fill in their DRH and are appointed. Shared by `npm run demo`, the fault run and a test.
 *
 * Never a race with the clock (issue 20): the round is a simulation whose schedule lies weeks
 * ahead, and HR advances each phase (POST /rounds/:id/advance) once the driver's work for it is
 * done. The only timers that run are the day-counted windows (masa sanggah, one simulated day =
 * `dayMs`): the appeals are filed as soon as the window opens, and the driver waits for the
 * windows to end before it moves on, so the same seed gives the same round on any machine.
 */

export interface Clock {
  now: () => Promise<number>;
  sleepUntil: (ms: number) => Promise<void>;
}
export const realClock: Clock = {
  now: async () => Date.now(),
  sleepUntil: async (ms) => {
    const wait = ms - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  },
};

export interface Person {
  username: string;
  token: string;
}

export interface DriverOptions {
  api: ApiClient;
  hr: Person;
  reviewers: Person[];
  /** An atasan langsung for the new civil servants' first SKP plan (the career stage is skipped without one). */
  supervisor?: Person;
  roundId: string;
  candidates: number;
  seed: number;
  budgetYear: number;
  /** Keeps NIKs unique when rounds share a database (e.g. the applications already stored). */
  nikOffset?: number;
  clock?: Clock;
  concurrency?: number;
  /** The simulation's day (masa sanggah = 3 days): the appeals must be filed within 3 of them. */
  dayMs?: number;
  /** How long each request is retried on 503/timeouts (the fault run keeps trying). */
  retryForMs?: number;
  log?: (msg: string) => void;
  progress?: (stage: string, done: number, total: number) => void;
  /** Told of each registration as it is recorded. */
  onRegistered?: (r: Registered) => void;
}

export interface Registered {
  sim: SimCandidate;
  registrationNo: string;
  /** The candidate token from the answer that created the registration ('' when that answer was lost). */
  token: string;
  /**
   * The first answer was lost (a timeout) and the retry found the registration: a replay never
   * carries the token again, and there is no other way to get one, so this candidate cannot act
   * (no documents, hence `documents_missing`). Counted in `DriverResult.lostTokens`.
   */
  lostToken: boolean;
  documentsSubmitted: boolean;
  /** The appeal went in (a TMS candidate whose plan is to appeal, inside the window). */
  appealFiled: boolean;
}

export interface StageTiming {
  stage: string;
  startedAt: number;
  endedAt: number;
}

export interface DriverResult {
  roundId: string;
  candidates: SimCandidate[];
  registered: Registered[];
  refused: { sim: SimCandidate; code: string }[];
  /** Registrations whose token-bearing first answer was lost (see Registered.lostToken). */
  lostTokens: number;
  stages: StageTiming[];
  /** NIPs whose careers got their atasan langsung, Latsar and health on record (CPNS until probation ends). */
  careers: string[];
  finalState: RoundState;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const WEEK = 7 * 86_400_000;

/**
 * The schedule of a simulation round: a week per phase from tomorrow. The driver advances every
 * phase once its work is done, so none of these instants is reached (they only need to outlast
 * any run, and leave the masa sanggah its room before the SKD).
 */
export function layoutSchedule(now: number): ScheduleSpec {
  const t0 = Math.ceil((now + 86_400_000) / 60_000) * 60_000;
  const at = (i: number): number => t0 + i * WEEK;
  return {
    consultationOpens: at(0),
    consultationCloses: at(1),
    registrationOpens: at(2),
    registrationCloses: at(3),
    verificationDeadline: at(4),
    announcementAt: at(5),
    skdAt: at(6),
    skbAt: at(7),
    finalAnnouncementAt: at(8),
    drhDeadline: at(9),
  };
}

const JPEG = (tag: string): Buffer =>
  Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    Buffer.from(`JFIF ${tag}`),
    Buffer.alloc(2048, 0x11),
  ]);
const PDF = (tag: string): Buffer =>
  Buffer.concat([Buffer.from(`%PDF-1.4\n% ${tag}\n`), Buffer.alloc(4096, 0x20), Buffer.from('\n%%EOF\n')]);
const BASE_DOCS = ['pas_foto', 'swafoto', 'ktp', 'ijazah', 'transkrip', 'surat_lamaran'];

type Progress = (stage: string, done: number, total: number) => void;
type RegistrationStatus = { stage: string; outcome: string | null };
type RankingRow = { registrationNo: string; result: string };

/** What every step of a round shares: the options, the API with HR's credentials, what is known so far. */
interface RoundContext {
  o: DriverOptions;
  api: ApiClient;
  clock: Clock;
  conc: number;
  retry: { retryForMs: number };
  hr: { token: string; retryForMs: number };
  log: (msg: string) => void;
  progress: Progress;
  base: string;
  /** The masa sanggah: its days of `dayMs`. */
  sanggahMs: number;
  stages: StageTiming[];
  registered: Registered[];
  refused: { sim: SimCandidate; code: string }[];
  /** Filled once registration is over. */
  byNo: Map<string, Registered>;
}

/** One stage of the round, logged and timed. */
async function stage<T>(ctx: RoundContext, name: string, f: () => Promise<T>): Promise<T> {
  const startedAt = Date.now();
  ctx.log(`tahap: ${name}`);
  try {
    return await f();
  } finally {
    ctx.stages.push({ stage: name, startedAt, endedAt: Date.now() });
  }
}

const roundState = (ctx: RoundContext): Promise<RoundState> => ctx.api.get<RoundState>(ctx.base, ctx.retry);

/** HR ends the current phase now: the driver's work for it is done (a simulation round). */
async function advance(ctx: RoundContext, from: RoundPhase, reason: string): Promise<RoundState> {
  for (let tries = 0; ; tries++) {
    // WRONG_PHASE while the round is between two steps (just recorded, a job being queued): once more.
    const r = await ctx.api.request<RoundState>('POST', `${ctx.base}/advance`, {
      ...ctx.hr,
      body: { from, reason },
      idempotencyKey: `${ctx.o.roundId}-advance-${from}`,
      accept: (st, code) => st === 409 && code === 'WRONG_PHASE' && tries < 40,
    });
    if (r.status === 200) {
      ctx.log(`tahap ${from} selesai; tahap ${r.body.phase} dimulai`);
      // The API reads the phase from PostgreSQL (registrations through a 1 s cache): let it catch up.
      await sleep(1_200);
      return r.body;
    }
    await sleep(250);
  }
}

/** Waits until the round records each of these jobs as finished (the API lists finished jobs). */
async function waitJobs(ctx: RoundContext, wanted: ((j: RoundJob) => boolean)[], label: string): Promise<RoundState> {
  for (;;) {
    const s = await roundState(ctx);
    const done = wanted.filter((w) => s.jobs.some((j) => j.finishedAt && w(j.job))).length;
    ctx.progress(label, done, wanted.length);
    if (done === wanted.length) return s;
    await sleep(300);
  }
}
const imported =
  (exam: 'skd' | 'skb') =>
  (j: RoundJob): boolean =>
    j.kind === 'import' && j.exam === exam && !j.correction;
const ranked =
  (ranking: 'skb_selection' | 'final') =>
  (j: RoundJob): boolean =>
    j.kind === 'rank' && j.ranking === ranking;

/**
 * Waits until each of these candidates is no longer `open`: their day-counted windows are timers
 * of their own (the clock is skipped past them first), then their endings are written.
 */
async function settle(
  ctx: RoundContext,
  regs: Registered[],
  until: number,
  open: (st: RegistrationStatus) => boolean,
  label: string,
): Promise<void> {
  if (regs.length) await ctx.clock.sleepUntil(until);
  let pending = regs;
  while (pending.length) {
    const still: Registered[] = [];
    await pool(pending, ctx.conc, async (r) => {
      const st = await ctx.api.get<RegistrationStatus>(`/registrations/${r.registrationNo}`, ctx.hr);
      if (open(st)) still.push(r);
    });
    ctx.progress(label, regs.length - still.length, regs.length);
    pending = still;
    if (pending.length) await sleep(500);
  }
}

/** Waits until the round's announcement has reached every candidate; the instant it was made (the windows start then). */
async function announcedAt(ctx: RoundContext, announcement: 'administrasi' | 'final', label: string): Promise<number> {
  const made = (j: RoundJob): boolean => j.kind === 'announcement' && j.announcement === announcement;
  const job = (await waitJobs(ctx, [made], label)).jobs.find((j) => made(j.job))!.job;
  return Date.parse((job as Extract<RoundJob, { kind: 'announcement' }>).at);
}

/** 1. The round, its reviewers, the public consultation and the adopted criteria. */
async function consultation(ctx: RoundContext, config: RoundConfigInput): Promise<void> {
  const { api, o, base, retry } = ctx;
  await api.request('POST', '/rounds', {
    token: o.hr.token,
    body: config,
    ...retry,
    idempotencyKey: `${o.roundId}-create`,
    accept: (s, c) => s === 409 && c === 'ROUND_EXISTS',
  });
  // The round's workflow records it in PostgreSQL a moment after the start.
  for (let i = 0; ; i++) {
    const r = await api.request('PUT', `${base}/reviewers`, {
      token: o.hr.token,
      body: { usernames: o.reviewers.map((rv) => rv.username) },
      ...retry,
      accept: (st) => st === 404 && i < 100,
    });
    if (r.status === 200) break;
    await sleep(200);
  }
  await advance(ctx, 'draft', 'Rancangan kriteria diumumkan untuk konsultasi publik');
  for (const [i, c] of CONSULTATION_COMMENTS.entries()) {
    await api
      .post(`${base}/comments`, c, { retryForMs: retry.retryForMs, idempotencyKey: `${o.roundId}-comment-${i}` })
      .catch((e: ApiError) => ctx.log(`komentar tidak terkirim: ${e.message}`));
    ctx.progress('konsultasi publik', i + 1, CONSULTATION_COMMENTS.length);
  }
  await advance(ctx, 'consultation', 'Semua masukan publik simulasi sudah diterima');
  await api.post(`${base}/criteria`, ADOPTED_CRITERIA, { ...ctx.hr, idempotencyKey: `${o.roundId}-adopt` });
  await advance(ctx, 'criteria_adoption', 'Kriteria sudah ditetapkan');
}

/** The candidate's registration, recorded (its token when the first answer arrived). */
async function register(ctx: RoundContext, sim: SimCandidate): Promise<Registered> {
  // A random key per registration (a guessable key is not a secret, and never needs to be).
  const key = randomUUID();
  type Answer = { registrationNo: string; token?: string; replayed?: boolean; workflowPending?: boolean };
  const post = async (): Promise<Answer> =>
    (
      await ctx.api.request<Answer>('POST', `${ctx.base}/registrations`, {
        body: sim.request,
        ...ctx.retry,
        idempotencyKey: key,
      })
    ).body;
  let r = await post();
  const token = r.token ?? '';
  // 202: recorded, the workflow not started yet (Temporal down); the repeat starts it.
  for (let i = 0; r.workflowPending; i++) {
    await sleep(Math.min(2_000, 200 * 2 ** Math.min(i, 4)));
    r = await post();
  }
  return {
    sim,
    registrationNo: r.registrationNo,
    token,
    lostToken: !token,
    documentsSubmitted: false,
    appealFiled: false,
  };
}

/** The candidate uploads each document their jabatan asks for, then submits them. */
async function submitDocuments(ctx: RoundContext, reg: Registered): Promise<void> {
  const no = reg.registrationNo;
  const ids: string[] = [];
  for (const kind of [...BASE_DOCS, ...(reg.sim.jabatan.extraDocuments ?? [])]) {
    const jpeg = ['pas_foto', 'swafoto', 'ktp'].includes(kind);
    const file = multipartFile(
      jpeg ? `${kind}.jpg` : `${kind}.pdf`,
      jpeg ? JPEG(`${no}-${kind}`) : PDF(`${no}-${kind}`),
      jpeg ? 'image/jpeg' : 'application/pdf',
    );
    const up = await ctx.api.request<{ documentId: string }>('POST', `/registrations/${no}/documents/${kind}`, {
      token: reg.token,
      raw: file,
      ...ctx.retry,
    });
    ids.push(up.body.documentId);
  }
  await ctx.api.post(
    `/registrations/${no}/documents/submit`,
    { documentIds: ids },
    { token: reg.token, ...ctx.retry, idempotencyKey: `${ctx.o.roundId}-submit-${reg.sim.index}` },
  );
  reg.documentsSubmitted = true;
}

/** One candidate registers and (by plan) uploads; a refusal (4xx) is recorded with its code. */
async function registerCandidate(ctx: RoundContext, sim: SimCandidate): Promise<void> {
  try {
    const reg = await register(ctx, sim);
    ctx.registered.push(reg);
    ctx.o.onRegistered?.(reg);
    if (reg.lostToken)
      ctx.log(
        `pendaftaran ${reg.registrationNo}: jawaban pertama (berisi token) hilang; ulangan tidak memberi token lagi`,
      );
    if (sim.plan.submitsDocuments && !reg.lostToken) await submitDocuments(ctx, reg);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status >= 500 || err.status === 0) throw err;
    ctx.refused.push({ sim, code: err.code });
  }
}

/** 2. Registration with uploads. */
async function registration(ctx: RoundContext, candidates: SimCandidate[]): Promise<void> {
  let done = 0;
  await pool(candidates, ctx.conc, async (sim) => {
    await registerCandidate(ctx, sim);
    ctx.progress('pendaftaran', ++done, candidates.length);
  });
  await advance(ctx, 'registration', 'Semua pelamar simulasi sudah mendaftar dan mengirim dokumen');
}

type TaskKind = 'verification' | 'sanggah';

/** A reviewer's decision on a task: every document MS but the TMS one, or the answer to an appeal. */
function decisionBody(kind: TaskKind, reg: Registered): object {
  return kind === 'verification'
    ? {
        decisions: [...BASE_DOCS, ...(reg.sim.jabatan.extraDocuments ?? [])].map((k, i) =>
          reg.sim.plan.tms && i === 3
            ? { kind: k, result: 'TMS', reason: TMS_REASONS[reg.sim.index % TMS_REASONS.length] }
            : { kind: k, result: 'MS' },
        ),
      }
    : {
        accepted: reg.sim.plan.appealAccepted,
        answer: reg.sim.plan.appealAccepted
          ? 'Setelah diperiksa ulang, dokumen memenuhi syarat; sanggah diterima.'
          : 'Setelah diperiksa ulang, dokumen tetap tidak memenuhi syarat.',
      };
}

type Task = { taskId: string; registrationNo: string; kind: string };

/** The reviewer decides one task; false when it was escalated to another reviewer meanwhile (theirs now). */
async function decide(ctx: RoundContext, rv: Person, kind: TaskKind, t: Task): Promise<boolean> {
  const reg = ctx.byNo.get(t.registrationNo);
  if (!reg) return false;
  const body = decisionBody(kind, reg);
  const moved = (s: number, c: string): boolean =>
    (s === 403 && c === 'NOT_ASSIGNED') || (s === 409 && (c === 'TASK_FINISHED' || c === 'WRONG_STAGE'));
  const r = await ctx.api.request('POST', `/tasks/${t.taskId}/decision`, {
    token: rv.token,
    body,
    ...ctx.retry,
    idempotencyKey: `${t.taskId}-decision`,
    accept: moved,
  });
  return r.status === 200;
}

/** Each reviewer works their inbox until `expected` tasks of `kind` are decided. */
async function workInbox(ctx: RoundContext, kind: TaskKind, expected: number, label: string): Promise<void> {
  const { o, api } = ctx;
  // Counted per candidate: a task a silent reviewer let pass its deadline is escalated to
  // another reviewer (a new task); the first reviewer's late answer is refused, never counted.
  const decided = new Set<string>();
  let idle = 0;
  while (decided.size < expected) {
    let progressed = false;
    await Promise.all(
      o.reviewers.map(async (rv) => {
        const tasks = await api.getAll<Task>('/tasks', { token: rv.token, ...ctx.retry });
        await pool(
          tasks.filter((t) => t.kind === kind && !decided.has(t.registrationNo)),
          Math.max(1, Math.floor(ctx.conc / o.reviewers.length)),
          async (t) => {
            if (!(await decide(ctx, rv, kind, t))) return;
            decided.add(t.registrationNo);
            progressed = true;
            ctx.progress(label, decided.size, expected);
          },
        );
      }),
    );
    if (!progressed) {
      idle += 1;
      if (idle % 40 === 0) ctx.log(`${label}: menunggu tugas (${decided.size}/${expected})`);
      await sleep(250);
    }
  }
}

/** 3. Administrative verification by the reviewers (their inbox), TMS with a reason. */
async function verification(ctx: RoundContext, submitted: Registered[]): Promise<void> {
  await workInbox(ctx, 'verification', submitted.length, 'verifikasi administrasi');
  await advance(ctx, 'administrative_check', 'Semua dokumen sudah diverifikasi');
}

/**
 * The candidate files the appeal as soon as their window is open: "not eligible yet" is retried
 * (for a minute), "window closed" is final: one request each, no status polling in between.
 */
async function fileSanggah(ctx: RoundContext, r: Registered): Promise<void> {
  const closed = (s: number, c: string): boolean =>
    (s === 409 || s === 422) && (c === 'WINDOW_CLOSED' || c === 'NOT_ELIGIBLE_FOR_SANGGAH');
  let res: { status: number; body: unknown };
  for (let tries = 0; ; tries++) {
    res = await ctx.api.request('POST', `/registrations/${r.registrationNo}/sanggah`, {
      token: r.token,
      body: { reason: SANGGAH_TEXT },
      ...ctx.retry,
      idempotencyKey: `${ctx.o.roundId}-sanggah-${r.sim.index}`,
      accept: closed,
    });
    const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
    if (res.status === 200 || code !== 'NOT_ELIGIBLE_FOR_SANGGAH' || tries >= 120) break;
    await sleep(500);
  }
  r.appealFiled = res.status === 200;
  if (!r.appealFiled) ctx.log(`sanggah ${r.registrationNo} ditolak: masa sanggah sudah berakhir`);
}

/** 4. Announcement and sanggah: the TMS candidates who appeal, the reviewers who answer. */
async function sanggah(ctx: RoundContext, submitted: Registered[]): Promise<void> {
  const appellants = submitted.filter((r) => r.sim.plan.tms && r.sim.plan.appeals);
  // Each candidate's window starts when the round's announcement reaches it (roundAnnounced,
  // with the instant the round announced): filed once every candidate has it.
  const at = await announcedAt(ctx, 'administrasi', 'pengumuman dikirim ke peserta');
  await pool(appellants, ctx.conc, (r) => fileSanggah(ctx, r));
  await workInbox(ctx, 'sanggah', appellants.filter((a) => a.appealFiled).length, 'jawab sanggah');
  // The others' windows end on their own (masa sanggah); then the SKD participants are known.
  await settle(
    ctx,
    submitted.filter((r) => r.sim.plan.tms),
    at + ctx.sanggahMs + 1_000,
    (st) => st.outcome === null && (st.stage === 'sanggah' || st.stage === 'verification'),
    'masa sanggah administrasi berakhir',
  );
  await advance(ctx, 'announcement', 'Masa sanggah administrasi selesai; peserta SKD ditetapkan');
}

/** HR imports an exam's results (CSV). */
async function importCsv(ctx: RoundContext, exam: 'skd' | 'skb', header: string, rows: string[]): Promise<void> {
  await ctx.api.request('POST', `${ctx.base}/imports/${exam}`, {
    token: ctx.o.hr.token,
    raw: { data: [header, ...rows].join('\n'), contentType: 'text/csv' },
    ...ctx.retry,
  });
}

/** 5. SKD: HR imports the CAT results, then the SKB cut (3 × formasi). */
async function skd(ctx: RoundContext, eligible: Registered[]): Promise<void> {
  const rows = eligible
    .filter((r) => r.sim.plan.skd)
    .map((r) => `${r.registrationNo},${r.sim.plan.skd!.twk},${r.sim.plan.skd!.tiu},${r.sim.plan.skd!.tkp}`);
  await importCsv(ctx, 'skd', 'registration_no,twk,tiu,tkp', rows);
  await waitJobs(ctx, [imported('skd')], 'SKD: nilai dikirim ke peserta');
  await ctx.api.post(
    `${ctx.base}/rankings/skb_selection`,
    {},
    { ...ctx.hr, idempotencyKey: `${ctx.o.roundId}-rank-skb` },
  );
  await waitJobs(ctx, [imported('skd'), ranked('skb_selection')], 'SKD: penetapan peserta SKB');
  await advance(ctx, 'skd', 'Nilai SKD diimpor dan peserta SKB ditetapkan');
}

/** 6. SKB, then the final ranking with optimalisasi; the instant the final windows start. */
async function skbAndFinal(ctx: RoundContext): Promise<number> {
  const selection = await ctx.api.getAll<RankingRow>(`${ctx.base}/rankings/skb_selection`, ctx.hr);
  const selected = selection
    .filter((s) => s.result === 'selected')
    .map((s) => ctx.byNo.get(s.registrationNo)!)
    .filter((r) => r.sim.plan.skb !== null);
  const rows = selected.map(
    (r) =>
      `${r.registrationNo},${r.sim.plan.skb},${r.sim.jabatan.code === 'DINKES-PERAWAT' ? r.sim.plan.interview : ''}`,
  );
  await importCsv(ctx, 'skb', 'registration_no,skb,interview', rows);
  await waitJobs(ctx, [imported('skb')], 'SKB: nilai dikirim ke peserta');
  await ctx.api.post(`${ctx.base}/rankings/final`, {}, { ...ctx.hr, idempotencyKey: `${ctx.o.roundId}-rank-final` });
  const s = await waitJobs(ctx, [imported('skb'), ranked('final')], 'hasil akhir dikirim ke peserta');
  const finalSent = Date.parse(s.jobs.find((j) => ranked('final')(j.job))!.finishedAt!);
  await advance(ctx, 'skb', 'Nilai SKB diimpor dan hasil akhir ditetapkan');
  // A final window starts at the later of the result's arrival and the final announcement.
  return Math.max(finalSent, await announcedAt(ctx, 'final', 'pengumuman akhir dikirim ke peserta'));
}

/** The candidates the final ranking passed (lulus, lulus optimalisasi). */
async function winners(ctx: RoundContext): Promise<Registered[]> {
  const finals = await ctx.api.getAll<RankingRow>(`${ctx.base}/rankings/final`, ctx.hr);
  return finals
    .filter((f) => f.result === 'lulus' || f.result === 'lulus_optimalisasi')
    .map((f) => ctx.byNo.get(f.registrationNo)!);
}

/**
 * The candidate's DRH, sent until their form is open ("wrong stage" until the final result reaches
 * it). "Window closed" is retried for half a minute: HR's extension reaches each candidate a
 * moment after the round takes it (the round's notice job), and reopens the form.
 */
async function fileDrh(ctx: RoundContext, w: Registered): Promise<void> {
  const req = w.sim.request;
  for (let closedTries = 0; ;) {
    const res = await ctx.api.request('POST', `/registrations/${w.registrationNo}/drh`, {
      body: {
        drh: sampleDrh({
          index: w.sim.index,
          fullName: req.fullName,
          birthDate: req.birthDate,
          sex: req.sex,
          educationLevel: req.education.level,
          program: req.education.program,
        }),
      },
      token: w.token,
      ...ctx.retry,
      idempotencyKey: `${ctx.o.roundId}-drh-${w.sim.index}`,
      accept: (st, code) => st === 409 && (code === 'WRONG_STAGE' || (code === 'WINDOW_CLOSED' && closedTries < 60)),
    });
    if (res.status === 200) break;
    if ((res.body as { error?: { code?: string } } | undefined)?.error?.code === 'WINDOW_CLOSED') closedTries += 1;
    await sleep(500);
  }
}

/** 7. DRH by the successful candidates; NIP and SK follow. */
async function drhAndAppointment(ctx: RoundContext): Promise<void> {
  const filing = (await winners(ctx)).filter((w) => w.sim.plan.submitsDrh);
  let done = 0;
  await pool(filing, ctx.conc, async (w) => {
    await fileDrh(ctx, w);
    ctx.progress('DRH', ++done, filing.length);
  });
  let appointed = 0;
  while (appointed < filing.length) {
    appointed = (await ctx.api.get<{ appointed: number }>(`${ctx.base}/funnel`, ctx.hr)).appointed;
    ctx.progress('penetapan NIP', appointed, filing.length);
    if (appointed < filing.length) await sleep(500);
  }
}

/**
 * HR names the appointee's atasan langsung and records Latsar and health; their NIP (none when
 * they have no NIP yet). The CPNS must stay a CPNS until the year of probation is over.
 */
async function startCareer(ctx: RoundContext, sup: Person, w: Registered): Promise<string | undefined> {
  const { api, o, retry, hr } = ctx;
  const s = await api.get<{ nip: string | null }>(`/registrations/${w.registrationNo}`, { token: w.token, ...retry });
  if (!s.nip) return undefined;
  const c = `/careers/${s.nip}`;
  // Keyed by registration number: a key becomes the Update id in the career's history, and a NIP spells the birth date.
  const once = (what: string): { idempotencyKey: string } => ({
    idempotencyKey: `${o.roundId}-${what}-${w.registrationNo}`,
  });
  // The career workflow is started by the appointment: its row may take a moment.
  for (let i = 0; ; i++) {
    const r = await api.request('PUT', `${c}/supervisor`, {
      token: o.hr.token,
      body: { supervisor: sup.username, unitHead: sup.username, reason: 'Penempatan awal CPNS pada unit formasi' },
      ...retry,
      ...once('supervisor'),
      accept: (st) => st === 404 && i < 100,
    });
    if (r.status === 200) break;
    await sleep(300);
  }
  await api.post(`${c}/probation/latsar`, { passed: true }, { ...hr, ...once('latsar') });
  const st = await api.post<{ status: string; probation: { endsAt: string } | null }>(
    `${c}/probation/health`,
    { healthy: true },
    { ...hr, ...once('health') },
  );
  // Recorded early, they decide nothing yet: the CPNS → PNS decision comes when the year of
  // probation from TMT is over (the career tests walk that year on the time-skipping server).
  if (st.status !== 'cpns' || !st.probation?.endsAt)
    throw new Error(`karier ${s.nip}: seharusnya masih CPNS sampai masa percobaan berakhir, didapat ${st.status}`);
  return s.nip;
}

/**
 * 8. The first steps of the careers: HR names the atasan langsung and records Latsar and health.
 *    The CPNS stays a CPNS until the year of probation from TMT is over; the decision, the first
 *    SKP plan and the yearly evaluations come later (the career tests walk those years on the
 *    time-skipping server).
 */
async function probation(ctx: RoundContext, sup: Person, careers: string[]): Promise<void> {
  const appointedRegs = (await winners(ctx)).filter((w) => w.sim.plan.submitsDrh);
  let done = 0;
  await pool(appointedRegs, ctx.conc, async (w) => {
    const nip = await startCareer(ctx, sup, w);
    if (!nip) return;
    careers.push(nip);
    ctx.progress('karier: atasan, Latsar dan surat sehat', ++done, appointedRegs.length);
  });
}

/**
 * 9. HR closes the round: the DRH deadline is now (candidates who did not file are gugur); the
 *    final masa sanggah of those not passing ends on its own. Done when every candidate has ended.
 */
async function closing(ctx: RoundContext, finalSent: number): Promise<RoundState> {
  await advance(ctx, 'final_announcement', 'Semua DRH yang akan diisi sudah masuk');
  await settle(ctx, ctx.registered, finalSent + ctx.sanggahMs + 1_000, (st) => st.outcome === null, 'peserta selesai');
  return roundState(ctx);
}

export async function driveRound(o: DriverOptions): Promise<DriverResult> {
  const clock = o.clock ?? realClock;
  const dayMs = o.dayMs ?? 2_000;
  const retry = { retryForMs: o.retryForMs ?? 60_000 };
  const spec = layoutSchedule(await clock.now());
  const { config, candidates } = syntheticRound({
    roundId: o.roundId,
    candidates: o.candidates,
    seed: o.seed,
    budgetYear: o.budgetYear,
    schedule: spec,
    dayMs,
    nikOffset: o.nikOffset,
  });
  const ctx: RoundContext = {
    o,
    api: o.api,
    clock,
    conc: o.concurrency ?? 8,
    retry,
    hr: { token: o.hr.token, ...retry },
    log: o.log ?? (() => undefined),
    progress: o.progress ?? (() => undefined),
    base: `/rounds/${o.roundId}`,
    sanggahMs: (config.schedule.sanggahDays ?? 3) * dayMs,
    stages: [],
    registered: [],
    refused: [],
    byNo: new Map(),
  };
  await stage(ctx, 'konsultasi publik', () => consultation(ctx, config));
  await stage(ctx, 'pendaftaran', () => registration(ctx, candidates));
  for (const r of ctx.registered) ctx.byNo.set(r.registrationNo, r);
  const submitted = ctx.registered.filter((r) => r.documentsSubmitted);
  await stage(ctx, 'verifikasi administrasi', () => verification(ctx, submitted));
  await stage(ctx, 'sanggah administrasi', () => sanggah(ctx, submitted));
  const eligible = submitted.filter((r) => !r.sim.plan.tms || (r.appealFiled && r.sim.plan.appealAccepted));
  await stage(ctx, 'SKD', () => skd(ctx, eligible));
  const finalSent = await stage(ctx, 'SKB dan pemeringkatan akhir', () => skbAndFinal(ctx));
  await stage(ctx, 'DRH dan penetapan NIP', () => drhAndAppointment(ctx));
  const careers: string[] = [];
  const sup = o.supervisor;
  if (sup) await stage(ctx, 'karier: masa percobaan', () => probation(ctx, sup, careers));
  const finalState = await stage(ctx, 'penutupan', () => closing(ctx, finalSent));
  return {
    roundId: o.roundId,
    candidates,
    registered: ctx.registered,
    refused: ctx.refused,
    lostTokens: ctx.registered.filter((r) => r.lostToken).length,
    stages: ctx.stages,
    careers,
    finalState,
  };
}
