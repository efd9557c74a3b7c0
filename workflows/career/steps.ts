import { continueAsNew } from '@temporalio/workflow';
import {
  addDays,
  addMonths,
  firstSkpYear,
  followUp,
  isPoor,
  LADDER_LABELS,
  type Predikat,
  predikatKinerja,
  retirementDate,
} from '../../domain';
import type { CareerInput, CareerStatus, CareerSummary } from '../../contracts';
import { anchor, db, note, settle, waitFor, waitUntil } from './io';
import { at, ctxOf, DAY, iso, today, type CareerState } from './state';

type Career = (input: CareerInput) => Promise<CareerStatus>;

// ---- Probation (the first run) ----

/** The CPNS's career opens: its row and the first entry of its audit chain. */
export async function openCareer(st: CareerState): Promise<void> {
  const { registrationNo, unit, jabatan } = st.input;
  await db.openCareer({ ...ctxOf(st), registrationNo, unit, jabatan, at: iso() });
}

/**
 * Waits for the end of probation — one year after TMT, later by each extension — and for Latsar and
 * health to be on record (a reminder when either is missing at the end). Recording them early
 * decides nothing: the CPNS stays a CPNS until the year is over.
 */
export async function probationEnds(st: CareerState): Promise<void> {
  const recorded = (): boolean => st.s.probation!.latsar !== null && st.s.probation!.healthy !== null;
  for (;;) {
    const ends = st.probationEnds;
    const extended = (): boolean => st.probationEnds !== ends;
    if (await waitUntil(ends, extended)) continue;
    if (recorded()) return;
    await note(st, 'pengingat: hasil Latsar/kesehatan belum dicatat pada akhir masa percobaan', 'sistem');
    await waitFor(() => recorded() || extended());
    if (!extended()) return;
  }
}

/** The conditions of the appointment as PNS that are not met (Latsar passed, healthy), in words. */
export function unmetConditions(st: CareerState): string[] {
  const p = st.s.probation!;
  return [...(p.latsar ? [] : ['tidak lulus Latsar']), ...(p.healthy ? [] : ['tidak memenuhi syarat kesehatan'])];
}

/** A condition not met: recorded with its reasons, and a named official decides (appoint or dismiss). */
export async function officialAppoints(st: CareerState, unmet: string[]): Promise<boolean> {
  st.s.stage = 'probation_decision';
  await note(st, 'menunggu keputusan pejabat atas hasil masa percobaan', 'sistem', unmet.join('; '));
  await waitFor(() => st.probationDecision !== undefined);
  return st.probationDecision!.appoint;
}

/** CPNS → PNS on the day of the decision; the first yearly run continues as new. */
export async function becomePns(st: CareerState): Promise<never> {
  const pnsDate = today();
  await db.recordPns({ ...ctxOf(st), pnsDate, at: iso() });
  await anchor(st);
  return nextRun(st, {
    year: firstSkpYear(pnsDate),
    status: 'pns',
    recentPredikat: [],
    ladderPosition: null,
    reEvaluationDue: null,
  });
}

// ---- A PNS year ----

export const retiresThisYear = (st: CareerState): boolean =>
  Number(retirementDate(st.input.birthDate, st.input.retirementAge).slice(0, 4)) <= st.input.summary.year;

/** The year retirement age is reached: wait for the TMT of retirement and end. */
export async function retire(st: CareerState): Promise<CareerStatus> {
  const { birthDate, retirementAge } = st.input;
  const retireAt = retirementDate(birthDate, retirementAge);
  st.s.stage = 'pre_retirement';
  await waitUntil(at(retireAt, '00:00:00'), () => false);
  return finish(st, 'retired', `batas usia pensiun ${retirementAge} tahun (TMT pensiun ${retireAt})`);
}

