/** The candidate workflow: its input, status, queries, updates and signals. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Category, DocumentKind, PassingGrades, SanggahStage, ScoreTerm, SkdScores, Sex } from '../domain';

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

/**
 * What a round announces to its candidates (issue 16, fair windows). Sent by the round to every
 * candidate of the round once the announcement is out — never while a decision it rests on is
 * still open — with the instant the round made it (`at`, from the round's history, not the
 * instant a candidate receives it):
 * - `administrasi`: the administrative result. Each TMS candidate's administrasi sanggah window
 *   starts at `at` and lasts sanggahDays; no verification decision is accepted afterwards.
 * - `skd_participants`: the post-sanggah list of SKD participants (the round's `skd` phase);
 *   no administrasi sanggah answer is accepted afterwards.
 * - `final`: the final announcement (the round's `final_announcement` phase). A final sanggah
 *   window starts at the later of this `at` and the candidate's final result.
 */
export type AnnouncementKind = 'administrasi' | 'skd_participants' | 'final';
export interface RoundAnnouncedSignal {
  announcement: AnnouncementKind;
  at: string;
  phaseKey: string;
}
export const roundAnnouncedSignal = defineSignal<[RoundAnnouncedSignal]>('roundAnnounced');
