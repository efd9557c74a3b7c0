import { allHandlersFinished, condition } from '@temporalio/workflow';
import { instantMs, type SanggahStage, skdOutcome, skdTotal, wording } from '../../domain';
import type { CandidateStatus } from '../../contracts';
import { waitForDeadline } from '../deadline';
import { type CandidateState, db, decide, type Ending, iso, now, sanggahWindowEnd, setStage } from './state';

type Key = 'registrationCloses' | 'drhDeadline';

/** Waits until the handlers running now have written what they accepted (safe message handlers). */
export const handlersFinished = (): Promise<void> => condition(allHandlersFinished);

/**
 * When a deadline's timer fires, the round's record is asked whether HR moved it: the round
 * writes an extension before anything else and its notice reaches the candidates after the jobs
 * queued before it (a whole round's results, minutes at full size), so an extension made near
 * the deadline must not depend on the notice. The answer updates this candidate's copy.
 */
const confirmWith = (st: CandidateState, key: Key, instant: () => number) => async (): Promise<number> => {
  const recorded = await db.roundDeadline({ roundId: st.input.roundId, key });
  if (recorded && instantMs(recorded) > instantMs(st.schedule[key])) st.schedule[key] = recorded;
  return instant();
};

/**
 * Sleeps until `due()` (woken early when the round moves it, or when `done()` holds); true when
 * `done()` held. With `confirm`, a timer that fires first asks the round's record whether that
 * schedule instant moved. At the deadline it waits for the handlers still writing a message
 * accepted before it, so the decision is taken with everything accepted in time.
 */
async function until(st: CandidateState, due: () => number, done: () => boolean, confirm?: Key): Promise<boolean> {
  const inTime = await waitForDeadline(due, done, confirm && confirmWith(st, confirm, due));
  await handlersFinished();
  return inTime || done();
}
const scheduled = (st: CandidateState, key: Key) => (): number => instantMs(st.schedule[key]);

/** Assigns a reviewer task; a silent reviewer is replaced by another at the deadline, never an automatic decision. */
async function review(
  st: CandidateState,
  kind: 'verification' | 'sanggah',
  stage: string,
  firstDue: number,
  decided: () => boolean,
): Promise<void> {
  const tried: string[] = [];
  let due = firstDue;
  for (let attempt = 1; ; attempt++) {
    const task = await db.assignTask({ ...st.ctx, kind, stage, attempt, exclude: tried, dueAt: iso(due), at: iso() });
    st.s.reviewer = task.reviewer;
    st.s.deadlines[`${kind}Reviewer`] = iso(due);
    tried.push(task.reviewer);
    if (attempt > 1) decide(st, wording.escalation(kind, task.reviewer), 'sistem');
    await condition(decided, Math.max(due - now(), 1));
    await handlersFinished();
    if (decided()) return;
    due = now() + st.input.reviewerSlaDays * st.day;
  }
}

/**
 * A sanggah window: it starts when the candidate's result is announced (`opens()`; undefined
 * while the announcement has not come — the stage is sanggah, the window not yet open) and lasts
 * sanggahDays. Returns true when an appeal was filed and accepted; false when none was filed in
 * the window, it was rejected, or (administrasi) the SKD participants were announced unanswered.
 */
async function sanggah(st: CandidateState, stage: SanggahStage, opens: () => number | undefined): Promise<boolean> {
  st.window = { stage, opens };
  st.s.sanggah = null;
  delete st.s.deadlines.sanggah;
  setStage(st, 'sanggah');
  if (opens() === undefined) {
    await db.recordStage({ ...st.ctx, stage: 'sanggah', at: iso() });
    await condition(() => opens() !== undefined);
  }
  const end = (): number => sanggahWindowEnd(st);
  st.s.deadlines.sanggah = iso(end());
  const window = { stage, opensAt: iso(opens()), closesAt: iso(end()) };
  await db.recordStage({ ...st.ctx, stage: 'sanggah', window, at: iso() });
  if (!(await until(st, end, () => st.s.sanggah !== null))) return false;
  const answerDue = Math.max(end(), now()) + st.input.schedule.jawabSanggahDays * st.day;
  const overtaken = (): boolean => stage === 'administrasi' && st.announced.skd_participants !== undefined;
  await review(st, 'sanggah', stage, answerDue, () => st.s.sanggah?.accepted !== null || overtaken());
  return st.s.sanggah!.accepted === true;
}

/** 1. Documents, until registration closes (resubmission allowed until then). */
export async function collectDocuments(st: CandidateState): Promise<Ending | undefined> {
  const submitted = (): boolean => st.s.documents.length > 0;
  await until(st, scheduled(st, 'registrationCloses'), () => false, 'registrationCloses');
  if (!submitted()) return { outcome: 'documents_missing', why: 'dokumen tidak dikirim sampai pendaftaran ditutup' };
}

/** 2–3. Administrative check by an assigned reviewer (escalated when silent); a TMS may be appealed. */
export async function checkAdministrasi(st: CandidateState): Promise<Ending | undefined> {
  setStage(st, 'verification');
  const firstDue = Math.max(instantMs(st.schedule.verificationDeadline), now() + st.day);
  await review(st, 'verification', 'administrasi', firstDue, () => st.s.administrasi !== null);
  if (st.s.administrasi === 'MS') return;
  const appealable = st.input.sanggahStages.includes('administrasi');
  // The TMS decision waits for the round's administrasi announcement: the window starts then.
  if (!appealable || !(await sanggah(st, 'administrasi', () => st.announced.administrasi)))
    return st.s.sanggah?.filedAt && st.s.sanggah.accepted === null
      ? { outcome: 'tms', why: 'sanggah belum dijawab saat peserta SKD diumumkan' }
      : { outcome: 'tms', why: 'tidak memenuhi syarat administrasi' };
  st.s.administrasi = 'MS';
}

