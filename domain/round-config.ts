import { isIsoDate, type IsoDate } from './dates';
import {
  DEFAULT_DOCUMENT_RULES,
  DEFAULT_REQUIRED_DOCUMENTS,
  DOCUMENT_KINDS,
  type DocumentKind,
  type DocumentRule,
} from './documents';
import {
  DEFAULT_AGE_LIMITS,
  EDUCATION_LEVELS,
  EXTENDED_AGE_JABATAN_KINDS,
  type AgeLimits,
  type EducationLevel,
  type JabatanKind,
} from './eligibility';
import { type RuleViolation, violation } from './errors';
import { type ExamConfig, validateExamConfig } from './exam';
import type { Criterion, ScoringConfig } from './integration';
import { DEFAULT_SKB_TIE_BREAK, type TieBreakKey } from './ranking';
import { CATEGORIES, DEFAULT_PASSING_GRADES, SKD_SUBTESTS, SKD_MAX, type Category, type PassingGrades } from './skd';

export const SANGGAH_STAGES = ['administrasi', 'skd', 'final'] as const;
export type SanggahStage = (typeof SANGGAH_STAGES)[number];

/** Instants are ISO 8601 date-times with an offset (WIB is +07:00). */
export interface RoundSchedule {
  consultationOpens: string;
  consultationCloses: string;
  registrationOpens: string;
  registrationCloses: string;
  verificationDeadline: string;
  announcementAt: string;
  /** Masa sanggah, calendar days after an announcement (default 3). */
  sanggahDays: number;
  /** Jawab sanggah window, days after the sanggah closes (2–4 in 2024). */
  jawabSanggahDays: number;
  skdAt: string;
  skbAt: string;
  finalAnnouncementAt: string;
  drhDeadline: string;
}

export interface FormationConfig {
  formationId: string;
  unit: string;
  jabatan: string;
  jabatanKind?: JabatanKind;
  educationLevel: EducationLevel;
  educationPrograms: string[];
  quota: number;
  /** `umum`, or the afirmasi category the formation is reserved for. */
  category: Category;
  extraDocuments?: DocumentKind[];
  skbMax: number;
  /** Published performance-based criteria; weights of SKD, SKB and criteria sum to 100. */
  scoring?: { skdWeight: number; skbWeight: number; criteria: Criterion[] };
}

export interface RoundConfig {
  roundId: string;
  name: string;
  /** The agency's name is configuration: it has changed over the years (BKDPSDM → BKD → BKPSDM). */
  agency: string;
  budgetYear: number;
  referenceDate: IsoDate;
  schedule: RoundSchedule;
  formations: FormationConfig[];
  passingGrades: PassingGrades;
  weights: { skdWeight: number; skbWeight: number };
  skbCutMultiplier: number;
  skbTieBreak: TieBreakKey[];
  sanggahStages: SanggahStage[];
  ageLimits: AgeLimits;
  requiredDocuments: DocumentKind[];
  documentRules: Record<DocumentKind, DocumentRule>;
  /**
   * A simulation round (demos, reviewer training, fault drills): one "day" of the day-counted
   * windows (masa sanggah, jawab sanggah, reviewer SLA) lasts `dayMs` instead of 24 hours.
   * Absent in real rounds; the API refuses it in production unless ASN_ALLOW_SIMULATION=1.
   */
  simulation?: { dayMs: number };
  /** The SKD exam: `online` (CAT sessions of this system, issue 19) or held elsewhere (`site`, default). */
  exam?: ExamConfig;
}

/** The settings a round may leave out: the defaults fill them in. */
type DefaultedKeys =
  | 'passingGrades'
  | 'weights'
  | 'skbCutMultiplier'
  | 'skbTieBreak'
  | 'sanggahStages'
  | 'ageLimits'
  | 'requiredDocuments'
  | 'documentRules';

export type RoundConfigInput = Omit<RoundConfig, DefaultedKeys | 'schedule'> &
  Partial<Pick<RoundConfig, DefaultedKeys>> & {
    schedule: Omit<RoundSchedule, 'sanggahDays' | 'jawabSanggahDays'> &
      Partial<Pick<RoundSchedule, 'sanggahDays' | 'jawabSanggahDays'>>;
  };

