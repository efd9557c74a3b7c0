import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../config';
import {
  CATEGORIES,
  DEFAULT_PRIOR_PERFORMANCE_POINTS,
  DOCUMENT_KINDS,
  EDUCATION_LEVELS,
  EXTENDED_AGE_JABATAN_KINDS,
  SANGGAH_STAGES,
  SCHEDULE_KEYS,
  validateRoundConfig,
  withDefaults,
  type Criterion,
  type FormationConfig,
  type RoundConfig,
  type RoundConfigInput,
  type RuleViolation,
} from '../domain';
import { SCHEDULE_LABEL } from './labels';

/**
 * HR's round wizard: the configuration is built in steps from the example file
 * (examples/round-medan-2026.yaml, every default filled in). Between steps the draft travels in a
 * hidden field (nothing is stored before the final submit, which goes to createRound, where the
 * same validateRoundConfig decides). Each step shows the domain's violations of its own fields,
 * next to the field.
 */
export const WIZARD_STEPS = ['identitas', 'formasi', 'jadwal', 'penilaian', 'pratinjau'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];
export const STEP_LABEL: Record<WizardStep, string> = {
  identitas: 'Identitas',
  formasi: 'Formasi',
  jadwal: 'Jadwal',
  penilaian: 'Penilaian dan kriteria',
  pratinjau: 'Pratinjau',
};
export const EXAMPLE_FILE = join(ROOT, 'examples', 'round-medan-2026.yaml');
export const CRITERION_KINDS = ['experience', 'interview', 'priorPerformance'] as const;
export const JABATAN_KINDS = ['umum', ...EXTENDED_AGE_JABATAN_KINDS] as const;
export const EXTRA_DOCUMENTS = ['str', 'serdik', 'pendukung'] as const;
export { CATEGORIES, DOCUMENT_KINDS, EDUCATION_LEVELS, SANGGAH_STAGES, SCHEDULE_KEYS };

/** The example configuration with every default written out (the wizard's starting point). */
export function exampleDraft(): RoundConfig {
  return withDefaults(parseYaml(readFileSync(EXAMPLE_FILE, 'utf8')) as RoundConfigInput);
}

export function emptyFormation(n: number): FormationConfig {
  return {
    formationId: `FORMASI-${n}`,
    unit: '',
    jabatan: '',
    educationLevel: 'S1',
    educationPrograms: [],
    quota: 1,
    category: 'umum',
    skbMax: 500,
  };
}

