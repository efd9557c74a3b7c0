import { TypedSearchAttributes } from '@temporalio/common';
import { sql } from 'kysely';
import {
  acceptedProgram,
  checkEligibility,
  checkNikAgainstDeclared,
  isIsoDate,
  duplicateApplication,
  type Category,
  type EducationLevel,
  type PriorPredikat,
  parseNik,
  requiredDocuments,
  type FormationConfig,
  type RoundConfig,
  type Sex,
  violation,
} from '../../domain';
import { candidateTokenTtlMs, hashToken, newToken } from '../../db/users';
import { registeredMail } from '../../activities/notifications';
import { outboxInsert } from '../../db/mail';
import { candidateWorkflowId, formationIdAttr, roundIdAttr, stageAttr, type CandidateInput } from '../../contracts';
import { isWorkflowAlreadyStarted } from '../../config/temporal-errors';
import { AppError, notFound } from '../errors';
import type { Db } from '../../db/connection';
import type { ServiceDeps } from './deps';

export interface RegistrationRequest {
  nik: string;
  fullName: string;
  birthDate: string;
  sex: Sex;
  email: string;
  formationId: string;
  category: Category;
  education: { level: EducationLevel; program: string; ipk: number };
  experienceYears?: number;
  priorPredikat?: PriorPredikat;
  /** The candidate sat SKD last year and asks to reuse that score (same NIK, same education level). */
  reuseSkd?: boolean;
}

export const DEFAULT_REVIEWER_SLA_DAYS = 3;

/** Registrations read the round on every request; a short cache spares PostgreSQL under load. */
const CONFIG_TTL_MS = 1_000;
const configCache = new Map<string, { at: number; value: { config: RoundConfig; phase: string } }>();
export async function cachedRoundConfig(
  deps: ServiceDeps,
  roundId: string,
): Promise<{ config: RoundConfig; phase: string }> {
  const hit = configCache.get(roundId);
  if (hit && performance.now() - hit.at < CONFIG_TTL_MS) return hit.value;
  const value = await loadRoundConfig(deps, roundId);
  configCache.set(roundId, { at: performance.now(), value });
  if (configCache.size > 1000) configCache.delete(configCache.keys().next().value!);
  return value;
}

export async function loadRoundConfig(
  deps: ServiceDeps,
  roundId: string,
): Promise<{ config: RoundConfig; phase: string }> {
  const row = await deps.db
    .selectFrom('rounds')
    .select(['config', 'phase'])
    .where('round_id', '=', roundId)
    .executeTakeFirst();
  if (!row) throw notFound('Seleksi', roundId);
  return { config: row.config as RoundConfig, phase: row.phase };
}

/**
 * Registration: every check first (nothing is stored for an ineligible candidate), then the
 * application row (the unique (nik, budget_year) constraint decides between simultaneous
 * requests), then the candidate workflow. The row is never deleted on a failed start: when
 * Temporal is unreachable (or answers too late to know) the answer is 202 with the token and
 * `workflowPending: true`, and the application waits with `workflow_started_at` null; the same
 * request again with the same Idempotency-Key returns the registration and starts the workflow,
 * and the API's reconciler starts any left behind.
 *
 * The candidate's token is handed out once, in the answer that created the registration. A replay
 * (same key, same caller, same request: api/plugins/idempotency.ts refuses any other) answers the
 * registration number, workflow id and warnings with `replayed: true` and NO token: a key is a retry
 * marker, not a credential, and the candidate's token keeps working. `opts.idempotencyKey` is the
 * key bound to its caller (idempotencyKey(req)).
 */
export type Registered = {
  registrationNo: string;
  workflowId: string;
  warnings: { code: string; message: string }[];
  workflowPending?: true;
} & ({ token: string; replayed?: undefined } | { replayed: true; token?: undefined });

type Checked = ReturnType<typeof checkApplicant>;

/** A repeat of a registration already recorded under the same Idempotency-Key: its first answer, without the token. */
async function replayedRegistration(
  deps: ServiceDeps,
  config: RoundConfig,
  roundId: string,
  req: RegistrationRequest,
  keyHash: string,
): Promise<Registered | undefined> {
  const prior = await deps.db
    .selectFrom('applications')
    .selectAll()
    .where('idempotency_key_hash', '=', keyHash)
    .executeTakeFirst();
  if (prior) {
    if (prior.round_id !== roundId || prior.nik !== req.nik)
      throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key ini sudah dipakai untuk pendaftaran lain');
    await ensureCandidateWorkflow(deps, config, prior.registration_no); // a 503 while Temporal is still down
    return {
      registrationNo: prior.registration_no,
      workflowId: candidateWorkflowId(prior.registration_no),
      warnings: prior.nik_warnings as { code: string; message: string }[],
      replayed: true,
    };
  }
  return undefined;
}