/** Fills the configurable defaults (DOMAIN.md, 2024). */
export function withDefaults(input: RoundConfigInput): RoundConfig {
  return {
    ...input,
    schedule: { sanggahDays: 3, jawabSanggahDays: 3, ...input.schedule },
    passingGrades: input.passingGrades ?? DEFAULT_PASSING_GRADES,
    weights: input.weights ?? { skdWeight: 40, skbWeight: 60 },
    skbCutMultiplier: input.skbCutMultiplier ?? 3,
    skbTieBreak: input.skbTieBreak ?? DEFAULT_SKB_TIE_BREAK,
    sanggahStages: input.sanggahStages ?? ['administrasi', 'final'],
    ageLimits: input.ageLimits ?? DEFAULT_AGE_LIMITS,
    requiredDocuments: input.requiredDocuments ?? DEFAULT_REQUIRED_DOCUMENTS,
    documentRules: input.documentRules ?? DEFAULT_DOCUMENT_RULES,
  };
}

export function scoringOf(round: Pick<RoundConfig, 'weights'>, f: FormationConfig): ScoringConfig {
  return {
    skdWeight: f.scoring?.skdWeight ?? round.weights.skdWeight,
    skbWeight: f.scoring?.skbWeight ?? round.weights.skbWeight,
    skbMax: f.skbMax,
    criteria: f.scoring?.criteria ?? [],
  };
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
export function instantMs(s: string): number {
  return DATETIME.test(s) ? Date.parse(s) : Number.NaN;
}

/** Every instant of a round's schedule, in order; each is a deadline HR may extend before it passes. */
export const SCHEDULE_KEYS = [
  'consultationOpens',
  'consultationCloses',
  'registrationOpens',
  'registrationCloses',
  'verificationDeadline',
  'announcementAt',
  'skdAt',
  'skbAt',
  'finalAnnouncementAt',
  'drhDeadline',
] as const satisfies readonly (keyof RoundSchedule)[];
const SCHEDULE_ORDER: readonly (keyof RoundSchedule)[] = SCHEDULE_KEYS;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const DAY_MS = 86_400_000;

type Add = (code: string, message: string, field: string) => void;

/** Returns every error at once (empty when valid). */
export function validateRoundConfig(c: RoundConfig): RuleViolation[] {
  const e: RuleViolation[] = [];
  const add: Add = (code, message, field) => void e.push(violation(code, message, field));
  basicsProblems(c, add);
  scheduleProblems(c, add);
  passingGradeProblems(c, add);
  rulesProblems(c, add);
  e.push(...validateExamConfig(c.exam));
  formationProblems(c, add);
  return e;
}

function basicsProblems(c: RoundConfig, add: Add): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(c.roundId))
    add('ROUND_ID', 'roundId: 1–64 huruf, angka, titik, garis bawah atau tanda hubung', 'roundId');
  if (!c.name?.trim()) add('REQUIRED', 'Nama seleksi wajib diisi', 'name');
  if (!c.agency?.trim()) add('REQUIRED', 'Nama instansi wajib diisi', 'agency');
  if (!isInt(c.budgetYear) || c.budgetYear < 2000 || c.budgetYear > 2100)
    add('BUDGET_YEAR', 'Tahun anggaran tidak valid', 'budgetYear');
  if (!isIsoDate(c.referenceDate)) add('DATE', 'Tanggal acuan usia harus YYYY-MM-DD', 'referenceDate');
}