/** An instant as the value of a datetime-local input, in WIB. */
export function toWibLocal(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms + 7 * 3_600_000).toISOString().slice(0, 16);
}
/** A datetime-local value read as WIB (+07:00); anything else is kept for the validator to name. */
export function fromWibLocal(v: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00+07:00` : v;
}

type Form = Record<string, string | string[] | undefined>;
const one = (f: Form, k: string): string => {
  const v = f[k];
  return (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim().slice(0, 2000);
};
const many = (f: Form, k: string): string[] => {
  const v = f[k];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
};
/** An integer, or the text as typed (the validator names it; the form shows it again). */
const int = (v: string): number => (/^-?\d{1,9}$/.test(v) ? Number(v) : (v as unknown as number));
const optInt = (v: string): number | undefined => (v === '' ? undefined : int(v));

function readIdentity(d: RoundConfig, f: Form): void {
  d.roundId = one(f, 'roundId');
  d.name = one(f, 'name');
  d.agency = one(f, 'agency');
  d.budgetYear = int(one(f, 'budgetYear'));
  d.referenceDate = one(f, 'referenceDate');
}

function readFormations(d: RoundConfig, f: Form): void {
  d.formations = d.formations.map((old, i) => {
    const at = `formations[${i}]`;
    const kind = one(f, `${at}.jabatanKind`);
    const next: FormationConfig = {
      ...old,
      formationId: one(f, `${at}.formationId`),
      unit: one(f, `${at}.unit`),
      jabatan: one(f, `${at}.jabatan`),
      educationLevel: one(f, `${at}.educationLevel`) as FormationConfig['educationLevel'],
      educationPrograms: one(f, `${at}.educationPrograms`)
        .split(/[,;\n]/)
        .map((p) => p.trim())
        .filter(Boolean),
      quota: int(one(f, `${at}.quota`)),
      category: one(f, `${at}.category`) as FormationConfig['category'],
      skbMax: int(one(f, `${at}.skbMax`)),
    };
    if (kind && kind !== 'umum') next.jabatanKind = kind as FormationConfig['jabatanKind'];
    else delete next.jabatanKind;
    const extra = many(f, `${at}.extraDocuments`) as FormationConfig['extraDocuments'];
    if (extra?.length) next.extraDocuments = extra;
    else delete next.extraDocuments;
    return next;
  });
}

function readSchedule(d: RoundConfig, f: Form): void {
  const s = { ...d.schedule } as Record<string, unknown>;
  for (const k of SCHEDULE_KEYS) s[k] = fromWibLocal(one(f, `schedule.${k}`));
  s.sanggahDays = int(one(f, 'schedule.sanggahDays'));
  s.jawabSanggahDays = int(one(f, 'schedule.jawabSanggahDays'));
  d.schedule = s as unknown as RoundConfig['schedule'];
}

function readScoring(d: RoundConfig, f: Form): void {
  d.weights = { skdWeight: int(one(f, 'weights.skdWeight')), skbWeight: int(one(f, 'weights.skbWeight')) };
  d.skbCutMultiplier = int(one(f, 'skbCutMultiplier'));
  d.skbTieBreak = [0, 1, 2].map((i) => one(f, `skbTieBreak.${i}`)) as RoundConfig['skbTieBreak'];
  d.ageLimits = {
    min: int(one(f, 'ageLimits.min')),
    max: int(one(f, 'ageLimits.max')),
    extendedMax: int(one(f, 'ageLimits.extendedMax')),
  };
  for (const g of ['umum', 'cumlaude_diaspora', 'afirmasi'] as const) {
    const grade: Record<string, number | undefined> = {};
    for (const k of ['twk', 'tiu', 'tkp', 'total'] as const) {
      const v = optInt(one(f, `passingGrades.${g}.${k}`));
      if (v !== undefined) grade[k] = v;
    }
    d.passingGrades = { ...d.passingGrades, [g]: grade };
  }
  d.sanggahStages = many(f, 'sanggahStages') as RoundConfig['sanggahStages'];
  d.requiredDocuments = many(f, 'requiredDocuments') as RoundConfig['requiredDocuments'];
  d.formations = d.formations.map((old, i) => readFormationScoring(old, f, `formations[${i}].scoring`));
}

function readFormationScoring(old: FormationConfig, f: Form, at: string): FormationConfig {
  const next = { ...old };
  const skd = one(f, `${at}.skdWeight`);
  const skb = one(f, `${at}.skbWeight`);
  const criteria: Criterion[] = [];
  for (const kind of CRITERION_KINDS) {
    const w = one(f, `${at}.${kind}.weight`);
    if (!w) continue;
    const label = one(f, `${at}.${kind}.label`) || undefined;
    const base = { weight: int(w), ...(label ? { label } : {}) };
    if (kind === 'experience') criteria.push({ kind, ...base, maxYears: int(one(f, `${at}.${kind}.max`)) });
    else if (kind === 'interview') criteria.push({ kind, ...base, max: int(one(f, `${at}.${kind}.max`)) });
    else {
      const prev = old.scoring?.criteria.find((c) => c.kind === 'priorPerformance');
      criteria.push({
        kind,
        ...base,
        points: prev && prev.kind === 'priorPerformance' ? prev.points : DEFAULT_PRIOR_PERFORMANCE_POINTS,
      });
    }
  }
  if (!skd && !skb && criteria.length === 0) delete next.scoring;
  else next.scoring = { skdWeight: int(skd), skbWeight: int(skb), criteria };
  return next;
}

/** Reads one step's fields into the draft (a copy). */
export function readStep(draft: RoundConfig, step: WizardStep, form: Form): RoundConfig {
  const d = structuredClone(draft);
  if (step === 'identitas') readIdentity(d, form);
  else if (step === 'formasi') readFormations(d, form);
  else if (step === 'jadwal') readSchedule(d, form);
  else if (step === 'penilaian') readScoring(d, form);
  return d;
}

/** The draft from the hidden field: an object with the configuration's shape, else undefined. */
export function parseDraft(raw: string): RoundConfig | undefined {
  try {
    const d = JSON.parse(raw) as RoundConfig;
    if (!d || typeof d !== 'object' || !Array.isArray(d.formations) || typeof d.schedule !== 'object') return undefined;
    if (!d.passingGrades || !d.weights || !d.ageLimits) return undefined;
    return d;
  } catch {
    return undefined;
  }
}

/** Which step owns a violation's field. */
export function stepOf(field: string | undefined): WizardStep {
  if (!field) return 'identitas';
  if (/^formations\[\d+\]\.scoring/.test(field)) return 'penilaian';
  if (field.startsWith('formations')) return 'formasi';
  if (field.startsWith('schedule') || field.startsWith('simulation')) return 'jadwal';
  if (['roundId', 'name', 'agency', 'budgetYear', 'referenceDate'].includes(field)) return 'identitas';
  return 'penilaian';
}

/** The form field (input name) a violation belongs to. */
export function inputOf(v: RuleViolation, draft: RoundConfig): string {
  const f = v.field ?? 'roundId';
  const crit = /^(formations\[(\d+)\]\.scoring)\.criteria\[(\d+)\]\.(\w+)$/.exec(f);
  if (crit) {
    const c = draft.formations[Number(crit[2])]?.scoring?.criteria[Number(crit[3])];
    const prop = crit[4] === 'maxYears' ? 'max' : crit[4] === 'points' ? 'weight' : crit[4];
    return `${crit[1]}.${c?.kind ?? 'experience'}.${prop}`;
  }
  if (/^formations\[\d+\]\.scoring$/.test(f)) return `${f}.skdWeight`;
  if (f === 'weights') return 'weights.skdWeight';
  if (f === 'ageLimits') return 'ageLimits.min';
  if (f === 'skbTieBreak') return 'skbTieBreak.0';
  if (/^passingGrades\.\w+$/.test(f)) return `${f}.twk`;
  return f;
}

/** The message with the schedule's key names in words. */
export function messageOf(v: RuleViolation): string {
  let m = v.message;
  for (const k of SCHEDULE_KEYS) m = m.replace(new RegExp(`\\b${k}\\b`, 'g'), SCHEDULE_LABEL[k] ?? k);
  return m;
}

/** An input id from its name (ids without brackets or dots, so `#id` links work everywhere). */
export const idOf = (name: string): string => `w-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/**
 * The violations of the whole draft grouped for the page: `errors` (input id → message) of the
 * given step, and how many each step has (the preview links to the steps that need work).
 */
export function violationsOf(
  draft: RoundConfig,
  step: WizardStep,
): { errors: Record<string, string>; perStep: Record<WizardStep, number>; all: RuleViolation[] } {
  const all = validateRoundConfig(draft);
  const errors: Record<string, string> = {};
  const perStep = Object.fromEntries(WIZARD_STEPS.map((s) => [s, 0])) as Record<WizardStep, number>;
  for (const v of all) {
    const s = stepOf(v.field);
    perStep[s] += 1;
    if (s !== step) continue;
    const id = idOf(inputOf(v, draft));
    errors[id] = errors[id] ? `${errors[id]}; ${messageOf(v)}` : messageOf(v);
  }
  return { errors, perStep, all };
}