/** The applicant checked against the round: the NIK, the formation, eligibility (400/422); what is stored. */
function checkApplicant(config: RoundConfig, req: RegistrationRequest) {
  if (!isIsoDate(req.birthDate))
    throw new AppError(400, 'VALIDATION_FAILED', 'Permintaan tidak valid', [
      violation('DATE', 'Tanggal lahir tidak valid', 'birthDate'),
    ]);
  const nik = parseNik(req.nik, { referenceYear: Number(config.referenceDate.slice(0, 4)) });
  if (!nik.ok) throw new AppError(422, 'NIK_INVALID', 'NIK tidak valid', nik.errors);
  const formation = config.formations.find((f) => f.formationId === req.formationId);
  if (!formation)
    throw new AppError(422, 'NOT_ELIGIBLE', 'Tidak memenuhi syarat', [
      violation('FORMATION_UNKNOWN', `Formasi ${req.formationId} tidak ada pada seleksi ini`, 'formationId'),
    ]);
  const reasons = checkEligibility({
    birthDate: req.birthDate,
    education: req.education,
    formation,
    referenceDate: config.referenceDate,
    limits: config.ageLimits,
  });
  if (req.category !== formation.category)
    reasons.push(violation('CATEGORY_MISMATCH', `Formasi ini untuk kategori ${formation.category}`, 'category'));
  if (reasons.length) throw new AppError(422, 'NOT_ELIGIBLE', 'Tidak memenuhi syarat', reasons);
  // Stored as the formation spells it (the candidate chose it from the formation's list).
  const program = acceptedProgram(formation, req.education.program) ?? req.education.program.trim();
  const warnings = checkNikAgainstDeclared(nik.value, { birthDate: req.birthDate, sex: req.sex }).map((w) => ({
    code: w.code,
    message: w.message,
  }));

  return { nik: nik.value, formation, program, warnings };
}

/** The SKD of last year's round to reuse, when asked for (422 SKD_REUSE_UNAVAILABLE when there is none). */
async function reusedSkdOf(
  deps: ServiceDeps,
  config: RoundConfig,
  req: RegistrationRequest,
  nik: string,
): Promise<CandidateInput['reusedSkd']> {
  if (!req.reuseSkd) return undefined;
  const reusedSkd = await priorSkd(deps, nik, config.budgetYear, req.education.level);
  if (!reusedSkd)
    throw new AppError(
      422,
      'SKD_REUSE_UNAVAILABLE',
      `Tidak ada nilai SKD tahun ${config.budgetYear - 1} untuk NIK dan jenjang pendidikan ini`,
    );
  return reusedSkd;
}

/**
 * Registration numbers are taken from the sequence a block at a time (as PostgreSQL's own sequence
 * cache does per connection), so that most registrations make one round trip, not two. Numbers
 * stay unique; like any sequence they have gaps (a refused registration's number, and at most a
 * block's unused rest when the process stops), and two API processes hand out interleaved blocks.
 */
const SEQ_BLOCK = 16;
const seqBlocks = new WeakMap<Db, { next: number[]; filling?: Promise<void> }>();

async function nextRegistrationSeq(db: Db): Promise<number> {
  let b = seqBlocks.get(db);
  if (!b) seqBlocks.set(db, (b = { next: [] }));
  while (b.next.length === 0) {
    b.filling ??= sql<{
      n: string;
    }>`select nextval('registration_seq')::text as n from generate_series(1, ${SEQ_BLOCK})`
      .execute(db)
      .then((r) => void b.next.push(...r.rows.map((x) => Number(x.n)).sort((x, y) => x - y)))
      .finally(() => (b.filling = undefined));
    await b.filling;
  }
  return b.next.shift()!;
}

/**
 * The registration number, then one statement: the application, the candidate's account and
 * token, and the confirmation e-mail. 409 for a duplicate.
 */