function scheduleProblems(c: RoundConfig, add: Add): void {
  // Schedule: each instant valid and in order.
  let prev: { key: string; ms: number } | undefined;
  for (const key of SCHEDULE_ORDER) {
    const ms = instantMs(c.schedule[key] as string);
    if (Number.isNaN(ms)) {
      add('DATETIME', `${key}: harus tanggal-waktu ISO 8601 dengan zona waktu`, `schedule.${key}`);
      continue;
    }
    if (prev && ms < prev.ms) add('SCHEDULE_ORDER', `${key} harus sesudah ${prev.key}`, `schedule.${key}`);
    prev = { key, ms };
  }
  const s = c.schedule;
  if (!isInt(s.sanggahDays) || s.sanggahDays < 1 || s.sanggahDays > 30)
    add('SANGGAH_DAYS', 'Masa sanggah 1–30 hari', 'schedule.sanggahDays');
  if (!isInt(s.jawabSanggahDays) || s.jawabSanggahDays < 1 || s.jawabSanggahDays > 30)
    add('JAWAB_SANGGAH_DAYS', 'Masa jawab sanggah 1–30 hari', 'schedule.jawabSanggahDays');
  const dayMs = c.simulation ? c.simulation.dayMs : DAY_MS;
  if (c.simulation && (!isInt(c.simulation.dayMs) || c.simulation.dayMs < 1_000 || c.simulation.dayMs > DAY_MS))
    add('SIMULATION_DAY', 'Panjang hari simulasi 1.000–86.400.000 ms', 'simulation.dayMs');
  const ann = instantMs(s.announcementAt);
  const skd = instantMs(s.skdAt);
  if (
    !Number.isNaN(ann) &&
    !Number.isNaN(skd) &&
    isInt(s.sanggahDays) &&
    isInt(s.jawabSanggahDays) &&
    c.sanggahStages?.includes('administrasi')
  ) {
    if (ann + (s.sanggahDays + s.jawabSanggahDays) * (isInt(dayMs) ? dayMs : DAY_MS) > skd)
      add('SCHEDULE_SANGGAH', 'Masa sanggah dan jawab sanggah harus selesai sebelum SKD', 'schedule.skdAt');
  }
}

function passingGradeProblems(c: RoundConfig, add: Add): void {
  // Passing grades within subtest maxima.
  for (const group of ['umum', 'cumlaude_diaspora', 'afirmasi'] as const) {
    const g = c.passingGrades?.[group];
    if (!g) {
      add('PASSING_GRADE_MISSING', `Nilai ambang batas kelompok ${group} wajib ada`, `passingGrades.${group}`);
      continue;
    }
    for (const k of ['twk', 'tiu', 'tkp', 'total'] as const) {
      const v = g[k];
      if (v === undefined) continue;
      const max = k === 'total' ? SKD_MAX : SKD_SUBTESTS[k].max;
      if (!isInt(v) || v < 0 || v > max)
        add(
          'PASSING_GRADE_RANGE',
          `Ambang ${k.toUpperCase()} kelompok ${group} harus 0–${max}`,
          `passingGrades.${group}.${k}`,
        );
    }
    if (Object.values(g).every((v) => v === undefined))
      add('PASSING_GRADE_EMPTY', `Kelompok ${group} tanpa ambang batas`, `passingGrades.${group}`);
  }
}

/** The SKB cut and tie-break, sanggah stages, age limits, documents and weights. */
function rulesProblems(c: RoundConfig, add: Add): void {
  if (!isInt(c.skbCutMultiplier) || c.skbCutMultiplier < 1)
    add('SKB_MULTIPLIER', 'Kelipatan kuota SKB harus bilangan bulat ≥ 1', 'skbCutMultiplier');
  const tb = c.skbTieBreak ?? [];
  if (tb.length !== 3 || new Set(tb).size !== 3 || !tb.every((k) => k === 'twk' || k === 'tiu' || k === 'tkp'))
    add('TIE_BREAK', 'Urutan penentu kelulusan SKB harus TWK, TIU, TKP masing-masing sekali', 'skbTieBreak');
  if (!c.sanggahStages?.every((st) => (SANGGAH_STAGES as readonly string[]).includes(st)))
    add('SANGGAH_STAGES', `Tahap sanggah hanya: ${SANGGAH_STAGES.join(', ')}`, 'sanggahStages');
  const a = c.ageLimits;
  if (
    !a ||
    !isInt(a.min) ||
    !isInt(a.max) ||
    !isInt(a.extendedMax) ||
    a.min < 0 ||
    a.min > a.max ||
    a.max > a.extendedMax
  )
    add('AGE_LIMITS', 'Batas usia: min ≤ max ≤ max khusus', 'ageLimits');
  if (!c.requiredDocuments?.every((d) => (DOCUMENT_KINDS as readonly string[]).includes(d)))
    add('DOCUMENT_KIND', 'Jenis dokumen tidak dikenal', 'requiredDocuments');

  const w = c.weights;
  if (
    !w ||
    !isInt(w.skdWeight) ||
    !isInt(w.skbWeight) ||
    w.skdWeight < 0 ||
    w.skbWeight < 0 ||
    w.skdWeight + w.skbWeight !== 100
  )
    add('WEIGHTS_SUM', 'Bobot SKD + SKB harus berjumlah 100', 'weights');
}

