import { type RuleViolation, violation } from './errors';

/** SKD per KepmenPANRB 321/2024: TWK 30×5, TIU 35×5, TKP 45×(1–5); blank scores 0. */
export const SKD_SUBTESTS = {
  twk: { questions: 30, max: 150 },
  tiu: { questions: 35, max: 175 },
  tkp: { questions: 45, max: 225 },
} as const;
export const SKD_MAX = 550;
export type Subtest = keyof typeof SKD_SUBTESTS;

export interface SkdScores {
  twk: number;
  tiu: number;
  tkp: number;
}

export function skdTotal(s: SkdScores): number {
  return s.twk + s.tiu + s.tkp;
}

type Answer = string | null;
export interface AnswerSheet {
  twk: { answers: Answer[]; key: string[] };
  tiu: { answers: Answer[]; key: string[] };
  /** For each TKP question, the points (1–5) of each option. */
  tkp: { answers: Answer[]; optionPoints: Record<string, number>[] };
}

/** Scores an answer sheet; throws RangeError when the sheet does not have the regulation's shape. */
export function scoreAnswerSheet(sheet: AnswerSheet): SkdScores {
  const right = (part: { answers: Answer[]; key: string[] }, sub: 'twk' | 'tiu'): number => {
    const n = SKD_SUBTESTS[sub].questions;
    if (part.answers.length !== n || part.key.length !== n)
      throw new RangeError(`${sub.toUpperCase()} needs ${n} answers and ${n} keys`);
    return part.answers.reduce<number>((sum, a, i) => sum + (a !== null && a === part.key[i] ? 5 : 0), 0);
  };
  const n = SKD_SUBTESTS.tkp.questions;
  if (sheet.tkp.answers.length !== n || sheet.tkp.optionPoints.length !== n)
    throw new RangeError(`TKP needs ${n} answers and ${n} option tables`);
  const tkp = sheet.tkp.answers.reduce<number>((sum, a, i) => {
    if (a === null) return sum;
    const pts = sheet.tkp.optionPoints[i]?.[a];
    if (pts === undefined || !Number.isInteger(pts) || pts < 1 || pts > 5)
      throw new RangeError(`TKP question ${i + 1}: option ${a} has no 1–5 points`);
    return sum + pts;
  }, 0);
  return { twk: right(sheet.twk, 'twk'), tiu: right(sheet.tiu, 'tiu'), tkp };
}

/** Checks subtest totals as they come from an import: integers within range, TWK/TIU multiples of 5. */
export function validateSkdScores(s: Partial<Record<Subtest, unknown>>): RuleViolation[] {
  const errors: RuleViolation[] = [];
  for (const sub of ['twk', 'tiu', 'tkp'] as const) {
    const v = s[sub];
    const { max } = SKD_SUBTESTS[sub];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      errors.push(violation('SKD_SCORE_NOT_INTEGER', `Nilai ${sub.toUpperCase()} harus bilangan bulat`, sub));
    } else if (v < 0 || v > max) {
      errors.push(
        violation('SKD_SCORE_OUT_OF_RANGE', `Nilai ${sub.toUpperCase()} ${v} di luar rentang 0–${max}`, sub, { max }),
      );
    } else if (sub !== 'tkp' && v % 5 !== 0) {
      errors.push(violation('SKD_SCORE_NOT_MULTIPLE_OF_5', `Nilai ${sub.toUpperCase()} ${v} harus kelipatan 5`, sub));
    }
  }
  return errors;
}

/** Registration categories; each maps to one passing-grade group. */
export const CATEGORIES = [
  'umum',
  'kalimantan',
  'cumlaude',
  'diaspora',
  'disabilitas',
  'papua',
  'daerah_tertinggal',
] as const;
export type Category = (typeof CATEGORIES)[number];
export type PassingGroup = 'umum' | 'cumlaude_diaspora' | 'afirmasi';

export function passingGroupOf(category: Category): PassingGroup {
  switch (category) {
    case 'umum':
    case 'kalimantan':
      return 'umum';
    case 'cumlaude':
    case 'diaspora':
      return 'cumlaude_diaspora';
    case 'disabilitas':
    case 'papua':
    case 'daerah_tertinggal':
      return 'afirmasi';
  }
}

/** Each group's minima; a missing field is no requirement. Configurable per round. */
export interface PassingGrade {
  twk?: number;
  tiu?: number;
  tkp?: number;
  total?: number;
}
export type PassingGrades = Record<PassingGroup, PassingGrade>;

/** KepmenPANRB 321/2024 defaults. */
export const DEFAULT_PASSING_GRADES: PassingGrades = {
  umum: { twk: 65, tiu: 80, tkp: 166 },
  cumlaude_diaspora: { total: 311, tiu: 85 },
  afirmasi: { total: 286, tiu: 60 },
};

export interface PassingCheck {
  rule: 'twk' | 'tiu' | 'tkp' | 'total';
  value: number;
  minimum: number;
  met: boolean;
}
export interface SkdOutcome {
  passed: boolean;
  group: PassingGroup;
  total: number;
  checks: PassingCheck[];
}

/** Pass/fail with every check, so the decision can be explained. Equal to the minimum passes. */
export function skdOutcome(
  scores: SkdScores,
  category: Category,
  grades: PassingGrades = DEFAULT_PASSING_GRADES,
): SkdOutcome {
  const group = passingGroupOf(category);
  const grade = grades[group];
  const total = skdTotal(scores);
  const checks: PassingCheck[] = [];
  for (const rule of ['twk', 'tiu', 'tkp', 'total'] as const) {
    const minimum = grade[rule];
    if (minimum === undefined) continue;
    const value = rule === 'total' ? total : scores[rule];
    checks.push({ rule, value, minimum, met: value >= minimum });
  }
  return { passed: checks.every((c) => c.met), group, total, checks };
}
