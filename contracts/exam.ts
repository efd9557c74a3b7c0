/**
 * The online exam session workflow (issue 19, SKD by CAT): its input, state, queries, updates and
 * signals. One workflow per candidate and exam, id `exam/<sessionId>` (an opaque UUID chosen when
 * the session is created, stored in exam_sessions; no personal data).
 *
 * Secrets stay in PostgreSQL: the input carries item ids and option ids (never texts, never the
 * points of an option) and a seed; the order of items and of options comes from the seed
 * (domain/exam.ts, a pure function), and scoring runs in an activity that reads the keys of the
 * recorded bank versions. Answers are option ids of the bank (not screen positions).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ExamSubtest } from '../domain';

export const examWorkflowId = (sessionId: string): string => `exam/${sessionId}`;
/** The phase key of the SKD result an online session sends to the candidate workflow (as the CSV import's). */
export const EXAM_SKD_PHASE_KEY = 'skd';

export interface ExamItemRef {
  itemId: string;
  subtest: ExamSubtest;
  /** The option ids of the item, in bank order (no texts, no points). */
  options: string[];
}

export interface ExamSessionInput {
  sessionId: string;
  roundId: string;
  registrationNo: string;
  exam: 'skd';
  /** The bank and the version of each subtest's bank the items come from (the auditor re-derives with these). */
  bankId: string;
  bankVersions: Record<ExamSubtest, number>;
  /** The drawn items, grouped by subtest in TWK, TIU, TKP order (bank order within a subtest). */
  items: ExamItemRef[];
  /** Hex seed of the item and option order (recorded here, so in the history). */
  seed: string;
  /** The exam's length once started (100 min; 130 for a visual disability in a disabilitas formation). */
  durationMs: number;
  /** The candidate's slot: the session can be opened (started) only inside it. */
  slot: { slotId: string; opensAt: string; closesAt: string };
}

export type ExamStatus = 'waiting' | 'in_progress' | 'scoring' | 'finished' | 'absent';
export type ExamEndedBy = 'submit' | 'timer' | 'slot_closed';

export const INTEGRITY_KINDS = [
  'focus_lost',
  'focus_returned',
  'fullscreen_exit',
  'fullscreen_enter',
  'copy',
  'paste',
  'cut',
  'context_menu',
  'offline',
  'online',
] as const;
export type IntegrityKind = (typeof INTEGRITY_KINDS)[number];

/** As the page reports it: `at` is the browser's clock (ISO), kept beside the server's `receivedAt`. */
export interface IntegrityEventInput {
  kind: IntegrityKind;
  at: string;
  /** Optional short text (e.g. item id on screen), at most 200 characters. */
  detail?: string;
}
export interface IntegrityEvent extends IntegrityEventInput {
  receivedAt: string;
  deviceId: string;
}

/** One item on the candidate's screen, in the candidate's order: its options in the candidate's order. */
export interface ExamLayoutItem {
  itemId: string;
  subtest: ExamSubtest;
  options: string[];
}

export interface ExamResult {
  twk: number;
  tiu: number;
  tkp: number;
  total: number;
  passed: boolean;
  scoredAt: string;
}

export interface ExamSessionState {
  sessionId: string;
  roundId: string;
  registrationNo: string;
  status: ExamStatus;
  endedBy: ExamEndedBy | null;
  slot: ExamSessionInput['slot'];
  durationMs: number;
  startedAt: string | null;
  /** startedAt + durationMs: the server's clock; answers at or after it are refused. */
  deadline: string | null;
  endedAt: string | null;
  /** The device holding the session; other devices are refused unless they take over. */
  device: { deviceId: string; since: string } | null;
  takeovers: number;
  /** Increases with every accepted save (and submit); the page sends it back as baseRevision. */
  revision: number;
  /** itemId → option id (only answered items). */
  answers: Record<string, string>;
  flags: string[];
  layout: ExamLayoutItem[];
  integrity: IntegrityEvent[];
  /** Integrity events beyond the kept ones (the state keeps the last 500). */
  integrityDropped: number;
  result: ExamResult | null;
  bankId: string;
  bankVersions: Record<ExamSubtest, number>;
}

export interface OpenExamInput {
  deviceId: string;
  /** Explicit confirmation: take the session over from another device, which is locked out. */
  takeover?: boolean;
}
export interface SaveAnswersInput {
  deviceId: string;
  /** Option id, or null to clear an answer. */
  answers: { itemId: string; option: string | null }[];
  flags?: { itemId: string; flagged: boolean }[];
  events?: IntegrityEventInput[];
}
export interface SaveAck {
  revision: number;
  answered: number;
  deadline: string;
  savedAt: string;
}
export interface IntegritySignal {
  deviceId: string;
  events: IntegrityEventInput[];
}

export const examStateQuery = defineQuery<ExamSessionState>('examState');
/** Claims the device and, the first time inside the slot, starts the clock. */
export const openExamUpdate = defineUpdate<ExamSessionState, [OpenExamInput]>('openExam');
/** One batch of answers (and flags, integrity events) from the page: every few seconds and on navigation. */
export const saveAnswersUpdate = defineUpdate<SaveAck, [SaveAnswersInput]>('saveAnswers');
/** Ends the session now (an optional last batch first); answers when the score is known. */
export const submitExamUpdate = defineUpdate<ExamSessionState, [SaveAnswersInput]>('submitExam');
export const integritySignal = defineSignal<[IntegritySignal]>('examIntegrity');

/** Per batch: at most this many answers, flags and events (the API schema says the same). */
export const EXAM_BATCH_MAX = 200;
/** Integrity events kept in the workflow state (the rest counted in integrityDropped). */
export const EXAM_INTEGRITY_KEPT = 500;
