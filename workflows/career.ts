import { condition, continueAsNew, patched, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import {
  addDays,
  addMonths,
  followUp,
  retirementDate,
  isPoor,
  LADDER_LABELS,
  type LadderStep,
  type Predikat,
  predikatKinerja,
  RATINGS,
  type Rating,
} from '../domain';
import type { CareerActivities } from '../activities/career';
import type { AuditActivities } from '../activities/audit';
import {
  assignSupervisorUpdate,
  careerStatusQuery,
  checkInUpdate,
  decideProbationUpdate,
  decideRecommendationUpdate,
  evaluateUpdate,
  extendProbationUpdate,
  recordHealthUpdate,
  recordLatsarUpdate,
  setExpectationsUpdate,
  unitSetDecidedSignal,
  type CareerInput,
  type CareerStatus,
} from '../contracts';
import { reject } from '../contracts';

const db = proxyLocalActivities<CareerActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** The signed checkpoint of the career's audit chain goes into the history: a (recorded) activity. */
const audit = proxyLocalActivities<AuditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const DAY = 86_400_000;
const WIB = '+07:00';
const at = (date: string, time = '23:59:00'): number => Date.parse(`${date}T${time}${WIB}`);
const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();
const today = (): string => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
/**
 * A civil servant's career, id `career/<careerId>` (opaque, never the NIP): probation (Latsar and health, HR updates), then
 * one yearly SKP cycle per run — expectations, check-ins, annual evaluation, the unit's
 * distribution rule, follow-up — and `continueAsNew` at the year's end with only the summary.
 * Nothing on the Peraturan BKN 3/2020 ladder happens by itself: each step is a recommendation a
 * named official decides. Retirement age ends the workflow.
 */
export async function career(input: CareerInput): Promise<CareerStatus> {
  const { summary } = input;
  const s: CareerStatus = {
    nip: input.nip,
    year: summary.year,
    stage: summary.status === 'cpns' ? 'probation' : 'planning',
    status: summary.status,
    supervisor: input.supervisor,
    unitHead: input.unitHead,
    escalatedTo: null,
    probation: null,
    expectations: null,
    checkIns: [],
    predikat: null,
    ladderPosition: summary.ladderPosition,
    pendingRecommendation: null,
    events: [],
  };
  const ctx = { nip: input.nip, year: summary.year };
  let seq = 0;
  const note = async (kind: string, who: string, why?: string, detail: Record<string, unknown> = {}): Promise<void> => {
    s.events.push({ what: kind, who, when: iso(), ...(why ? { why } : {}) });
    seq += 1;
    await db.recordCareerEvent({ ...ctx, seq, kind, actor: who, reason: why ?? null, detail, at: iso() });
  };
  /** The chain's head, signed, into this history: at the probation decision and at each year's end. */
  const anchor = async (): Promise<void> => {
    if (patched('audit-anchor')) await audit.anchorAuditHead({ scope: 'career', id: input.nip });
  };
  const evaluators = (): string[] => [s.supervisor, ...(s.escalatedTo ? [s.escalatedTo] : [])];

  let latsarPending = false;
  let healthPending = false;
  let probationPending = false;
  let expectationsPending = false;
  const checkInsPending: number[] = [];
  let latsarDecided = false;
  let healthDecided = false;
  let probationDecision: boolean | undefined;
  let probationEnds = summary.status === 'cpns' ? at(addMonths(input.tmt, 12), '00:00:00') : 0;
  let extensions = 0;
  let evaluation: { evaluator: string; hasilKerja: Rating; perilaku: Rating } | undefined;
  let unitDecision: { accepted: boolean; reason: string | null } | undefined;
  let attempt = 0;
  let recommendationDecision: { approved: boolean; official: string; reason: string } | undefined;

  setHandler(careerStatusQuery, () => s);
  // Handlers write first and change what the main routine waits on only afterwards, so a replay
  // (where the write's result is already in the history) interleaves exactly as the original run.
  setHandler(
    recordLatsarUpdate,
    async ({ actor, passed }) => {
      latsarPending = true;
      await note(passed ? 'latsar lulus' : 'latsar tidak lulus', actor);
      s.probation!.latsar = passed;
      latsarDecided = true;
      return s;
    },
    {
      validator: (_: { actor: string; passed: boolean }) => {
        if (s.stage !== 'probation' || latsarDecided || latsarPending)
          reject('WRONG_STAGE', 'Hasil Latsar hanya dicatat sekali, selama masa percobaan');
      },
    },
  );
  setHandler(
    recordHealthUpdate,
    async ({ actor, healthy }) => {
      healthPending = true;
      await note(healthy ? 'sehat jasmani dan rohani' : 'tidak memenuhi syarat kesehatan', actor);
      s.probation!.healthy = healthy;
      healthDecided = true;
      return s;
    },
    {
      validator: (_: { actor: string; healthy: boolean }) => {
        if (s.stage !== 'probation' || healthDecided || healthPending)
          reject('WRONG_STAGE', 'Surat keterangan sehat hanya dicatat sekali, selama masa percobaan');
      },
    },
  );
  setHandler(
    extendProbationUpdate,
    async ({ actor, months, reason }) => {
      await note(`masa percobaan diperpanjang ${months} bulan`, actor, reason);
      probationEnds = at(addMonths(iso(probationEnds).slice(0, 10), months), '00:00:00');
      s.probation!.endsAt = iso(probationEnds);
      extensions += 1;
      return s;
    },
    {
      validator: ({ months, reason }: { actor: string; months: number; reason: string }) => {
        if (s.stage !== 'probation') reject('WRONG_STAGE', 'Tidak dalam masa percobaan');
        if (!Number.isInteger(months) || months < 1 || months > 12)
          reject('INVALID_DECISION', 'Perpanjangan 1–12 bulan');
        if (!reason?.trim())
          reject('INVALID_DECISION', 'Alasan perpanjangan (bukan karena kesalahan CPNS) wajib dicatat');
      },
    },
  );
  setHandler(
    decideProbationUpdate,
    async ({ official, appoint, reason }) => {
      probationPending = true;
      await note(
        appoint ? 'diangkat menjadi PNS oleh pejabat' : 'diberhentikan sebagai CPNS oleh pejabat',
        official,
        reason,
      );
      probationDecision = appoint;
      return s;
    },
    {
      validator: ({ reason }: { official: string; appoint: boolean; reason: string }) => {
        if (s.stage !== 'probation_decision' || probationDecision !== undefined || probationPending)
          reject('WRONG_STAGE', 'Tidak ada keputusan masa percobaan yang menunggu');
        if (!reason?.trim()) reject('INVALID_DECISION', 'Alasan keputusan wajib');
      },
    },
  );
  setHandler(
    setExpectationsUpdate,
    async ({ supervisor, expectations }) => {
      expectationsPending = true;
      await note('ekspektasi kinerja (SKP) ditetapkan', supervisor, undefined, { items: expectations.length });
      s.expectations = expectations;
      return s;
    },
    {
      validator: ({ supervisor, expectations }: { supervisor: string; expectations: string[] }) => {
        if (supervisor !== s.supervisor) reject('NOT_ASSIGNED', 'Hanya atasan langsung yang menetapkan ekspektasi');
        if (s.status !== 'pns' || s.expectations || expectationsPending)
          reject('WRONG_STAGE', 'Ekspektasi tahun ini sudah ditetapkan atau belum waktunya');
        if (
          !Array.isArray(expectations) ||
          expectations.length === 0 ||
          expectations.length > 20 ||
          expectations.some((e) => typeof e !== 'string' || !e.trim())
        )
          reject('INVALID_EVALUATION', '1–20 butir ekspektasi');
      },
    },
  );
  setHandler(
    checkInUpdate,
    async ({ supervisor, period, notes }) => {
      checkInsPending.push(period);
      await note(`dialog kinerja periode ${period}`, supervisor, notes);
      s.checkIns.push(period);
      return s;
    },
    {
      validator: ({ supervisor, period }: { supervisor: string; period: number; notes: string }) => {
        if (supervisor !== s.supervisor) reject('NOT_ASSIGNED', 'Hanya atasan langsung');
        if (
          s.status !== 'pns' ||
          !Number.isInteger(period) ||
          period < 1 ||
          period > input.checkInsPerYear ||
          s.checkIns.includes(period) ||
          checkInsPending.includes(period)
        )
          reject('WRONG_STAGE', `Periode 1–${input.checkInsPerYear}, sekali masing-masing`);
      },
    },
  );
  setHandler(
    evaluateUpdate,
    async (e) => {
      evaluation = e;
      return s;
    },
    {
      validator: ({ evaluator, hasilKerja, perilaku }: { evaluator: string; hasilKerja: Rating; perilaku: Rating }) => {
        if (s.stage !== 'evaluation' && s.stage !== 'returned' && s.stage !== 're_evaluation')
          reject('WRONG_STAGE', 'Penilaian tidak sedang dibuka');
        if (evaluation) reject('ALREADY_DECIDED', 'Penilaian sudah diterima dan sedang diproses');
        if (!evaluators().includes(evaluator))
          reject('NOT_ASSIGNED', 'Penilai harus atasan langsung (atau kepala unit setelah eskalasi)');
        if (!(RATINGS as readonly string[]).includes(hasilKerja) || !(RATINGS as readonly string[]).includes(perilaku))
          reject('INVALID_EVALUATION', `Rating: ${RATINGS.join(', ')}`);
      },
    },
  );
  setHandler(
    decideRecommendationUpdate,
    async (d) => {
      recommendationDecision = d;
      return s;
    },
    {
      validator: ({ reason }: { official: string; approved: boolean; reason: string }) => {
        if (!s.pendingRecommendation || recommendationDecision)
          reject('WRONG_STAGE', 'Tidak ada rekomendasi yang menunggu keputusan');
        if (!reason?.trim()) reject('INVALID_DECISION', 'Alasan keputusan wajib');
      },
    },
  );
  setHandler(
    assignSupervisorUpdate,
    async ({ actor, supervisor, unitHead, reason }) => {
      // The reason becomes the event's and the audit row's `why` (undefined in older histories,
      // which therefore replay the same local activity input as before).
      await note(`atasan langsung: ${supervisor}; kepala unit: ${unitHead}`, actor, reason);
      s.supervisor = supervisor;
      s.unitHead = unitHead;
      return s;
    },
    {
      validator: ({
        supervisor,
        unitHead,
      }: {
        actor: string;
        supervisor: string;
        unitHead: string;
        reason?: string;
      }) => {
        if (!supervisor?.trim() || !unitHead?.trim())
          reject('INVALID_DECISION', 'Atasan langsung dan kepala unit wajib diisi');
      },
    },
  );
  setHandler(unitSetDecidedSignal, (d) => {
    if (d.year === summary.year && d.attempt === attempt) unitDecision = { accepted: d.accepted, reason: d.reason };
  });

  const waitUntil = async (ms: number, done: () => boolean): Promise<boolean> =>
    done() ? true : condition(done, Math.max(ms - Date.now(), 1));
  const finish = async (stage: 'retired' | 'dismissed', why: string): Promise<CareerStatus> => {
    s.stage = stage;
    await db.endCareer({ ...ctx, reason: why, stage, at: iso() });
    await anchor();
    s.events.push({ what: stage === 'retired' ? 'pensiun' : 'diberhentikan', who: 'sistem', when: iso(), why });
    return s;
  };

  // ---- Probation (first run) ----
  if (summary.status === 'cpns') {
    s.probation = { latsar: null, healthy: null, endsAt: iso(probationEnds) };
    await db.openCareer({
      ...ctx,
      registrationNo: input.registrationNo,
      unit: input.unit,
      jabatan: input.jabatan,
      at: iso(),
    });
    for (;;) {
      const seen = extensions;
      if (await waitUntil(probationEnds, () => (latsarDecided && healthDecided) || extensions !== seen)) {
        if (extensions !== seen) continue;
        break;
      }
      if (extensions !== seen) continue;
      await note('pengingat: hasil Latsar/kesehatan belum dicatat pada akhir masa percobaan', 'sistem');
      await condition(() => (latsarDecided && healthDecided) || extensions !== seen);
      if (latsarDecided && healthDecided) break;
    }
    let appoint = s.probation.latsar === true && s.probation.healthy === true;
    if (!appoint) {
      s.stage = 'probation_decision';
      await note(
        'menunggu keputusan pejabat atas hasil masa percobaan',
        'sistem',
        s.probation.latsar ? 'tidak memenuhi syarat kesehatan' : 'tidak lulus Latsar',
      );
      await condition(() => probationDecision !== undefined);
      appoint = probationDecision!;
      if (!appoint) return finish('dismissed', 'diberhentikan sebagai CPNS');
    }
    const pnsDate = today();
    await db.recordPns({ ...ctx, pnsDate, at: iso() });
    await anchor();
    await continueAsNew<typeof career>({
      ...input,
      supervisor: s.supervisor,
      unitHead: s.unitHead,
      summary: {
        year: Number(pnsDate.slice(0, 4)) + 1,
        status: 'pns',
        recentPredikat: [],
        ladderPosition: null,
        reEvaluationDue: null,
      },
    });
  }

  const Y = summary.year;
  const retireAt = retirementDate(input.birthDate, input.retirementAge);
  if (Number(retireAt.slice(0, 4)) <= Y) {
    s.stage = 'pre_retirement';
    await waitUntil(at(retireAt, '00:00:00'), () => false);
    return finish('retired', `batas usia pensiun ${input.retirementAge} tahun (TMT pensiun ${retireAt})`);
  }

  /** One evaluation (annual or re-evaluation) through the unit's distribution rule; returns the predikat. */
  const evaluate = async (deadline: number, kind: 'annual' | 're-evaluation'): Promise<Predikat> => {
    s.stage = kind === 'annual' ? 'evaluation' : 're_evaluation';
    const grace = patched('skp-evaluation-grace');
    if (!(await waitUntil(deadline, () => evaluation !== undefined))) {
      await note('pengingat: penilaian kinerja belum diisi', 'sistem', `tenggat ${iso(deadline)}`);
      // v2 gives the supervisor a second reminder 14 days on; v1 went straight to the 30-day escalation.
      if (grace && !(await waitUntil(deadline + 14 * DAY, () => evaluation !== undefined))) {
        await note('pengingat kedua: penilaian kinerja belum diisi', 'sistem');
      }
      if (!(await waitUntil(deadline + 30 * DAY, () => evaluation !== undefined))) {
        s.escalatedTo = s.unitHead;
        await note(
          `eskalasi penilaian kepada kepala unit ${s.unitHead}`,
          'sistem',
          'atasan langsung tidak menilai dalam 30 hari',
        );
        await condition(() => evaluation !== undefined);
      }
    }
    for (;;) {
      const e = evaluation!;
      attempt += 1;
      const predikat = predikatKinerja(e.hasilKerja, e.perilaku);
      unitDecision = undefined;
      const r = await db.submitEvaluation({
        ...ctx,
        attempt,
        unit: input.unit,
        evaluator: e.evaluator,
        hasilKerja: e.hasilKerja,
        perilaku: e.perilaku,
        predikat,
        kind,
        at: iso(),
      });
      s.events.push({
        what: `penilaian ${kind === 'annual' ? 'tahunan' : 'ulang'}: ${predikat}`,
        who: e.evaluator,
        when: iso(),
      });
      if (r.status === 'submitted') {
        s.stage = 'awaiting_unit';
        await condition(() => unitDecision !== undefined);
      } else unitDecision = { accepted: r.status === 'accepted', reason: r.reason };
      if (unitDecision!.accepted) {
        s.predikat = predikat;
        evaluation = undefined;
        return predikat;
      }
      s.stage = 'returned';
      s.events.push({
        what: 'penilaian dikembalikan kepada penilai',
        who: 'sistem',
        when: iso(),
        why: unitDecision!.reason ?? undefined,
      });
      evaluation = undefined;
      await condition(() => evaluation !== undefined);
    }
  };

  /** Follow-up by the domain; a ladder step waits for a named official's decision. */
  const followUpOf = async (predikat: Predikat): Promise<void> => {
    s.stage = 'follow_up';
    const f = followUp(predikat, s.ladderPosition);
    await db.recordFollowUp({ ...ctx, seq: 100 + s.events.length, predikat, followUp: f, at: iso() });
    s.events.push({ what: `tindak lanjut: ${f.message}`, who: 'sistem', when: iso() });
    if (!f.recommendation) {
      if (!isPoor(predikat)) s.ladderPosition = null;
      return;
    }
    s.pendingRecommendation = f.recommendation;
    recommendationDecision = undefined;
    if (!(await waitUntil(Date.now() + 30 * DAY, () => recommendationDecision !== undefined))) {
      await note(`pengingat: rekomendasi ${LADDER_LABELS[f.recommendation]} menunggu keputusan pejabat`, 'sistem');
      await condition(() => recommendationDecision !== undefined);
    }
    const d = recommendationDecision!;
    await db.recordDecision({
      ...ctx,
      seq: 200 + s.events.length,
      step: f.recommendation,
      official: d.official,
      approved: d.approved,
      reason: d.reason,
      at: iso(),
    });
    s.events.push({
      what: `${LADDER_LABELS[f.recommendation]}: ${d.approved ? 'disetujui' : 'tidak disetujui'}`,
      who: d.official,
      when: iso(),
      why: d.reason,
    });
    if (d.approved) s.ladderPosition = f.recommendation;
    s.pendingRecommendation = null;
  };

  // A re-evaluation six months after a poor predikat.
  if (summary.reEvaluationDue) {
    const due = Date.parse(summary.reEvaluationDue);
    await waitUntil(due, () => false);
    const p = await evaluate(due + 30 * DAY, 're-evaluation');
    await followUpOf(p);
    if (s.ladderPosition === ('dismissal_recommendation' satisfies LadderStep))
      return finish('dismissed', 'rekomendasi pemberhentian disetujui pejabat');
  }

  // ---- The year's SKP cycle ----
  s.stage = 'planning';
  if (!(await waitUntil(at(`${Y}-01-31`), () => s.expectations !== null)))
    await note('pengingat: ekspektasi kinerja tahun ini belum ditetapkan', 'sistem');
  s.stage = 'execution';
  // Check-in periods; the last one ends when the evaluation opens on 1 December.
  const evaluationOpens = at(`${Y}-11-30`);
  for (let k = 1; k <= input.checkInsPerYear; k++) {
    const periodEnd = Math.min(
      at(addDays(addMonths(`${Y}-01-01`, Math.round((12 / input.checkInsPerYear) * k)), -1)),
      evaluationOpens,
    );
    if (!(await waitUntil(periodEnd, () => s.checkIns.includes(k))))
      await note(`pengingat: dialog kinerja periode ${k} belum dilakukan`, 'sistem');
  }
  await waitUntil(evaluationOpens, () => evaluation !== undefined);
  const predikat = await evaluate(at(`${Y}-12-31`), 'annual');
  await followUpOf(predikat);
  if (s.ladderPosition === 'dismissal_recommendation')
    return finish('dismissed', 'rekomendasi pemberhentian disetujui pejabat');

  const recent = [...summary.recentPredikat, { year: Y, predikat }].slice(-3);
  const reEvaluationDue = isPoor(predikat) ? iso(Date.now() + 182 * DAY) : null;
  await waitUntil(at(`${Y}-12-31`), () => false);
  await anchor();
  return continueAsNew<typeof career>({
    ...input,
    supervisor: s.supervisor,
    unitHead: s.unitHead,
    summary: { year: Y + 1, status: 'pns', recentPredikat: recent, ladderPosition: s.ladderPosition, reEvaluationDue },
  });
}
