import { probationEnd, type Rating } from '../../domain';
import type { CareerInput, CareerStatus } from '../../contracts';

const WIB = '+07:00';
/** A WIB wall-clock time on a date, as epoch ms (the end of that day by default). */
export const at = (date: string, time = '23:59:00'): number => Date.parse(`${date}T${time}${WIB}`);
export const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();
/** Today's date in WIB (the workflow's deterministic clock). */
export const today = (): string => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
export const DAY = 86_400_000;

export interface Evaluation {
  evaluator: string;
  hasilKerja: Rating;
  perilaku: Rating;
}

/**
 * Everything one run of the career knows. The handlers (handlers.ts) write it before their first
 * `await`, so a validator already sees a message that is still being recorded; the steps
 * (steps.ts) read it after `condition(allHandlersFinished)`.
 */
export interface CareerState {
  readonly input: CareerInput;
  /** What the careerStatus query answers. */
  readonly s: CareerStatus;
  /** The last career-event number written this run (events are keyed by nip, year, seq). */
  seq: number;
  /** When probation ends (epoch ms): one year after TMT, later by each extension. */
  probationEnds: number;
  probationDecision?: { official: string; appoint: boolean; reason: string };
  evaluation?: Evaluation;
  /** The evaluation attempt the unit's distribution rule answers (signal unitSetDecided). */
  attempt: number;
  unitDecision?: { accepted: boolean; reason: string | null };
  recommendationDecision?: { approved: boolean; official: string; reason: string };
}

export function newState(input: CareerInput): CareerState {
  const { summary } = input;
  const probationEnds = summary.status === 'cpns' ? at(probationEnd(input.tmt), '00:00:00') : 0;
  return {
    input,
    s: {
      nip: input.nip,
      year: summary.year,
      stage: summary.status === 'cpns' ? 'probation' : 'planning',
      status: summary.status,
      supervisor: input.supervisor,
      unitHead: input.unitHead,
      escalatedTo: null,
      probation: summary.status === 'cpns' ? { latsar: null, healthy: null, endsAt: iso(probationEnds) } : null,
      expectations: null,
      checkInsPerYear: input.checkInsPerYear,
      checkIns: [],
      predikat: null,
      ladderPosition: summary.ladderPosition,
      pendingRecommendation: null,
      events: [],
    },
    seq: 0,
    probationEnds,
    attempt: 0,
  };
}

/** The keys every write of this run carries. */
export const ctxOf = (st: CareerState): { nip: string; year: number } => ({
  nip: st.input.nip,
  year: st.input.summary.year,
});

/** Who may evaluate now: the supervisor, and the unit head once the evaluation was escalated. */
export const evaluators = (st: CareerState): string[] => [
  st.s.supervisor,
  ...(st.s.escalatedTo ? [st.s.escalatedTo] : []),
];