function formationProblems(c: RoundConfig, add: Add): void {
  if (!Array.isArray(c.formations) || c.formations.length === 0)
    add('FORMATIONS_EMPTY', 'Sekurang-kurangnya satu formasi', 'formations');
  const ids = new Set<string>();
  (c.formations ?? []).forEach((f, i) => {
    const at = `formations[${i}]`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(f.formationId ?? ''))
      add('FORMATION_ID', 'formationId tidak valid', `${at}.formationId`);
    else if (ids.has(f.formationId))
      add('FORMATION_DUPLICATE', `formationId ${f.formationId} ganda`, `${at}.formationId`);
    ids.add(f.formationId);
    if (!f.unit?.trim()) add('REQUIRED', 'Unit kerja wajib diisi', `${at}.unit`);
    if (!f.jabatan?.trim()) add('REQUIRED', 'Jabatan wajib diisi', `${at}.jabatan`);
    if (!isInt(f.quota) || f.quota <= 0) add('QUOTA', 'Kuota harus bilangan bulat > 0', `${at}.quota`);
    if (!(EDUCATION_LEVELS as readonly string[]).includes(f.educationLevel))
      add('EDUCATION_LEVEL', 'Jenjang pendidikan tidak dikenal', `${at}.educationLevel`);
    if (
      !Array.isArray(f.educationPrograms) ||
      f.educationPrograms.length === 0 ||
      f.educationPrograms.some((p) => !p?.trim())
    )
      add('EDUCATION_PROGRAMS', 'Sekurang-kurangnya satu program studi', `${at}.educationPrograms`);
    if (!(CATEGORIES as readonly string[]).includes(f.category))
      add('CATEGORY', 'Kategori formasi tidak dikenal', `${at}.category`);
    if (
      f.jabatanKind !== undefined &&
      f.jabatanKind !== 'umum' &&
      !(EXTENDED_AGE_JABATAN_KINDS as readonly string[]).includes(f.jabatanKind)
    )
      add('JABATAN_KIND', 'Jenis jabatan tidak dikenal', `${at}.jabatanKind`);
    if (!isInt(f.skbMax) || f.skbMax <= 0)
      add('SKB_MAX', 'Nilai maksimum SKB harus bilangan bulat > 0', `${at}.skbMax`);
    if (f.extraDocuments && !f.extraDocuments.every((d) => (DOCUMENT_KINDS as readonly string[]).includes(d)))
      add('DOCUMENT_KIND', 'Jenis dokumen tidak dikenal', `${at}.extraDocuments`);
    if (f.scoring) scoringProblems(f.scoring, at, add);
  });
}

/** A formation's own scoring: its criteria and weights (SKD + SKB + criteria = 100). */
function scoringProblems(sc: NonNullable<RoundConfig['formations'][number]['scoring']>, at: string, add: Add): void {
  let sum = (isInt(sc.skdWeight) ? sc.skdWeight : NaN) + (isInt(sc.skbWeight) ? sc.skbWeight : NaN);
  (sc.criteria ?? []).forEach((cr, j) => {
    const cat = `${at}.scoring.criteria[${j}]`;
    if (!isInt(cr.weight) || cr.weight <= 0)
      add('CRITERION_WEIGHT', 'Bobot kriteria harus bilangan bulat > 0', `${cat}.weight`);
    sum += isInt(cr.weight) ? cr.weight : NaN;
    if (cr.kind === 'experience' && (!isInt(cr.maxYears) || cr.maxYears <= 0))
      add('CRITERION_MAX', 'maxYears harus > 0', `${cat}.maxYears`);
    else if (cr.kind === 'interview' && (!isInt(cr.max) || cr.max <= 0))
      add('CRITERION_MAX', 'max harus > 0', `${cat}.max`);
    else if (cr.kind === 'priorPerformance') {
      const pts = Object.values(cr.points ?? {});
      if (pts.length !== 5 || !pts.every((p) => isInt(p) && p >= 0) || Math.max(...pts) <= 0)
        add('CRITERION_POINTS', 'Poin kelima predikat harus bilangan bulat ≥ 0 dan maksimum > 0', `${cat}.points`);
    } else if (cr.kind !== 'experience' && cr.kind !== 'interview')
      add('CRITERION_KIND', 'Jenis kriteria tidak dikenal', `${cat}.kind`);
  });
  if (sum !== 100) add('WEIGHTS_SUM', 'Bobot SKD + SKB + kriteria harus berjumlah 100', `${at}.scoring`);
}
