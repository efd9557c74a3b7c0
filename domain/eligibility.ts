import { ageOn, type IsoDate } from './dates';
import { type RuleViolation, violation } from './errors';

export const EDUCATION_LEVELS = ['SMA', 'D3', 'D4', 'S1', 'S2', 'S3'] as const;
export type EducationLevel = (typeof EDUCATION_LEVELS)[number];

/** Jabatan whose maximum age is 40 (PermenPANRB 6/2024). */
export const EXTENDED_AGE_JABATAN_KINDS = [
  'dokter_spesialis',
  'dokter_gigi_spesialis',
  'dokter_pendidik_klinis',
  'dosen_s3',
  'peneliti',
  'perekayasa',
] as const;
export type JabatanKind = (typeof EXTENDED_AGE_JABATAN_KINDS)[number] | 'umum';

export interface AgeLimits {
  min: number;
  max: number;
  extendedMax: number;
}
export const DEFAULT_AGE_LIMITS: AgeLimits = { min: 18, max: 35, extendedMax: 40 };

export interface Education {
  level: EducationLevel;
  program: string;
}

export interface FormationQualification {
  jabatanKind?: JabatanKind;
  educationLevel: EducationLevel;
  /** Accepted study programs; compared case- and space-insensitively. */
  educationPrograms: string[];
}

export const normaliseProgram = (p: string): string => p.trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * The formation's own spelling of the chosen program, or undefined when it is not one of the
 * accepted programs. Candidates choose from the formation's list; the comparison ignores case
 * and spacing only ("Ilmu Keperawatan" is not "Keperawatan": the formation lists what it takes).
 */
export function acceptedProgram(
  f: Pick<FormationQualification, 'educationPrograms'>,
  program: string,
): string | undefined {
  const wanted = normaliseProgram(program);
  return f.educationPrograms.find((p) => normaliseProgram(p) === wanted);
}

/** The key optimalisasi uses: same level and the same accepted programs. */
export function qualificationKey(f: FormationQualification): string {
  return `${f.educationLevel}|${[...new Set(f.educationPrograms.map(normaliseProgram))].sort().join(',')}`;
}

export function maxAgeFor(f: FormationQualification, limits: AgeLimits = DEFAULT_AGE_LIMITS): number {
  return f.jabatanKind && f.jabatanKind !== 'umum' ? limits.extendedMax : limits.max;
}

/**
 * Every reason a candidate is not eligible for a formation (empty when eligible). The
 * one-application-per-NIK-per-budget-year rule is enforced by the database's unique constraint
 * (two simultaneous requests cannot both win); `duplicateApplication` reports it here.
 */
export function checkEligibility(input: {
  birthDate: IsoDate;
  education: Education;
  formation: FormationQualification;
  referenceDate: IsoDate;
  limits?: AgeLimits;
}): RuleViolation[] {
  const reasons: RuleViolation[] = [];
  const limits = input.limits ?? DEFAULT_AGE_LIMITS;
  const age = ageOn(input.birthDate, input.referenceDate);
  const max = maxAgeFor(input.formation, limits);
  if (age < limits.min) {
    reasons.push(
      violation(
        'AGE_BELOW_MIN',
        `Usia ${age} tahun pada ${input.referenceDate}; paling rendah ${limits.min} tahun`,
        'birthDate',
        { age, min: limits.min },
      ),
    );
  }
  if (age > max) {
    reasons.push(
      violation(
        'AGE_ABOVE_MAX',
        `Usia ${age} tahun pada ${input.referenceDate}; paling tinggi ${max} tahun untuk jabatan ini`,
        'birthDate',
        { age, max },
      ),
    );
  }
  if (input.education.level !== input.formation.educationLevel) {
    reasons.push(
      violation(
        'EDUCATION_LEVEL',
        `Jenjang pendidikan ${input.education.level} tidak sesuai; formasi ini meminta ${input.formation.educationLevel}`,
        'education.level',
      ),
    );
  }
  if (acceptedProgram(input.formation, input.education.program) === undefined) {
    const accepted = input.formation.educationPrograms;
    reasons.push(
      violation(
        'EDUCATION_PROGRAM',
        `Program studi "${input.education.program.trim()}" tidak termasuk kualifikasi formasi ini; yang diterima: ${accepted.join(', ')}`,
        'education.program',
        { accepted },
      ),
    );
  }
  return reasons;
}

export const duplicateApplication = (budgetYear: number): RuleViolation =>
  violation(
    'DUPLICATE_APPLICATION',
    `NIK ini sudah terdaftar pada seleksi tahun anggaran ${budgetYear}; satu NIK hanya boleh melamar satu kali`,
    'nik',
  );
