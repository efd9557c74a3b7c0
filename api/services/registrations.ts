import { TypedSearchAttributes } from '@temporalio/common';
import { sql } from 'kysely';
import {
  checkEligibility, checkNikAgainstDeclared, isIsoDate, duplicateApplication, type Category, type EducationLevel, type PriorPredikat, parseNik, requiredDocuments, type RoundConfig, type Sex, violation,
} from '../../domain';
import { hashToken } from '../../db/users';
import { randomBytes } from 'node:crypto';
import { candidateWorkflowId, formationIdAttr, roundIdAttr, stageAttr, type CandidateInput } from '../../workflows/messages';
import { AppError, notFound } from '../errors';
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
export async function cachedRoundConfig(deps: ServiceDeps, roundId: string): Promise<{ config: RoundConfig; phase: string }> {
  const hit = configCache.get(roundId);
  if (hit && performance.now() - hit.at < CONFIG_TTL_MS) return hit.value;
  const value = await loadRoundConfig(deps, roundId);
  configCache.set(roundId, { at: performance.now(), value });
  if (configCache.size > 1000) configCache.delete(configCache.keys().next().value!);
  return value;
}

export async function loadRoundConfig(deps: ServiceDeps, roundId: string): Promise<{ config: RoundConfig; phase: string }> {
  const row = await deps.db.selectFrom('rounds').select(['config', 'phase']).where('round_id', '=', roundId).executeTakeFirst();
  if (!row) throw notFound('Seleksi', roundId);
  return { config: row.config as RoundConfig, phase: row.phase };
}

/**
 * Registration: every check first (nothing is started for an ineligible candidate), then the
 * application row (the unique (nik, budget_year) constraint decides between simultaneous
 * requests), then the candidate workflow. If the workflow cannot be started the row is removed,
 * so a registration either fully exists or not at all.
 */
export async function register(deps: ServiceDeps, roundId: string, req: RegistrationRequest): Promise<{ registrationNo: string; workflowId: string; token: string; warnings: { code: string; message: string }[] }> {
  const { config, phase } = await cachedRoundConfig(deps, roundId);
  if (phase !== 'registration') throw new AppError(409, 'WRONG_PHASE', `Pendaftaran seleksi ${roundId} tidak sedang dibuka (tahap: ${phase})`);

  if (!isIsoDate(req.birthDate)) throw new AppError(400, 'VALIDATION_FAILED', 'Permintaan tidak valid', [violation('DATE', 'Tanggal lahir tidak valid', 'birthDate')]);
  const nik = parseNik(req.nik, { referenceYear: Number(config.referenceDate.slice(0, 4)) });
  if (!nik.ok) throw new AppError(422, 'NIK_INVALID', 'NIK tidak valid', nik.errors);
  const formation = config.formations.find((f) => f.formationId === req.formationId);
  if (!formation) throw new AppError(422, 'NOT_ELIGIBLE', 'Tidak memenuhi syarat', [violation('FORMATION_UNKNOWN', `Formasi ${req.formationId} tidak ada pada seleksi ini`, 'formationId')]);
  const reasons = checkEligibility({ birthDate: req.birthDate, education: req.education, formation, referenceDate: config.referenceDate, limits: config.ageLimits });
  if (req.category !== formation.category) reasons.push(violation('CATEGORY_MISMATCH', `Formasi ini untuk kategori ${formation.category}`, 'category'));
  if (reasons.length) throw new AppError(422, 'NOT_ELIGIBLE', 'Tidak memenuhi syarat', reasons);
  const warnings = checkNikAgainstDeclared(nik.value, { birthDate: req.birthDate, sex: req.sex }).map((w) => ({ code: w.code, message: w.message }));

  let reusedSkd: CandidateInput['reusedSkd'];
  if (req.reuseSkd) {
    const prev = await deps.db
      .selectFrom('skd_scores')
      .innerJoin('applications', 'applications.registration_no', 'skd_scores.registration_no')
      .select(['skd_scores.twk', 'skd_scores.tiu', 'skd_scores.tkp', 'applications.budget_year'])
      .where('applications.nik', '=', nik.value.nik)
      .where('applications.budget_year', '=', config.budgetYear - 1)
      .where('applications.education_level', '=', req.education.level)
      .where('skd_scores.reused_from_year', 'is', null)
      .executeTakeFirst();
    if (!prev) throw new AppError(422, 'SKD_REUSE_UNAVAILABLE', `Tidak ada nilai SKD tahun ${config.budgetYear - 1} untuk NIK dan jenjang pendidikan ini`);
    reusedSkd = { twk: prev.twk, tiu: prev.tiu, tkp: prev.tkp, fromYear: prev.budget_year };
  }

  // One statement: the registration number, the application and the candidate's account.
  const token = `asn_${randomBytes(32).toString('base64url')}`;
  let registrationNo: string;
  try {
    const r = await sql<{ registration_no: string }>`
      with app as (
        insert into applications (registration_no, round_id, formation_id, budget_year, nik, full_name, birth_date, sex, email, category, education_level, education_program, ipk, experience_years, prior_predikat, nik_warnings, stage)
        values (${config.budgetYear}::text || lpad(nextval('registration_seq')::text, 8, '0'), ${roundId}, ${formation.formationId}, ${config.budgetYear}, ${nik.value.nik}, ${req.fullName.trim()},
                ${req.birthDate}, ${req.sex}, ${req.email}, ${req.category}, ${req.education.level}, ${req.education.program.trim()}, ${req.education.ipk}, ${req.experienceYears ?? 0},
                ${req.priorPredikat ?? null}, ${JSON.stringify(warnings)}::jsonb, 'documents')
        returning registration_no
      ), account as (
        insert into users (username, display_name, role, token_hash, registration_no)
        select 'pelamar-' || registration_no, 'Pelamar ' || registration_no, 'candidate', ${hashToken(token)}, registration_no from app
      )
      select registration_no from app`.execute(deps.db);
    registrationNo = r.rows[0]!.registration_no;
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new AppError(409, 'DUPLICATE_APPLICATION', duplicateApplication(config.budgetYear).message);
    throw err;
  }

  const input: CandidateInput = {
    registrationNo, roundId, formationId: formation.formationId, category: req.category,
    requiredDocuments: requiredDocuments(formation, config.requiredDocuments),
    passingGrades: config.passingGrades, sanggahStages: config.sanggahStages,
    schedule: {
      registrationCloses: config.schedule.registrationCloses, verificationDeadline: config.schedule.verificationDeadline, announcementAt: config.schedule.announcementAt,
      sanggahDays: config.schedule.sanggahDays, jawabSanggahDays: config.schedule.jawabSanggahDays, drhDeadline: config.schedule.drhDeadline,
    },
    reviewerSlaDays: DEFAULT_REVIEWER_SLA_DAYS,
    ...(config.simulation ? { dayMs: config.simulation.dayMs } : {}),
    warnings,
    ...(reusedSkd ? { reusedSkd } : {}),
  };
  const workflowId = candidateWorkflowId(registrationNo);
  try {
    await deps.client.workflow.start('candidate', {
      taskQueue: deps.taskQueue, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: roundIdAttr, value: roundId },
        { key: formationIdAttr, value: formation.formationId },
        { key: stageAttr, value: 'documents' },
      ]),
    });
  } catch (err) {
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('users').where('registration_no', '=', registrationNo).execute();
      await trx.deleteFrom('applications').where('registration_no', '=', registrationNo).execute();
    }).catch(() => undefined);
    throw err;
  }
  return { registrationNo, workflowId, token, warnings };
}
