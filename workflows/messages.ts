/**
 * Every signal, update, query and search attribute of the workflows, in one place. The API and
 * the activities import these definitions; workflows import them too.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type {
  Category,
  DocumentKind,
  PassingGrades,
  RoundConfig,
  RoundSchedule,
  SanggahStage,
  ScoreTerm,
  SkdScores,
  Sex,
} from '../domain';

export const TASK_QUEUE = 'asn-recruitment';

export const roundIdAttr = defineSearchAttributeKey('RoundId', SearchAttributeType.KEYWORD);
export const formationIdAttr = defineSearchAttributeKey('FormationId', SearchAttributeType.KEYWORD);
export const stageAttr = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);

export const roundWorkflowId = (roundId: string): string => `round/${roundId}`;
export const candidateWorkflowId = (registrationNo: string): string => `candidate/${registrationNo}`;
/**
 * A career's workflow id: its opaque career id (chosen at the appointment, stored in
 * appointments/careers.career_id), never the NIP — a NIP spells the birth date and the sex.
 */
export const careerWorkflowId = (careerId: string): string => `career/${careerId}`;

// ---- recruitmentRound ----
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
  | { kind: 'schedule'; key: keyof CandidateInput['schedule']; to: string; seq: number };

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

// ---- candidate ----

export const CANDIDATE_STAGES = [
  'documents',
  'verification',
  'sanggah',
  'awaiting_skd',
  'awaiting_skb_selection',
  'awaiting_skb_score',
  'awaiting_final',
  'appointment',
  'appointed',
  'ended',
] as const;
export type CandidateStage = (typeof CANDIDATE_STAGES)[number];

export type CandidateOutcome =
  | 'appointed'
  | 'tms' // tidak memenuhi syarat administrasi
  | 'documents_missing'
  | 'skd_failed'
  | 'not_selected_for_skb'
  | 'tidak_lulus'
  | 'drh_missed'; // gugur: DRH not submitted in time

/** Everything a candidate workflow needs; personal data (NIK, name) stays in PostgreSQL. */
export interface CandidateInput {
  registrationNo: string;
  roundId: string;
  formationId: string;
  category: Category;
  requiredDocuments: DocumentKind[];
  passingGrades: PassingGrades;
  sanggahStages: SanggahStage[];
  schedule: {
    registrationCloses: string;
    verificationDeadline: string;
    announcementAt: string;
    sanggahDays: number;
    jawabSanggahDays: number;
    drhDeadline: string;
  };
  /** Days a reviewer has for a task before it escalates to another reviewer. */
  reviewerSlaDays: number;
  /** NIK/birth-date mismatch and the like, shown to the reviewer; never a rejection. */
  warnings: { code: string; message: string }[];
  /** Simulation rounds only: the length of a day-counted window's day (absent = 24 h). */
  dayMs?: number;
  /** Last year's SKD, reused instead of sitting SKD this year (same NIK and education level). */
  reusedSkd?: SkdScores & { fromYear: number };
}

export interface Decision {
  what: string;
  who: string;
  when: string;
  why?: string;
}

export interface DocumentRef {
  kind: DocumentKind;
  documentId: string;
  sha256: string;
}

export interface DocumentDecision {
  kind: DocumentKind;
  result: 'MS' | 'TMS';
  reason?: string;
}

export interface CandidateStatus {
  registrationNo: string;
  roundId: string;
  formationId: string;
  stage: CandidateStage;
  outcome: CandidateOutcome | null;
  deadlines: Record<string, string>;
  documents: DocumentRef[];
  reviewer: string | null;
  administrasi: 'MS' | 'TMS' | null;
  sanggah: {
    stage: SanggahStage;
    reason: string;
    filedAt: string;
    accepted: boolean | null;
    answer: string | null;
  } | null;
  skd: (SkdScores & { total: number; passed: boolean; reusedFromYear: number | null }) | null;
  skb: { selected: boolean; skdRank: number | null; score: number | null } | null;
  final: {
    result: 'lulus' | 'lulus_optimalisasi' | 'tidak_lulus';
    score: string;
    rank: number;
    placementFormationId: string | null;
  } | null;
  nip: string | null;
  warnings: { code: string; message: string }[];
  decisions: Decision[];
}

export const candidateStatusQuery = defineQuery<CandidateStatus>('status');

export const submitDocumentsUpdate = defineUpdate<CandidateStatus, [{ documents: DocumentRef[] }]>('submitDocuments');
export const verifyDocumentsUpdate = defineUpdate<
  CandidateStatus,
  [{ reviewer: string; decisions: DocumentDecision[] }]
>('verifyDocuments');
export const fileSanggahUpdate = defineUpdate<CandidateStatus, [{ reason: string }]>('fileSanggah');
export const answerSanggahUpdate = defineUpdate<
  CandidateStatus,
  [{ reviewer: string; accepted: boolean; answer: string }]
>('answerSanggah');
export const submitDrhUpdate = defineUpdate<CandidateStatus, [{ drh: Record<string, unknown> }]>('submitDrh');

/** Round → candidate signals; each carries its phase key so a resumed batch changes nothing twice. */
export interface SkdResultSignal {
  phaseKey: string;
  scores: SkdScores;
  correction?: boolean;
  /** Did not sit the test: no score to judge. */
  absent?: boolean;
}
export interface SkbSelectionSignal {
  phaseKey: string;
  selected: boolean;
  skdRank: number | null;
}
export interface SkbScoreSignal {
  phaseKey: string;
  score: number;
  absent?: boolean;
}
export interface FinalResultSignal {
  phaseKey: string;
  result: 'lulus' | 'lulus_optimalisasi' | 'tidak_lulus';
  scaled: number;
  scale: number;
  display: string;
  rank: number;
  placementFormationId: string | null;
  breakdown: ScoreTerm[];
}
export interface ScheduleChangedSignal {
  phaseKey: string;
  key: keyof CandidateInput['schedule'];
  to: string;
}

export const skdResultSignal = defineSignal<[SkdResultSignal]>('skdResult');
export const skbSelectionSignal = defineSignal<[SkbSelectionSignal]>('skbSelection');
export const skbScoreSignal = defineSignal<[SkbScoreSignal]>('skbScore');
export const finalResultSignal = defineSignal<[FinalResultSignal]>('finalResult');
export const scheduleChangedSignal = defineSignal<[ScheduleChangedSignal]>('scheduleChanged');

export type { Sex };