/** 4. SKD (last year's score reused when flagged); a score below the minima may be appealed. */
export async function sitSkd(st: CandidateState): Promise<Ending | undefined> {
  const failed: Ending = { outcome: 'skd_failed', why: 'nilai SKD di bawah ambang batas' };
  const reused = st.input.reusedSkd;
  for (;;) {
    setStage(st, 'awaiting_skd');
    if (!reused) await condition(() => st.skd !== undefined);
    if (!reused && st.skd!.absent) return { outcome: 'skd_failed', why: 'tidak hadir pada SKD' };
    const scores = reused ?? st.skd!.scores;
    const outcome = skdOutcome(scores, st.input.category, st.input.passingGrades);
    const reusedFromYear = reused?.fromYear ?? null;
    st.s.skd = { ...scores, total: skdTotal(scores), passed: outcome.passed, reusedFromYear };
    decide(st, wording.skd(outcome.passed, outcome.checks), 'sistem');
    await db.recordSkd({
      ...st.ctx,
      scores,
      passed: outcome.passed,
      passingGroup: outcome.group,
      checks: outcome.checks,
      reusedFromYear,
      at: iso(),
    });
    if (outcome.passed) return;
    if (!st.input.sanggahStages.includes('skd') || reused) return failed;
    const opens = st.skdAt; // the SKD result is the SKD announcement: the window starts with its arrival
    st.skd = undefined;
    if (!(await sanggah(st, 'skd', () => opens))) return failed; // accepted: waits for the corrected score
  }
}

/** 5. SKB selection (from the round's ranking) and score. */
export async function sitSkb(st: CandidateState): Promise<Ending | undefined> {
  setStage(st, 'awaiting_skb_selection');
  await condition(() => st.selection !== undefined);
  const { selected, skdRank } = st.selection!;
  st.s.skb = { selected, skdRank, score: null };
  decide(st, wording.skbSelection(selected, skdRank), 'sistem');
  await db.recordSkbSelection({ ...st.ctx, selected, skdRank, at: iso() });
  if (!selected) return { outcome: 'not_selected_for_skb', why: 'di luar 3 × kuota formasi' };

  setStage(st, 'awaiting_skb_score');
  await condition(() => st.skbScore !== undefined);
  if (st.skbScore!.absent) return { outcome: 'tidak_lulus', why: 'tidak hadir pada SKB' };
  st.s.skb.score = st.skbScore!.score;
  await db.recordSkbScore({ ...st.ctx, score: st.skbScore!.score, at: iso() });
}

/** 6. Final result (with a sanggah when the round opens one). */
export async function finalResult(st: CandidateState): Promise<Ending | undefined> {
  for (;;) {
    setStage(st, 'awaiting_final');
    await condition(() => st.final !== undefined);
    const f = st.final!;
    st.s.final = { result: f.result, score: f.display, rank: f.rank, placementFormationId: f.placementFormationId };
    decide(st, wording.final(f.result, f.display, f.rank), 'sistem');
    await db.recordFinal({ ...st.ctx, result: f, at: iso() });
    if (f.result !== 'tidak_lulus') return;
    const failed: Ending = { outcome: 'tidak_lulus', why: `peringkat ${f.rank}` };
    if (!st.input.sanggahStages.includes('final')) return failed;
    // The window starts at the later of the result's arrival and the round's final announcement.
    const arrived = st.finalAt!;
    const opens = (): number | undefined => st.announced.final && Math.max(arrived, st.announced.final);
    st.final = undefined;
    if (!(await sanggah(st, 'final', opens))) return failed; // accepted: waits for the corrected result
  }
}

/** 7. Appointment: DRH before its deadline, then NIP and SK. */
export async function appoint(st: CandidateState): Promise<Ending | undefined> {
  setStage(st, 'appointment');
  st.s.deadlines.drh = st.schedule.drhDeadline;
  if (!(await until(st, scheduled(st, 'drhDeadline'), () => st.drh !== undefined, 'drhDeadline')))
    return { outcome: 'drh_missed', why: 'DRH tidak diisi sampai batas waktu (gugur)' };
  const appointment = await db.appoint({
    ...st.ctx,
    formationId: st.s.final!.placementFormationId ?? st.input.formationId,
    usulDate: iso().slice(0, 10),
    at: iso(),
  });
  st.s.nip = appointment.nip;
  decide(st, wording.appointed(appointment.nip, appointment.skNumber, appointment.tmt), 'sistem');
  st.s.outcome = 'appointed';
  setStage(st, 'appointed');
}

/** Ends the path early: the outcome, its reason, the stage `ended` in the status and in PostgreSQL. */
export async function end(st: CandidateState, { outcome, why }: Ending): Promise<CandidateStatus> {
  // Ended in a sanggah window with no appeal accepted: a sanggah row for it is not this process's.
  const voidSanggah = st.s.stage === 'sanggah' && !st.s.sanggah?.filedAt ? st.window.stage : undefined;
  st.s.outcome = outcome;
  decide(st, wording.ended(outcome, why), 'sistem');
  setStage(st, 'ended');
  await db.recordStage({ ...st.ctx, stage: 'ended', outcome, reason: why, at: iso(), voidSanggah });
  return st.s;
}
