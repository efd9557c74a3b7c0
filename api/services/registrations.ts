import { TypedSearchAttributes } from '@temporalio/common';
import { sql } from 'kysely';
import {
  checkEligibility, checkNikAgainstDeclared, isIsoDate, duplicateApplication, type Category, type EducationLevel, type PriorPredikat, parseNik, requiredDocuments, type RoundConfig, type Sex, violation,
} from '../../domain';
import { createUser } from '../../db/users';
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
  const { config, phase } = await loadRoundConfig(deps, roundId);
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

  const seq = await sql<{ n: string }>`select nextval('registration_seq') as n`.execute(deps.db);
  const registrationNo = `${config.budgetYear}${String(seq.rows[0]!.n).padStart(8, '0')}`;
  try {
    await deps.db
      .insertInto('applications')
      .values({
        registration_no: registrationNo, round_id: roundId, formation_id: formation.formationId, budget_year: config.budgetYear, nik: nik.value.nik, full_name: req.fullName.trim(),
        birth_date: req.birthDate, sex: req.sex, email: req.email, category: req.category, education_level: req.education.level, education_program: req.education.program.trim(),
        ipk: req.education.ipk, experience_years: req.experienceYears ?? 0, prior_predikat: req.priorPredikat ?? null, nik_warnings: JSON.stringify(warnings), stage: 'documents',
      })
      .execute();
  } catch (err) {
    if ((err as { code?: string; constraint?: string }).code === '23505') throw new AppError(409, 'DUPLICATE_APPLICATION', duplicateApplication(config.budgetYear).message);
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
    await deps.db.deleteFrom('applications').where('registration_no', '=', registrationNo).execute().catch(() => undefined);
    throw err;
  }
  const { token } = await createUser(deps.db, { username: `pelamar-${registrationNo}`, displayName: `Pelamar ${registrationNo}`, role: 'candidate', registrationNo });
  return { registrationNo, workflowId, token, warnings };
}
