import { randomUUID } from 'node:crypto';
import type { RoundJob, RoundPhase, RoundState } from '../contracts';
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

export async function driveRound(o: DriverOptions): Promise<DriverResult> {
  const api = o.api;
  const clock = o.clock ?? realClock;
  const conc = o.concurrency ?? 8;
  const dayMs = o.dayMs ?? 2_000;
  const retry = { retryForMs: o.retryForMs ?? 60_000 };
  const log = o.log ?? (() => undefined);
  const progress = o.progress ?? (() => undefined);
  const hr = { token: o.hr.token, ...retry };
  const stages: StageTiming[] = [];
  const stage = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const startedAt = Date.now();
    log(`tahap: ${name}`);
    try {
      return await f();
    } finally {
      stages.push({ stage: name, startedAt, endedAt: Date.now() });
    }
  };

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
  const base = `/rounds/${o.roundId}`;

  const roundState = (): Promise<RoundState> => api.get<RoundState>(base, retry);
  /** HR ends the current phase now: the driver's work for it is done (a simulation round). */
  const advance = async (from: RoundPhase, reason: string): Promise<RoundState> => {
    for (let tries = 0; ; tries++) {
      // WRONG_PHASE while the round is between two steps (just recorded, a job being queued): once more.
      const r = await api.request<RoundState>('POST', `${base}/advance`, {
        ...hr,
        body: { from, reason },
        idempotencyKey: `${o.roundId}-advance-${from}`,
        accept: (st, code) => st === 409 && code === 'WRONG_PHASE' && tries < 40,
      });
      if (r.status === 200) {
        log(`tahap ${from} selesai; tahap ${r.body.phase} dimulai`);
        // The API reads the phase from PostgreSQL (registrations through a 1 s cache): let it catch up.
        await sleep(1_200);
        return r.body;
      }
      await sleep(250);
    }
  };
  /** Waits until the round records each of these jobs as finished (the API lists finished jobs). */
  const waitJobs = async (wanted: ((j: RoundJob) => boolean)[], label: string): Promise<RoundState> => {
    for (;;) {
      const s = await roundState();
      const done = wanted.filter((w) => s.jobs.some((j) => j.finishedAt && w(j.job))).length;
      progress(label, done, wanted.length);
      if (done === wanted.length) return s;
      await sleep(300);
    }
  };
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
  const settle = async (
    regs: Registered[],
    until: number,
    open: (st: { stage: string; outcome: string | null }) => boolean,
    label: string,
  ): Promise<void> => {
    if (regs.length) await clock.sleepUntil(until);
    let pending = regs;
    while (pending.length) {
      const still: Registered[] = [];
      await pool(pending, conc, async (r) => {
        const st = await api.get<{ stage: string; outcome: string | null }>(`/registrations/${r.registrationNo}`, hr);
        if (open(st)) still.push(r);
      });
      progress(label, regs.length - still.length, regs.length);
      pending = still;
      if (pending.length) await sleep(500);
    }
  };
  const sanggahMs = (config.schedule.sanggahDays ?? 3) * dayMs;
  /** Waits until the round's announcement has reached every candidate; the instant it was made (the windows start then). */
  const announcedAt = async (announcement: 'administrasi' | 'final', label: string): Promise<number> => {
    const made = (j: RoundJob): boolean => j.kind === 'announcement' && j.announcement === announcement;
    const job = (await waitJobs([made], label)).jobs.find((j) => made(j.job))!.job;
    return Date.parse((job as Extract<RoundJob, { kind: 'announcement' }>).at);
  };

  // 1. The round, its reviewers, the public consultation and the adopted criteria.
  await stage('konsultasi publik', async () => {
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
    await advance('draft', 'Rancangan kriteria diumumkan untuk konsultasi publik');
    for (const [i, c] of CONSULTATION_COMMENTS.entries()) {
      await api
        .post(`${base}/comments`, c, { retryForMs: retry.retryForMs, idempotencyKey: `${o.roundId}-comment-${i}` })
        .catch((e: ApiError) => log(`komentar tidak terkirim: ${e.message}`));
      progress('konsultasi publik', i + 1, CONSULTATION_COMMENTS.length);
    }
    await advance('consultation', 'Semua masukan publik simulasi sudah diterima');
    await api.post(`${base}/criteria`, ADOPTED_CRITERIA, { ...hr, idempotencyKey: `${o.roundId}-adopt` });
    await advance('criteria_adoption', 'Kriteria sudah ditetapkan');
  });

  // 2. Registration with uploads.
  const registered: Registered[] = [];
  const refused: { sim: SimCandidate; code: string }[] = [];
  await stage('pendaftaran', async () => {
    let done = 0;
    const work = pool(candidates, conc, async (sim) => {
      try {
        // A random key per registration (a guessable key is not a secret, and never needs to be).
        const key = randomUUID();
        type Answer = { registrationNo: string; token?: string; replayed?: boolean; workflowPending?: boolean };
        let r = (
          await api.request<Answer>('POST', `${base}/registrations`, {
            body: sim.request,
            ...retry,
            idempotencyKey: key,
          })
        ).body;
        const token = r.token ?? '';
        // 202: recorded, the workflow not started yet (Temporal down); the repeat starts it.
        for (let i = 0; r.workflowPending; i++) {
          await sleep(Math.min(2_000, 200 * 2 ** Math.min(i, 4)));
          r = (
            await api.request<Answer>('POST', `${base}/registrations`, {
              body: sim.request,
              ...retry,
              idempotencyKey: key,
            })
          ).body;
        }
        const reg: Registered = {
          sim,
          registrationNo: r.registrationNo,
          token,
          lostToken: !token,
          documentsSubmitted: false,
          appealFiled: false,
        };
        registered.push(reg);
        o.onRegistered?.(reg);
        if (reg.lostToken)
          log(
            `pendaftaran ${r.registrationNo}: jawaban pertama (berisi token) hilang; ulangan tidak memberi token lagi`,
          );
        if (sim.plan.submitsDocuments && !reg.lostToken) {
          const ids: string[] = [];
          for (const kind of [...BASE_DOCS, ...(sim.jabatan.extraDocuments ?? [])]) {
            const jpeg = ['pas_foto', 'swafoto', 'ktp'].includes(kind);
            const file = multipartFile(
              jpeg ? `${kind}.jpg` : `${kind}.pdf`,
              jpeg ? JPEG(`${r.registrationNo}-${kind}`) : PDF(`${r.registrationNo}-${kind}`),
              jpeg ? 'image/jpeg' : 'application/pdf',
            );
            const up = await api.request<{ documentId: string }>(
              'POST',
              `/registrations/${r.registrationNo}/documents/${kind}`,
              { token: reg.token, raw: file, ...retry },
            );
            ids.push(up.body.documentId);
          }
          await api.post(
            `/registrations/${r.registrationNo}/documents/submit`,
            { documentIds: ids },
            { token: reg.token, ...retry, idempotencyKey: `${o.roundId}-submit-${sim.index}` },
          );
          reg.documentsSubmitted = true;
        }
      } catch (err) {
        if (!(err instanceof ApiError) || err.status >= 500 || err.status === 0) throw err;
        refused.push({ sim, code: err.code });
      }
      progress('pendaftaran', ++done, candidates.length);
    });
    await work;
    await advance('registration', 'Semua pelamar simulasi sudah mendaftar dan mengirim dokumen');
  });
  const byNo = new Map(registered.map((r) => [r.registrationNo, r]));

  // 3. Administrative verification by the reviewers (their inbox), TMS with a reason.
  /** Each reviewer works their inbox until `expected` tasks of `kind` are decided. */
  const workInbox = async (kind: 'verification' | 'sanggah', expected: number, label: string): Promise<void> => {
    // Counted per candidate: a task a silent reviewer let pass its deadline is escalated to
    // another reviewer (a new task); the first reviewer's late answer is refused, never counted.
    const decided = new Set<string>();
    let idle = 0;
    while (decided.size < expected) {
      let progressed = false;
      await Promise.all(
        o.reviewers.map(async (rv) => {
          const tasks = await api.getAll<{ taskId: string; registrationNo: string; kind: string }>('/tasks', {
            token: rv.token,
            ...retry,
          });
          await pool(
            tasks.filter((t) => t.kind === kind && !decided.has(t.registrationNo)),
            Math.max(1, Math.floor(conc / o.reviewers.length)),
            async (t) => {
              const reg = byNo.get(t.registrationNo);
              if (!reg) return;
              const body =
                kind === 'verification'
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
              const moved = (s: number, c: string): boolean =>
                (s === 403 && c === 'NOT_ASSIGNED') || (s === 409 && (c === 'TASK_FINISHED' || c === 'WRONG_STAGE'));
              const r = await api.request('POST', `/tasks/${t.taskId}/decision`, {
                token: rv.token,
                body,
                ...retry,
                idempotencyKey: `${t.taskId}-decision`,
                accept: moved,
              });
              if (r.status !== 200) return; // escalated to another reviewer meanwhile: theirs now
              decided.add(t.registrationNo);
              progressed = true;
              progress(label, decided.size, expected);
            },
          );
        }),
      );
      if (!progressed) {
        idle += 1;
        if (idle % 40 === 0) log(`${label}: menunggu tugas (${decided.size}/${expected})`);
        await sleep(250);
      }
    }
  };
  const submitted = registered.filter((r) => r.documentsSubmitted);
  await stage('verifikasi administrasi', async () => {
    await workInbox('verification', submitted.length, 'verifikasi administrasi');
    await advance('administrative_check', 'Semua dokumen sudah diverifikasi');
  });

  // 4. Announcement and sanggah: the TMS candidates who appeal, the reviewers who answer.
  const appellants = submitted.filter((r) => r.sim.plan.tms && r.sim.plan.appeals);
  await stage('sanggah administrasi', async () => {
    // Each candidate's window starts when the round's announcement reaches it (roundAnnounced,
    // with the instant the round announced): filed once every candidate has it.
    const at = await announcedAt('administrasi', 'pengumuman dikirim ke peserta');
    await pool(appellants, conc, async (r) => {
      // Filed as soon as the candidate's window is open: "not eligible yet" is retried (for a
      // minute), "window closed" is final: one request each, no status polling in between.
      const closed = (s: number, c: string): boolean =>
        (s === 409 || s === 422) && (c === 'WINDOW_CLOSED' || c === 'NOT_ELIGIBLE_FOR_SANGGAH');
      let res: { status: number; body: unknown };
      for (let tries = 0; ; tries++) {
        res = await api.request('POST', `/registrations/${r.registrationNo}/sanggah`, {
          token: r.token,
          body: { reason: SANGGAH_TEXT },
          ...retry,
          idempotencyKey: `${o.roundId}-sanggah-${r.sim.index}`,
          accept: closed,
        });
        const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
        if (res.status === 200 || code !== 'NOT_ELIGIBLE_FOR_SANGGAH' || tries >= 120) break;
        await sleep(500);
      }
      r.appealFiled = res.status === 200;
      if (!r.appealFiled) log(`sanggah ${r.registrationNo} ditolak: masa sanggah sudah berakhir`);
    });
    await workInbox('sanggah', appellants.filter((a) => a.appealFiled).length, 'jawab sanggah');
    // The others' windows end on their own (masa sanggah); then the SKD participants are known.
    await settle(
      submitted.filter((r) => r.sim.plan.tms),
      at + sanggahMs + 1_000,
      (st) => st.outcome === null && (st.stage === 'sanggah' || st.stage === 'verification'),
      'masa sanggah administrasi berakhir',
    );
    await advance('announcement', 'Masa sanggah administrasi selesai; peserta SKD ditetapkan');
  });

  // 5. SKD: HR imports the CAT results, then the SKB cut (3 × formasi).
  const eligible = submitted.filter((r) => !r.sim.plan.tms || (r.appealFiled && r.sim.plan.appealAccepted));
  await stage('SKD', async () => {
    const rows = eligible
      .filter((r) => r.sim.plan.skd)
      .map((r) => `${r.registrationNo},${r.sim.plan.skd!.twk},${r.sim.plan.skd!.tiu},${r.sim.plan.skd!.tkp}`);
    await api.request('POST', `${base}/imports/skd`, {
      token: o.hr.token,
      raw: { data: ['registration_no,twk,tiu,tkp', ...rows].join('\n'), contentType: 'text/csv' },
      ...retry,
    });
    await waitJobs([imported('skd')], 'SKD: nilai dikirim ke peserta');
    await api.post(`${base}/rankings/skb_selection`, {}, { ...hr, idempotencyKey: `${o.roundId}-rank-skb` });
    await waitJobs([imported('skd'), ranked('skb_selection')], 'SKD: penetapan peserta SKB');
    await advance('skd', 'Nilai SKD diimpor dan peserta SKB ditetapkan');
  });

  // 6. SKB, then the final ranking with optimalisasi.
  let finalSent = 0;
  await stage('SKB dan pemeringkatan akhir', async () => {
    const selection = await api.getAll<{ registrationNo: string; result: string }>(
      `${base}/rankings/skb_selection`,
      hr,
    );
    const selected = selection
      .filter((s) => s.result === 'selected')
      .map((s) => byNo.get(s.registrationNo)!)
      .filter((r) => r.sim.plan.skb !== null);
    const rows = selected.map(
      (r) =>
        `${r.registrationNo},${r.sim.plan.skb},${r.sim.jabatan.code === 'DINKES-PERAWAT' ? r.sim.plan.interview : ''}`,
    );
    await api.request('POST', `${base}/imports/skb`, {
      token: o.hr.token,
      raw: { data: ['registration_no,skb,interview', ...rows].join('\n'), contentType: 'text/csv' },
      ...retry,
    });
    await waitJobs([imported('skb')], 'SKB: nilai dikirim ke peserta');
    await api.post(`${base}/rankings/final`, {}, { ...hr, idempotencyKey: `${o.roundId}-rank-final` });
    const s = await waitJobs([imported('skb'), ranked('final')], 'hasil akhir dikirim ke peserta');
    finalSent = Date.parse(s.jobs.find((j) => ranked('final')(j.job))!.finishedAt!);
    await advance('skb', 'Nilai SKB diimpor dan hasil akhir ditetapkan');
    // A final window starts at the later of the result's arrival and the final announcement.
    finalSent = Math.max(finalSent, await announcedAt('final', 'pengumuman akhir dikirim ke peserta'));
  });

  // 7. DRH by the successful candidates; NIP and SK follow.
  await stage('DRH dan penetapan NIP', async () => {
    const finals = await api.getAll<{ registrationNo: string; result: string }>(`${base}/rankings/final`, hr);
    const winners = finals
      .filter((f) => f.result === 'lulus' || f.result === 'lulus_optimalisasi')
      .map((f) => byNo.get(f.registrationNo)!);
    const filing = winners.filter((w) => w.sim.plan.submitsDrh);
    let done = 0;
    const work = pool(filing, conc, async (w) => {
      // Sent until the candidate's DRH form is open ("wrong stage" until the final result reaches
      // it). "Window closed" is retried for half a minute: HR's extension reaches each candidate a
      // moment after the round takes it (the round's notice job), and reopens the form.
      for (let closedTries = 0; ;) {
        const res = await api.request('POST', `/registrations/${w.registrationNo}/drh`, {
          body: {
            drh: sampleDrh({
              index: w.sim.index,
              fullName: w.sim.request.fullName,
              birthDate: w.sim.request.birthDate,
              sex: w.sim.request.sex,
              educationLevel: w.sim.request.education.level,
              program: w.sim.request.education.program,
            }),
          },
          token: w.token,
          ...retry,
          idempotencyKey: `${o.roundId}-drh-${w.sim.index}`,
          accept: (st, code) =>
            st === 409 && (code === 'WRONG_STAGE' || (code === 'WINDOW_CLOSED' && closedTries < 60)),
        });
        if (res.status === 200) break;
        if ((res.body as { error?: { code?: string } } | undefined)?.error?.code === 'WINDOW_CLOSED') closedTries += 1;
        await sleep(500);
      }
      progress('DRH', ++done, filing.length);
    });
    await work;
    let appointed = 0;
    while (appointed < filing.length) {
      appointed = (await api.get<{ appointed: number }>(`${base}/funnel`, hr)).appointed;
      progress('penetapan NIP', appointed, filing.length);
      if (appointed < filing.length) await sleep(500);
    }
  });

  // 8. The first steps of the careers: HR names the atasan langsung and records Latsar and health.
  //    The CPNS stays a CPNS until the year of probation from TMT is over; the decision, the first
  //    SKP plan and the yearly evaluations come later (the career tests walk those years on the
  //    time-skipping server).
  const careers: string[] = [];
  if (o.supervisor) {
    const sup = o.supervisor;
    await stage('karier: masa percobaan', async () => {
      const finals = await api.getAll<{ registrationNo: string; result: string }>(`${base}/rankings/final`, hr);
      const appointedRegs = finals
        .filter((f) => f.result === 'lulus' || f.result === 'lulus_optimalisasi')
        .map((f) => byNo.get(f.registrationNo)!)
        .filter((w) => w.sim.plan.submitsDrh);
      let done = 0;
      await pool(appointedRegs, conc, async (w) => {
        const s = await api.get<{ nip: string | null }>(`/registrations/${w.registrationNo}`, {
          token: w.token,
          ...retry,
        });
        if (!s.nip) return;
        const c = `/careers/${s.nip}`;
        // Keyed by registration number: a key becomes the Update id in the career's history, and a NIP spells the birth date.
        const once = (what: string): { idempotencyKey: string } => ({
          idempotencyKey: `${o.roundId}-${what}-${w.registrationNo}`,
        });
        // The career workflow is started by the appointment: its row may take a moment.
        for (let i = 0; ; i++) {
          const r = await api.request('PUT', `${c}/supervisor`, {
            token: o.hr.token,
            body: {
              supervisor: sup.username,
              unitHead: sup.username,
              reason: 'Penempatan awal CPNS pada unit formasi',
            },
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
          throw new Error(
            `karier ${s.nip}: seharusnya masih CPNS sampai masa percobaan berakhir, didapat ${st.status}`,
          );
        careers.push(s.nip);
        progress('karier: atasan, Latsar dan surat sehat', ++done, appointedRegs.length);
      });
    });
  }

  // 9. HR closes the round: the DRH deadline is now (candidates who did not file are gugur); the
  //    final masa sanggah of those not passing ends on its own. Done when every candidate has ended.
  const finalState = await stage('penutupan', async () => {
    await advance('final_announcement', 'Semua DRH yang akan diisi sudah masuk');
    await settle(registered, finalSent + sanggahMs + 1_000, (st) => st.outcome === null, 'peserta selesai');
    return roundState();
  });
  return {
    roundId: o.roundId,
    candidates,
    registered,
    refused,
    lostTokens: registered.filter((r) => r.lostToken).length,
    stages,
    careers,
    finalState,
  };
}
