/** The recruitmentRound workflow: its input, state, queries, updates and signals. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RoundConfig, RoundSchedule } from '../domain';
import type { AnnouncementKind, CandidateInput } from './candidate';
export const ROUND_PHASES = [
  'draft',
  'consultation',
  'criteria_adoption',
  'registration',
  'administrative_check',
  'announcement',
  'skd',
  'skb',
  'final_announcement',
  'appointment',
  'closed',
] as const;
export type RoundPhase = (typeof ROUND_PHASES)[number];

export interface RoundInput {
  config: RoundConfig;
  createdBy: string;
}

export interface PhaseChange {
  phase: RoundPhase;
  at: string;
}

export interface DeadlineChange {
  key: keyof RoundSchedule;
  from: string;
  to: string;
  actor: string;
  reason: string;
  at: string;
}

export interface RoundState {
  roundId: string;
  name: string;
  agency: string;
  budgetYear: number;
  phase: RoundPhase;
  phases: PhaseChange[];
  schedule: RoundSchedule;
  deadlineChanges: DeadlineChange[];
  formations: { formationId: string; unit: string; jabatan: string; quota: number; category: string }[];
  criteriaVersion: number;
  criteriaAdopted: boolean;
  jobs: JobRecord[];
  /** The phase the round is holding back, and why (null when none): see RoundHold. */
  held: RoundHold | null;
}

/**
 * An open decision a phase waits for: a reviewer's task, or (taskId and reviewer null) one whose
 * task is not assigned yet. No personal data beyond the registration number and the reviewer's
 * username.
 */
export interface HeldTask {
  taskId: string | null;
  kind: 'verification' | 'sanggah';
  stage: string;
  reviewer: string | null;
  registrationNo: string;
}

/**
 * Why a phase has not begun although its instant has passed (issue 16, fair announcements): the
 * round does not announce a stage while a decision of that stage is open. `since` is when the hold
 * began, `until` the sanggah window end it also waits for (null: none), `openTasks` the open
 * reviewer tasks, `awaitingAssignment` decisions whose task is not assigned yet, `tasks` the
 * first of them (at most 50).
 */
export interface RoundHold {
  phase: RoundPhase;
  since: string;
  until: string | null;
  openTasks: number;
  awaitingAssignment: number;
  tasks: HeldTask[];
}

export interface ExtendDeadlineInput {
  key: keyof RoundSchedule;
  to: string;
  actor: string;
  reason: string;
}

export type RoundJob =
  | { kind: 'import'; importId: string; exam: 'skd' | 'skb'; correction: boolean; actor: string }
  | { kind: 'rank'; ranking: 'skb_selection' | 'final'; actor: string }
  | { kind: 'schedule'; key: keyof CandidateInput['schedule']; to: string; seq: number }
  /** roundAnnouncedSignal to every candidate of the round; `at` is the instant the round announced. */
  | { kind: 'announcement'; announcement: AnnouncementKind; at: string };

export interface JobRecord {
  job: RoundJob;
  requestedAt: string;
  finishedAt: string | null;
  signalled: number | null;
  skipped: number | null;
}

export interface AdoptCriteriaInput {
  actor: string;
  response: string;
  formations: { formationId: string; scoring: NonNullable<RoundConfig['formations'][number]['scoring']> }[];
}

export const roundStateQuery = defineQuery<RoundState>('roundState');
export const applyImportUpdate = defineUpdate<
  JobRecord,
  [{ importId: string; exam: 'skd' | 'skb'; correction: boolean; actor: string }]
>('applyImport');
export const rankUpdate = defineUpdate<JobRecord, [{ ranking: 'skb_selection' | 'final'; actor: string }]>('rank');
export const adoptCriteriaUpdate = defineUpdate<RoundState, [AdoptCriteriaInput]>('adoptCriteria');
export const extendDeadlineUpdate = defineUpdate<RoundState, [ExtendDeadlineInput]>('extendDeadline');
export const cancelRoundSignal = defineSignal<[{ actor: string; reason: string }]>('cancelRound');

/**
 * Simulation rounds only (config.simulation set; refused with NOT_SIMULATION for real rounds):
 * ends the wait of the current phase now, so the next phase begins when the driver's work for
 * this one is done instead of when a wall-clock timer fires (issue 20). HR only, audited with
 * the actor and the reason. Real rounds keep their timers and the forward-only extensions.
 */
export interface AdvancePhaseInput {
  actor: string;
  reason: string;
  /** The phase the caller believes is current; a stale request is refused (WRONG_PHASE). */
  from: RoundPhase;
}
export const advancePhaseUpdate = defineUpdate<RoundState, [AdvancePhaseInput]>('advancePhase');
