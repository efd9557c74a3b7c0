import { setHandler } from '@temporalio/workflow';
import { addMonths, RATINGS, type Rating } from '../../domain';
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
  reject,
  setExpectationsUpdate,
  unitSetDecidedSignal,
} from '../../contracts';
import { note } from './io';
import { at, evaluators, iso, type CareerState } from './state';

/**
 * The career's message handlers. Each writes its effect into the state before its first `await`
 * (so its validator rejects a repeat that arrives while the first is still being recorded), then
 * records the event; the steps wait for `allHandlersFinished` before they decide on that state.
 */
export function installHandlers(st: CareerState): void {
  setHandler(careerStatusQuery, () => st.s);
  probationHandlers(st);
  skpHandlers(st);
  decisionHandlers(st);
}

function probationHandlers(st: CareerState): void {
  const { s } = st;
  /** Latsar and health are each recorded once, while the CPNS is in probation (before or after its end). */
  const once =
    (recorded: () => boolean | null, message: string) =>
    (_: unknown): void => {
      if (s.stage !== 'probation' || recorded() !== null) reject('WRONG_STAGE', message);
    };
  setHandler(
    recordLatsarUpdate,
    async ({ actor, passed }) => {
      s.probation!.latsar = passed;
      await note(st, passed ? 'latsar lulus' : 'latsar tidak lulus', actor);
      return s;
    },
    { validator: once(() => s.probation!.latsar, 'Hasil Latsar hanya dicatat sekali, selama masa percobaan') },
  );
  setHandler(
    recordHealthUpdate,
    async ({ actor, healthy }) => {
      s.probation!.healthy = healthy;
      await note(st, healthy ? 'sehat jasmani dan rohani' : 'tidak memenuhi syarat kesehatan', actor);
      return s;
    },
    {
      validator: once(() => s.probation!.healthy, 'Surat keterangan sehat hanya dicatat sekali, selama masa percobaan'),
    },
  );
  setHandler(
    extendProbationUpdate,
    async ({ actor, months, reason }) => {
      st.probationEnds = at(addMonths(iso(st.probationEnds).slice(0, 10), months), '00:00:00');
      s.probation!.endsAt = iso(st.probationEnds);
      await note(st, `masa percobaan diperpanjang ${months} bulan`, actor, reason);
      return s;
    },
    { validator: validateExtension(st) },
  );
  setHandler(
    decideProbationUpdate,
    async (d) => {
      st.probationDecision = d;
      const what = d.appoint ? 'diangkat menjadi PNS oleh pejabat' : 'diberhentikan sebagai CPNS oleh pejabat';
      await note(st, what, d.official, d.reason);
      return s;
    },
    {
      validator: ({ reason }: { official: string; appoint: boolean; reason: string }) => {
        if (s.stage !== 'probation_decision' || st.probationDecision)
          reject('WRONG_STAGE', 'Tidak ada keputusan masa percobaan yang menunggu');
        if (!reason?.trim()) reject('INVALID_DECISION', 'Alasan keputusan wajib');
      },
    },
  );
}

const validateExtension =
  (st: CareerState) =>
  ({ months, reason }: { actor: string; months: number; reason: string }): void => {
    if (st.s.stage !== 'probation') reject('WRONG_STAGE', 'Tidak dalam masa percobaan');
    if (!Number.isInteger(months) || months < 1 || months > 12) reject('INVALID_DECISION', 'Perpanjangan 1–12 bulan');
    if (!reason?.trim()) reject('INVALID_DECISION', 'Alasan perpanjangan (bukan karena kesalahan CPNS) wajib dicatat');
  };

function skpHandlers(st: CareerState): void {
  const { s } = st;
  setHandler(
    setExpectationsUpdate,
    async ({ supervisor, expectations }) => {
      s.expectations = expectations;
      await note(st, 'ekspektasi kinerja (SKP) ditetapkan', supervisor, undefined, { items: expectations.length });
      return s;
    },
    { validator: validateExpectations(st) },
  );
  setHandler(
    checkInUpdate,
    async ({ supervisor, period, notes }) => {
      s.checkIns.push(period);
      await note(st, `dialog kinerja periode ${period}`, supervisor, notes);
      return s;
    },
    { validator: validateCheckIn(st) },
  );
  setHandler(
    evaluateUpdate,
    (e) => {
      st.evaluation = e;
      return s;
    },
    { validator: validateEvaluation(st) },
  );
}

const validateExpectations =
  ({ s }: CareerState) =>
  ({ supervisor, expectations }: { supervisor: string; expectations: string[] }): void => {
    if (supervisor !== s.supervisor) reject('NOT_ASSIGNED', 'Hanya atasan langsung yang menetapkan ekspektasi');
    if (s.status !== 'pns' || s.expectations)
      reject('WRONG_STAGE', 'Ekspektasi tahun ini sudah ditetapkan atau belum waktunya');
    if (
      !Array.isArray(expectations) ||
      expectations.length === 0 ||
      expectations.length > 20 ||
      expectations.some((e) => typeof e !== 'string' || !e.trim())
    )
      reject('INVALID_EVALUATION', '1–20 butir ekspektasi');
  };

const validateCheckIn =
  ({ s, input }: CareerState) =>
  ({ supervisor, period }: { supervisor: string; period: number; notes: string }): void => {
    if (supervisor !== s.supervisor) reject('NOT_ASSIGNED', 'Hanya atasan langsung');
    const valid = Number.isInteger(period) && period >= 1 && period <= input.checkInsPerYear;
    if (s.status !== 'pns' || !valid || s.checkIns.includes(period))
      reject('WRONG_STAGE', `Periode 1–${input.checkInsPerYear}, sekali masing-masing`);
  };

const validateEvaluation =
  (st: CareerState) =>
  ({ evaluator, hasilKerja, perilaku }: { evaluator: string; hasilKerja: Rating; perilaku: Rating }): void => {
    const { stage } = st.s;
    if (stage !== 'evaluation' && stage !== 'returned' && stage !== 're_evaluation')
      reject('WRONG_STAGE', 'Penilaian tidak sedang dibuka');
    if (st.evaluation) reject('ALREADY_DECIDED', 'Penilaian sudah diterima dan sedang diproses');
    if (!evaluators(st).includes(evaluator))
      reject('NOT_ASSIGNED', 'Penilai harus atasan langsung (atau kepala unit setelah eskalasi)');
    if (!(RATINGS as readonly string[]).includes(hasilKerja) || !(RATINGS as readonly string[]).includes(perilaku))
      reject('INVALID_EVALUATION', `Rating: ${RATINGS.join(', ')}`);
  };

function decisionHandlers(st: CareerState): void {
  const { s } = st;
  setHandler(
    decideRecommendationUpdate,
    (d) => {
      st.recommendationDecision = d;
      return s;
    },
    {
      validator: ({ reason }: { official: string; approved: boolean; reason: string }) => {
        if (!s.pendingRecommendation || st.recommendationDecision)
          reject('WRONG_STAGE', 'Tidak ada rekomendasi yang menunggu keputusan');
        if (!reason?.trim()) reject('INVALID_DECISION', 'Alasan keputusan wajib');
      },
    },
  );
  setHandler(
    assignSupervisorUpdate,
    async ({ actor, supervisor, unitHead, reason }) => {
      s.supervisor = supervisor;
      s.unitHead = unitHead;
      await note(st, `atasan langsung: ${supervisor}; kepala unit: ${unitHead}`, actor, reason);
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
    if (d.year === st.input.summary.year && d.attempt === st.attempt)
      st.unitDecision = { accepted: d.accepted, reason: d.reason };
  });
}