/** A re-evaluation six months after a poor predikat; its deadline is 30 days after it opens. */
export async function reEvaluation(st: CareerState, due: number): Promise<Predikat> {
  await waitUntil(due, () => false);
  return evaluate(st, due + 30 * DAY, 're-evaluation');
}

/** SKP planning: the supervisor sets the year's expectations by 31 January (a reminder if not). */
export async function planning(st: CareerState): Promise<void> {
  st.s.stage = 'planning';
  if (!(await waitUntil(at(`${st.input.summary.year}-01-31`), () => st.s.expectations !== null)))
    await note(st, 'pengingat: ekspektasi kinerja tahun ini belum ditetapkan', 'sistem');
}

/** Execution: one check-in per period (a reminder at the end of each period missed); the last ends on 30 November. */
export async function checkIns(st: CareerState): Promise<void> {
  const { year: Y } = st.input.summary;
  const n = st.input.checkInsPerYear;
  st.s.stage = 'execution';
  const evaluationOpens = at(`${Y}-11-30`);
  for (let k = 1; k <= n; k++) {
    const periodEnd = Math.min(at(addDays(addMonths(`${Y}-01-01`, Math.round((12 / n) * k)), -1)), evaluationOpens);
    if (!(await waitUntil(periodEnd, () => st.s.checkIns.includes(k))))
      await note(st, `pengingat: dialog kinerja periode ${k} belum dilakukan`, 'sistem');
  }
  await waitUntil(evaluationOpens, () => st.evaluation !== undefined);
}

/** The annual evaluation, due 31 December. */
export const annualEvaluation = (st: CareerState): Promise<Predikat> =>
  evaluate(st, at(`${st.input.summary.year}-12-31`), 'annual');

/** One evaluation (annual or re-evaluation) through the unit's distribution rule; returns the accepted predikat. */
async function evaluate(st: CareerState, deadline: number, kind: 'annual' | 're-evaluation'): Promise<Predikat> {
  st.s.stage = kind === 'annual' ? 'evaluation' : 're_evaluation';
  await evaluationGiven(st, deadline);
  for (;;) {
    const predikat = await submitEvaluation(st, kind);
    const { accepted, reason } = st.unitDecision!;
    st.evaluation = undefined;
    if (accepted) {
      st.s.predikat = predikat;
      return predikat;
    }
    st.s.stage = 'returned';
    st.s.events.push({
      what: 'penilaian dikembalikan kepada penilai',
      who: 'sistem',
      when: iso(),
      why: reason ?? undefined,
    });
    await waitFor(() => st.evaluation !== undefined);
  }
}

/** Waits for the evaluation: a reminder at the deadline, a second 14 days on, escalation to the unit head at 30. */
async function evaluationGiven(st: CareerState, deadline: number): Promise<void> {
  const given = (): boolean => st.evaluation !== undefined;
  if (await waitUntil(deadline, given)) return;
  await note(st, 'pengingat: penilaian kinerja belum diisi', 'sistem', `tenggat ${iso(deadline)}`);
  if (await waitUntil(deadline + 14 * DAY, given)) return;
  await note(st, 'pengingat kedua: penilaian kinerja belum diisi', 'sistem');
  if (await waitUntil(deadline + 30 * DAY, given)) return;
  st.s.escalatedTo = st.s.unitHead;
  await note(
    st,
    `eskalasi penilaian kepada kepala unit ${st.s.unitHead}`,
    'sistem',
    'atasan langsung tidak menilai dalam 30 hari',
  );
  await waitFor(given);
}

