import type { ColumnType, Generated } from 'kysely';

/** The typed PostgreSQL schema (kept in step with db/migrations). */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface RoundsTable {
  round_id: string;
  name: string;
  agency: string;
  budget_year: number;
  config: Json<unknown>;
  phase: string;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FormationsTable {
  round_id: string;
  formation_id: string;
  unit: string;
  jabatan: string;
  education_level: string;
  education_key: string;
  quota: number;
  category: string;
  skb_max: number;
}

export interface AuditLogTable {
  id: Generated<string>;
  chain: string;
  seq: number;
  idempotency_key: string;
  actor: string;
  action: string;
  subject: string;
  reason: string | null;
  payload: Json<unknown>;
  occurred_at: Timestamp;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointsTable {
  id: Generated<string>;
  chain: string;
  seq: number;
  hash: string;
  rows: number;
  signed_at: Timestamp;
  key_id: string;
  signature: string;
  recorded_at: Generated<Timestamp>;
}

export interface UsersTable {
  user_id: Generated<string>;
  username: string;
  display_name: string;
  role: string;
  registration_no: string | null;
  created_at: Timestamp;
  disabled: Generated<boolean>;
  /** Staff sign-in (migration 0015): argon2id, null until HR or the CLI sets one. */
  password_hash: ColumnType<string | null, string | null | undefined, string | null>;
  password_must_change: Generated<boolean>;
  password_changed_at: ColumnType<Date | null, string | null | undefined, string | null>;
}

type BigIntId = ColumnType<string, number | string, number | string>;

/** Bearer tokens (db/users.ts): hashed, expiring, revocable; a user may hold several. */
export interface ApiTokensTable {
  token_hash: string;
  user_id: BigIntId;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** Cookie sessions (db/sessions.ts): the cookie carries the id, its hash is stored. */
export interface SessionsTable {
  session_hash: string;
  user_id: BigIntId;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** Candidate accounts of the web portal (0012); `user_id` is the User its sessions resolve to. */
export interface AccountsTable {
  account_id: Generated<string>;
  nik: string;
  email: string;
  password_hash: string;
  email_confirmed_at: Timestamp | null;
  user_id: BigIntId;
  created_at: Generated<Date>;
  password_changed_at: Generated<Date>;
}

/** One-time links of an account (e-mail confirmation, password reset): sha256 of the token, expiry, single use. */
export interface AccountTokensTable {
  token_hash: string;
  account_id: BigIntId;
  purpose: 'confirm' | 'reset';
  created_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** Idempotency keys bound to a caller scope and a request fingerprint (api/plugins/idempotency.ts). */
export interface IdempotencyRecordsTable {
  scope: string;
  key_hash: string;
  fingerprint: string;
  operation: string;
  outcome: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

type DateCol = ColumnType<string, string, string>;
type BigIntCol = ColumnType<string, number | string, number | string>;

export interface ApplicationsTable {
  registration_no: string;
  round_id: string;
  formation_id: string;
  budget_year: number;
  nik: string;
  full_name: string;
  birth_date: DateCol;
  sex: 'L' | 'P';
  email: string;
  category: string;
  education_level: string;
  education_program: string;
  ipk: number;
  experience_years: Generated<number>;
  prior_predikat: string | null;
  nik_warnings: ColumnType<unknown, string | undefined, string>;
  stage: string;
  outcome: string | null;
  registered_at: Timestamp;
  updated_at: Timestamp;
  idempotency_key_hash: string | null;
  reuse_skd: Generated<boolean>;
  workflow_started_at: ColumnType<Date | null, string | null | undefined, string | null>;
}

export interface DocumentBlobsTable {
  sha256: string;
  content: Buffer;
  size: number;
  file_type: string;
}

export interface DocumentsTable {
  document_id: Generated<string>;
  registration_no: string;
  kind: string;
  sha256: string;
  size: number;
  file_type: string;
  uploaded_at: Timestamp;
}

export interface TasksTable {
  task_id: string;
  registration_no: string;
  round_id: string;
  kind: 'verification' | 'sanggah';
  stage: string;
  reviewer: string;
  /** cancelled: the candidate's process ended while the task was open (migration 0023). */
  status: 'open' | 'done' | 'escalated' | 'cancelled';
  due_at: Timestamp;
  created_at: Timestamp;
  closed_at: Timestamp | null;
  /** Why the assignment could not follow its rules (migration 0015), e.g. a one-reviewer pool for a sanggah. */
  note: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A reviewer's open and ever-assigned task counts, kept by a trigger on `tasks` (migration 0020). */
export interface ReviewerLoadsTable {
  username: string;
  open_tasks: Generated<number>;
  assigned_tasks: Generated<number>;
}

export interface VerificationsTable {
  registration_no: string;
  stage: string;
  result: 'MS' | 'TMS';
  reviewer: string;
  decisions: Json<unknown>;
  decided_at: Timestamp;
  reannounce: Generated<boolean>;
}

export interface SanggahTable {
  registration_no: string;
  stage: string;
  reason: string;
  filed_at: Timestamp;
  answered_by: string | null;
  accepted: boolean | null;
  answer: string | null;
  answered_at: Timestamp | null;
}

export interface SkdScoresTable {
  registration_no: string;
  twk: number;
  tiu: number;
  tkp: number;
  total: number;
  passed: boolean;
  passing_group: string;
  reused_from_year: number | null;
  recorded_at: Timestamp;
}

export interface SkbResultsTable {
  registration_no: string;
  selected: boolean;
  skd_rank: number | null;
  score: number | null;
  recorded_at: Timestamp;
}

export interface FinalResultsTable {
  registration_no: string;
  result: 'lulus' | 'lulus_optimalisasi' | 'tidak_lulus';
  score_scaled: BigIntCol;
  score_scale: BigIntCol;
  score_display: string;
  rank: number;
  placement_formation_id: string | null;
  breakdown: Json<unknown>;
  recorded_at: Timestamp;
}

export interface NipSequencesTable {
  prefix: string;
  last_seq: number;
}

export interface AppointmentsTable {
  registration_no: string;
  drh: Json<unknown> | null;
  drh_submitted_at: Timestamp | null;
  nip: string | null;
  tmt: DateCol | null;
  formation_id: string | null;
  sk_number: string | null;
  sk_date: DateCol | null;
  /** The career's opaque id (workflow `career/<career_id>`), chosen once at the appointment. */
  career_id: string | null;
}

export interface ConsultationCommentsTable {
  comment_id: Generated<string>;
  round_id: string;
  author: string;
  body: string;
  criteria_version: number;
  created_at: Timestamp;
  /** `user:<id>` or `ip:<address>`: who sent it, for the duplicate check. */
  client_key: string | null;
  /** sha256 of the normalised body. */
  body_hash: string | null;
  /** What the comment is about (0012): a formation, or one criterion (its kind) of that formation; null = the round. */
  formation_id: string | null;
  criterion: string | null;
  /** HR's moderation (0019): hidden from the public page but kept; who, when, the standard reason and HR's words. */
  hidden_at: Timestamp | null;
  hidden_by: string | null;
  hidden_reason_code: string | null;
  hidden_reason: string | null;
  /** HR's official response, shown under the comment. */
  response: string | null;
  response_by: string | null;
  response_at: Timestamp | null;
  /** Bumped by every moderation action; the audit row's key is `comment:<comment_id>:<rev>`. */
  moderation_rev: Generated<number>;
}

export interface CriteriaVersionsTable {
  round_id: string;
  version: number;
  status: 'draft' | 'adopted';
  formations: Json<unknown>;
  response: string | null;
  actor: string;
  created_at: Timestamp;
}

export interface ExamImportsTable {
  import_id: Generated<string>;
  round_id: string;
  kind: 'skd' | 'skb';
  sha256: string;
  rows: number;
  correction: boolean;
  reason: string | null;
  imported_by: string;
  imported_at: Timestamp;
}

export interface ExamScoresTable {
  round_id: string;
  kind: 'skd' | 'skb';
  registration_no: string;
  import_id: BigIntCol;
  twk: number | null;
  tiu: number | null;
  tkp: number | null;
  skb: number | null;
  interview: number | null;
  passed: boolean | null;
}

export interface RankingsTable {
  round_id: string;
  kind: 'skb_selection' | 'final';
  registration_no: string;
  formation_id: string;
  rank: number;
  result: string;
  placement_formation_id: string | null;
  score_scaled: BigIntCol | null;
  score_scale: BigIntCol | null;
  breakdown: Json<unknown>;
  version: number;
  skd_total: number | null;
  tkp: number | null;
  tiu: number | null;
  twk: number | null;
  ipk: number | null;
  birth_date: DateCol | null;
}

export interface OptimalisasiDeclinesTable {
  round_id: string;
  registration_no: string;
  formation_id: string;
  recorded_by: string;
  recorded_at: Timestamp;
}

export interface RoundReviewersTable {
  round_id: string;
  username: string;
}

export interface CareersTable {
  nip: string;
  /** The workflow's opaque id (`career/<career_id>`); a NIP for careers started before migration 0010. */
  career_id: Generated<string | null>;
  registration_no: string;
  unit: string;
  jabatan: string;
  status: string;
  ladder_position: string | null;
  pns_at: DateCol | null;
  ended_at: Timestamp | null;
  end_reason: string | null;
  /** The supervisor's and the unit head's usernames as the workflow last accepted them (migration 0017). */
  supervisor: ColumnType<string | null, string | null | undefined, string | null>;
  unit_head: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CareerEventsTable {
  nip: string;
  year: number;
  seq: number;
  kind: string;
  actor: string;
  reason: string | null;
  detail: Json<unknown>;
  at: Timestamp;
}

export interface EvaluationsTable {
  nip: string;
  year: number;
  attempt: number;
  unit: string;
  supervisor: string;
  hasil_kerja: string;
  perilaku: string;
  predikat: string;
  status: 'submitted' | 'accepted' | 'returned';
  return_reason: string | null;
  at: Timestamp;
}

export interface UnitRatingsTable {
  unit: string;
  year: number;
  rating: string;
  headcount: number;
  unit_head: string;
  /** 1 for the first rating of (unit, year); each change adds one (audit key rating:<year>:<revision>). */
  revision: Generated<number>;
  updated_by: string | null;
  updated_at: Timestamp | null;
}

export interface FollowUpsTable {
  nip: string;
  year: number;
  seq: number;
  kind: string;
  detail: Json<unknown>;
  decided_by: string | null;
  decision: string | null;
  at: Timestamp;
}

export interface RoundJobsTable {
  round_id: string;
  seq: number;
  phase_key: string;
  job: Json<unknown>;
  requested_at: Timestamp;
  finished_at: Timestamp;
  signalled: number;
  skipped: number;
}

/** The e-mail outbox (db/mail.ts, migration 0013). */
export interface MailOutboxTable {
  id: Generated<string>;
  dedupe_key: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  topic: string | null;
  message_id: string;
  created_at: Generated<Date>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  cancelled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_error: string | null;
}

export interface Database {
  mail_outbox: MailOutboxTable;
  round_jobs: RoundJobsTable;
  careers: CareersTable;
  career_events: CareerEventsTable;
  evaluations: EvaluationsTable;
  unit_ratings: UnitRatingsTable;
  follow_ups: FollowUpsTable;
  round_reviewers: RoundReviewersTable;
  consultation_comments: ConsultationCommentsTable;
  criteria_versions: CriteriaVersionsTable;
  exam_imports: ExamImportsTable;
  exam_scores: ExamScoresTable;
  rankings: RankingsTable;
  optimalisasi_declines: OptimalisasiDeclinesTable;
  rounds: RoundsTable;
  formations: FormationsTable;
  audit_log: AuditLogTable;
  audit_checkpoints: AuditCheckpointsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  accounts: AccountsTable;
  account_tokens: AccountTokensTable;
  idempotency_records: IdempotencyRecordsTable;
  applications: ApplicationsTable;
  document_blobs: DocumentBlobsTable;
  documents: DocumentsTable;
  tasks: TasksTable;
  reviewer_loads: ReviewerLoadsTable;
  verifications: VerificationsTable;
  sanggah: SanggahTable;
  skd_scores: SkdScoresTable;
  skb_results: SkbResultsTable;
  final_results: FinalResultsTable;
  nip_sequences: NipSequencesTable;
  appointments: AppointmentsTable;
  exam_bank_versions: ExamBankVersionsTable;
  exam_bank_items: ExamBankItemsTable;
  exam_participants: ExamParticipantsTable;
  exam_sessions: ExamSessionsTable;
  audit_jobs: AuditJobsTable;
}

// The online SKD exam (0016_exam, docs/exam.md).
export interface ExamBankVersionsTable {
  bank_id: string;
  subtest: 'twk' | 'tiu' | 'tkp';
  version: number;
  sha256: string;
  items: number;
  imported_by: string;
  imported_at: Timestamp;
}
export interface ExamBankItemsTable {
  bank_id: string;
  subtest: 'twk' | 'tiu' | 'tkp';
  version: number;
  item_id: string;
  position: number;
  body: Json<{ text: string; options: { id: string; text: string }[] }>;
  key: Json<Record<string, number>>;
}
export interface ExamParticipantsTable {
  round_id: string;
  registration_no: string;
  slot_id: string | null;
  visual_disability: ColumnType<boolean, boolean | undefined, boolean>;
  set_by: string;
  set_at: Timestamp;
}
export interface ExamSessionsTable {
  session_id: string;
  round_id: string;
  registration_no: string;
  exam: 'skd';
  bank_id: string;
  bank_versions: Json<Record<'twk' | 'tiu' | 'tkp', number>>;
  /** The session's items (contracts ExamItemRef: ids and option ids, no texts, no keys). */
  items: Json<{ itemId: string; subtest: 'twk' | 'tiu' | 'tkp'; options: string[] }[]>;
  seed: string;
  slot_id: string;
  duration_ms: number;
  status: 'waiting' | 'in_progress' | 'scoring' | 'finished' | 'absent';
  created_at: Timestamp;
  started_at: Timestamp | null;
  deadline: Timestamp | null;
  ended_at: Timestamp | null;
  ended_by: string | null;
  answered: number | null;
  /** The answers scored (itemId → option id), written with the score. */
  answers: Json<Record<string, string>> | null;
  twk: number | null;
  tiu: number | null;
  tkp: number | null;
  total: number | null;
  passed: boolean | null;
}

/** The auditor's background jobs (db/audit-jobs.ts, migration 0018). */
export interface AuditJobsTable {
  job_id: string;
  kind: 'verify' | 'replay' | 'rederive';
  round_id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted';
  requested_by: string;
  requested_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  done: Generated<number>;
  total: Generated<number>;
  ok: boolean | null;
  findings: number | null;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
  instance_id: string;
  heartbeat_at: Timestamp;
}
