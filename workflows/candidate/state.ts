import { proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { SanggahStage } from '../../domain';
import type { CandidateActivities } from '../../activities/candidate';
import {
  stageAttr,
  type CandidateInput,
  type CandidateStage,
  type CandidateStatus,
  type FinalResultSignal,
  type RoundAnnouncedSignal,
  type SkbScoreSignal,
  type SkbSelectionSignal,
  type SkdResultSignal,
} from '../../contracts';

// Short, idempotent PostgreSQL writes: local activities keep the history small (one marker each).
export const db = proxyLocalActivities<CandidateActivities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['NIP_SEQUENCE_EXHAUSTED'],
  },
});

export const now = (): number => Date.now();
export const iso = (ms: number = now()): string => new Date(ms).toISOString();

/** Where a candidate's path stops early: its outcome and the reason kept with it. */
export interface Ending {
  outcome: Exclude<CandidateStatus['outcome'], null | 'appointed'>;
  why: string;
}

/** The open sanggah window: which decision it follows and when it opens (undefined: not yet announced). */
export interface SanggahWindow {
  stage: SanggahStage;
  opens: () => number | undefined;
}

/**
 * Everything one candidate's workflow knows: the status its query answers, the messages the
 * round sent (by phase key, so a resumed batch changes nothing twice), the open sanggah window.
 * Handlers change it before their first `await`; the steps read it.
 */
export interface CandidateState {
  input: CandidateInput;
  /** A day of the day-counted windows: 24 h, or shorter in a simulation round. */
  day: number;
  schedule: CandidateInput['schedule'];
  seen: Set<string>;
  s: CandidateStatus;
  ctx: { registrationNo: string; roundId: string };
  skd?: SkdResultSignal;
  /** When the latest SKD result and final result arrived (their signal's task). */
  skdAt?: number;
  finalAt?: number;
  selection?: SkbSelectionSignal;
  skbScore?: SkbScoreSignal;
  final?: FinalResultSignal;
  announced: Partial<Record<RoundAnnouncedSignal['announcement'], number>>;
  drh?: Record<string, unknown>;
  window: SanggahWindow;
}

export function newState(input: CandidateInput): CandidateState {
  const schedule = { ...input.schedule };
  return {
    input,
    day: input.dayMs ?? 86_400_000,
    schedule,
    seen: new Set<string>(),
    ctx: { registrationNo: input.registrationNo, roundId: input.roundId },
    announced: {},
    window: { stage: 'administrasi', opens: () => undefined },
    s: {
      registrationNo: input.registrationNo,
      roundId: input.roundId,
      formationId: input.formationId,
      stage: 'documents',
      outcome: null,
      deadlines: { documents: schedule.registrationCloses },
      documents: [],
      reviewer: null,
      administrasi: null,
      sanggah: null,
      skd: null,
      skb: null,
      final: null,
      nip: null,
      warnings: input.warnings,
      decisions: [],
    },
  };
}

/** Keeps a decision with who, when and why (the wording comes from domain/decision-wording.ts). */
export function decide(st: CandidateState, d: { what: string; why?: string }, who: string): void {
  st.s.decisions.push({ what: d.what, who, when: iso(), ...(d.why ? { why: d.why } : {}) });
}

export function setStage(st: CandidateState, stage: CandidateStage): void {
  st.s.stage = stage;
  upsertSearchAttributes([{ key: stageAttr, value: stage }]);
}

/** The end of the open sanggah window (Infinity while its announcement has not come). */
export function sanggahWindowEnd(st: CandidateState): number {
  const opens = st.window.opens();
  return opens === undefined ? Infinity : opens + st.input.schedule.sanggahDays * st.day;
}