/** Submits the evaluation in hand and waits for the unit's answer when its set is not complete yet. */
async function submitEvaluation(st: CareerState, kind: 'annual' | 're-evaluation'): Promise<Predikat> {
  const e = st.evaluation!;
  st.attempt += 1;
  st.unitDecision = undefined;
  const predikat = predikatKinerja(e.hasilKerja, e.perilaku);
  const { evaluator, hasilKerja, perilaku } = e;
  const r = await db.submitEvaluation({
    ...ctxOf(st),
    ...{ attempt: st.attempt, unit: st.input.unit, evaluator, hasilKerja, perilaku, predikat, kind, at: iso() },
  });
  const what = `penilaian ${kind === 'annual' ? 'tahunan' : 'ulang'}: ${predikat}`;
  st.s.events.push({ what, who: evaluator, when: iso() });
  if (r.status !== 'submitted') st.unitDecision = { accepted: r.status === 'accepted', reason: r.reason };
  else {
    st.s.stage = 'awaiting_unit';
    await waitFor(() => st.unitDecision !== undefined);
  }
  return predikat;
}

/** Follow-up by the domain; a ladder step waits for a named official's decision (a reminder after 30 days). */
export async function followUpOf(st: CareerState, predikat: Predikat): Promise<void> {
  const { s } = st;
  s.stage = 'follow_up';
  const f = followUp(predikat, s.ladderPosition);
  await db.recordFollowUp({ ...ctxOf(st), seq: 100 + s.events.length, predikat, followUp: f, at: iso() });
  s.events.push({ what: `tindak lanjut: ${f.message}`, who: 'sistem', when: iso() });
  if (!f.recommendation) {
    if (!isPoor(predikat)) s.ladderPosition = null;
    return;
  }
  const step = f.recommendation;
  s.pendingRecommendation = step;
  st.recommendationDecision = undefined;
  const decided = (): boolean => st.recommendationDecision !== undefined;
  if (!(await waitUntil(Date.now() + 30 * DAY, decided))) {
    await note(st, `pengingat: rekomendasi ${LADDER_LABELS[step]} menunggu keputusan pejabat`, 'sistem');
    await waitFor(decided);
  }
  const { official, approved, reason } = st.recommendationDecision!;
  await db.recordDecision({ ...ctxOf(st), seq: 200 + s.events.length, step, official, approved, reason, at: iso() });
  const what = `${LADDER_LABELS[step]}: ${approved ? 'disetujui' : 'tidak disetujui'}`;
  s.events.push({ what, who: official, when: iso(), why: reason });
  if (approved) s.ladderPosition = step;
  s.pendingRecommendation = null;
}

/** An official approved the last step of the ladder. */
export const dismissalApproved = (st: CareerState): boolean => st.s.ladderPosition === 'dismissal_recommendation';

/** The year's end: the summary (last three predikat, the ladder, a re-evaluation due) into the next run. */
export async function closeYear(st: CareerState, predikat: Predikat): Promise<never> {
  const { year: Y, recentPredikat } = st.input.summary;
  const recent = [...recentPredikat, { year: Y, predikat }].slice(-3);
  const reEvaluationDue = isPoor(predikat) ? iso(Date.now() + 182 * DAY) : null;
  await waitUntil(at(`${Y}-12-31`), () => false);
  await anchor(st);
  const ladderPosition = st.s.ladderPosition;
  return nextRun(st, { year: Y + 1, status: 'pns', recentPredikat: recent, ladderPosition, reEvaluationDue });
}

/** Continues as new once every handler has finished, with the current supervisor and unit head. */
async function nextRun(st: CareerState, summary: CareerSummary): Promise<never> {
  await settle();
  return continueAsNew<Career>({ ...st.input, supervisor: st.s.supervisor, unitHead: st.s.unitHead, summary });
}

/** The career ends (retirement or dismissal): recorded, anchored, and the workflow returns its status. */
export async function finish(st: CareerState, stage: 'retired' | 'dismissed', why: string): Promise<CareerStatus> {
  st.s.stage = stage;
  await db.endCareer({ ...ctxOf(st), reason: why, stage, at: iso() });
  await anchor(st);
  st.s.events.push({ what: stage === 'retired' ? 'pensiun' : 'diberhentikan', who: 'sistem', when: iso(), why });
  await settle();
  return st.s;
}