async function insertRegistration(
  deps: ServiceDeps,
  config: RoundConfig,
  roundId: string,
  req: RegistrationRequest,
  { nik, formation, program, warnings }: Checked,
  extra: { keyHash: string | null; reusedSkd: CandidateInput['reusedSkd']; token: string },
): Promise<string> {
  const { keyHash, reusedSkd, token } = extra;
  try {
    // The number first, so that the application, its account and token and its "pendaftaran
    // diterima" mail are written by one statement (atomic as one).
    const no = `${config.budgetYear}${String(await nextRegistrationSeq(deps.db)).padStart(8, '0')}`;
    const mail = registeredMail({
      registrationNo: no,
      roundId,
      email: req.email,
      name: req.fullName.trim(),
      jabatan: formation.jabatan,
      unit: formation.unit,
      config,
    });
    await sql`
      with app as (
        insert into applications (registration_no, round_id, formation_id, budget_year, nik, full_name,
                                  birth_date, sex, email, category, education_level, education_program, ipk,
                                  experience_years, prior_predikat, nik_warnings, stage, idempotency_key_hash,
                                  reuse_skd)
        values (${no}, ${roundId},
                ${formation.formationId}, ${config.budgetYear}, ${nik.nik}, ${req.fullName.trim()},
                ${req.birthDate}, ${req.sex}, ${req.email}, ${req.category}, ${req.education.level}, ${program},
                ${req.education.ipk}, ${req.experienceYears ?? 0},
                ${req.priorPredikat ?? null}, ${JSON.stringify(warnings)}::jsonb, 'documents', ${keyHash}, ${!!reusedSkd})
        returning registration_no
      ), account as (
        insert into users (username, display_name, role, registration_no)
        select 'pelamar-' || registration_no, 'Pelamar ' || registration_no, 'candidate', registration_no from app
        returning user_id
      ), credential as (
        insert into api_tokens (token_hash, user_id, expires_at)
        select ${hashToken(token)}, user_id, now() + make_interval(secs => ${candidateTokenTtlMs() / 1000}) from account
      ), mail as (${outboxInsert(deps.db, mail)})
      select registration_no from app`.execute(deps.db);
    return no;
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      // The same request at the same time: whichever unique index PostgreSQL checks first, the
      // loser finds the winner's row by the key (the winner has committed by now).
      const sameKey =
        (err as { constraint?: string }).constraint === 'applications_idempotency_key' ||
        (keyHash !== null &&
          !!(await deps.db
            .selectFrom('applications')
            .select('registration_no')
            .where('idempotency_key_hash', '=', keyHash)
            .executeTakeFirst()));
      if (sameKey)
        throw new AppError(
          409,
          'REGISTRATION_IN_PROGRESS',
          'Pendaftaran dengan Idempotency-Key ini sedang diproses; ulangi sebentar lagi',
        );
      throw new AppError(409, 'DUPLICATE_APPLICATION', duplicateApplication(config.budgetYear).message);
    }
    throw err;
  }
}

export async function register(
  deps: ServiceDeps,
  roundId: string,
  req: RegistrationRequest,
  opts: { idempotencyKey?: string } = {},
): Promise<Registered> {
  const { config, phase } = await cachedRoundConfig(deps, roundId);
  const keyHash = opts.idempotencyKey ? hashToken(`registration:${opts.idempotencyKey}`) : null;
  const replayed = keyHash ? await replayedRegistration(deps, config, roundId, req, keyHash) : undefined;
  if (replayed) return replayed;
  if (phase !== 'registration')
    throw new AppError(409, 'WRONG_PHASE', `Pendaftaran seleksi ${roundId} tidak sedang dibuka (tahap: ${phase})`);
  const checked = checkApplicant(config, req);
  const { formation, warnings } = checked;
  const reusedSkd = await reusedSkdOf(deps, config, req, checked.nik.nik);
  const token = newToken();
  const registrationNo = await insertRegistration(deps, config, roundId, req, checked, { keyHash, reusedSkd, token });
  try {
    await startCandidateWorkflow(deps, config, formation, {
      registrationNo,
      category: req.category,
      warnings,
      reusedSkd,
    });
  } catch {
    // The registration is recorded and this answer is the only one that will ever carry its token:
    // never turn it into a 503. 202: the workflow starts on a repeat with the same key, or by the
    // API's reconciler (startPendingWorkflows).
    return { registrationNo, workflowId: candidateWorkflowId(registrationNo), token, warnings, workflowPending: true };
  }
  return { registrationNo, workflowId: candidateWorkflowId(registrationNo), token, warnings };
}

async function priorSkd(
  deps: ServiceDeps,
  nik: string,
  budgetYear: number,
  level: string,
): Promise<CandidateInput['reusedSkd']> {
  const prev = await deps.db
    .selectFrom('skd_scores')
    .innerJoin('applications', 'applications.registration_no', 'skd_scores.registration_no')
    .select(['skd_scores.twk', 'skd_scores.tiu', 'skd_scores.tkp', 'applications.budget_year'])
    .where('applications.nik', '=', nik)
    .where('applications.budget_year', '=', budgetYear - 1)
    .where('applications.education_level', '=', level)
    .where('skd_scores.reused_from_year', 'is', null)
    .executeTakeFirst();
  return prev ? { twk: prev.twk, tiu: prev.tiu, tkp: prev.tkp, fromYear: prev.budget_year } : undefined;
}

/** Starts the candidate's workflow (an already running one counts as started) and records that it runs. */
async function startCandidateWorkflow(
  deps: ServiceDeps,
  config: RoundConfig,
  formation: FormationConfig,
  a: {
    registrationNo: string;
    category: Category;
    warnings: { code: string; message: string }[];
    reusedSkd?: CandidateInput['reusedSkd'];
  },
): Promise<void> {
  const input: CandidateInput = {
    registrationNo: a.registrationNo,
    roundId: config.roundId,
    formationId: formation.formationId,
    category: a.category,
    requiredDocuments: requiredDocuments(formation, config.requiredDocuments),
    passingGrades: config.passingGrades,
    sanggahStages: config.sanggahStages,
    schedule: {
      registrationCloses: config.schedule.registrationCloses,
      verificationDeadline: config.schedule.verificationDeadline,
      announcementAt: config.schedule.announcementAt,
      sanggahDays: config.schedule.sanggahDays,
      jawabSanggahDays: config.schedule.jawabSanggahDays,
      drhDeadline: config.schedule.drhDeadline,
    },
    reviewerSlaDays: DEFAULT_REVIEWER_SLA_DAYS,
    ...(config.simulation ? { dayMs: config.simulation.dayMs } : {}),
    warnings: a.warnings,
    ...(a.reusedSkd ? { reusedSkd: a.reusedSkd } : {}),
  };
  try {
    await deps.client.workflow.start('candidate', {
      taskQueue: deps.taskQueue,
      workflowId: candidateWorkflowId(a.registrationNo),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: roundIdAttr, value: config.roundId },
        { key: formationIdAttr, value: formation.formationId },
        { key: stageAttr, value: 'documents' },
      ]),
    });
  } catch (err) {
    if (!isWorkflowAlreadyStarted(err)) throw err;
  }
  markStarted(deps.db, a.registrationNo);
}

/**
 * Applications whose workflow is known to run, marked in batches: one UPDATE for those started in
 * the last few milliseconds, not one per registration (the registration answers without waiting
 * for it). Best effort, as one per registration was: a batch lost (PostgreSQL unreachable, the
 * process gone) leaves `workflow_started_at` null and the reconciler finds the workflow running.
 */
const startedMarks = new WeakMap<Db, { pending: string[]; timer?: NodeJS.Timeout }>();
const MARK_BATCH_MS = 20;

function markStarted(db: Db, registrationNo: string): void {
  let m = startedMarks.get(db);
  if (!m) startedMarks.set(db, (m = { pending: [] }));
  m.pending.push(registrationNo);
  m.timer ??= setTimeout(() => void flushStartedMarks(db), MARK_BATCH_MS).unref();
}

/** Writes the marks still pending (the API runs it when it closes). */
export async function flushStartedMarks(db: Db): Promise<void> {
  const m = startedMarks.get(db);
  if (!m) return;
  clearTimeout(m.timer);
  m.timer = undefined;
  const nos = m.pending.splice(0);
  if (nos.length === 0) return;
  await db
    .updateTable('applications')
    .set({ workflow_started_at: sql<string>`now()` })
    .where('registration_no', 'in', nos)
    .where('workflow_started_at', 'is', null)
    .execute()
    .catch(() => undefined);
}

/** Starts the workflow of an application recorded earlier whose start did not complete. */
export async function ensureCandidateWorkflow(
  deps: ServiceDeps,
  config: RoundConfig,
  registrationNo: string,
): Promise<void> {
  const a = await deps.db
    .selectFrom('applications')
    .selectAll()
    .where('registration_no', '=', registrationNo)
    .executeTakeFirstOrThrow();
  if (a.workflow_started_at) return;
  const formation = config.formations.find((f) => f.formationId === a.formation_id)!;
  const reusedSkd = a.reuse_skd ? await priorSkd(deps, a.nik, config.budgetYear, a.education_level) : undefined;
  await startCandidateWorkflow(deps, config, formation, {
    registrationNo,
    category: a.category as Category,
    warnings: a.nik_warnings as { code: string; message: string }[],
    reusedSkd,
  });
  // The repeat and the reconciler answer once it is recorded.
  await flushStartedMarks(deps.db);
}

/**
 * The reconciler: applications whose workflow start did not complete (Temporal was down, or the
 * answer was lost) get their workflow started. Idempotent; the API runs it periodically.
 */
export async function startPendingWorkflows(deps: ServiceDeps, olderThanMs = 10_000, limit = 500): Promise<number> {
  const rows = await deps.db
    .selectFrom('applications')
    .select(['registration_no', 'round_id'])
    .where('workflow_started_at', 'is', null)
    .where('registered_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('registered_at')
    .limit(limit)
    .execute();
  for (const r of rows)
    await ensureCandidateWorkflow(deps, (await loadRoundConfig(deps, r.round_id)).config, r.registration_no);
  return rows.length;
}
