/**
 * The online SKD exam (issue 19): question banks, the seeded order of items and options, scoring
 * by the SKD rules (domain/skd.ts) and the round's `exam` configuration. Pure: workflows use it.
 */
import { type RuleViolation, violation } from './errors';
import type { SkdScores } from './skd';

export const EXAM_SUBTESTS = ['twk', 'tiu', 'tkp'] as const;
export type ExamSubtest = (typeof EXAM_SUBTESTS)[number];

// ---------------------------------------------------------------------------------------------
// Question banks

export interface BankOptionInput {
  id: string;
  text: string;
  /** TWK/TIU: 5 for the one correct option, 0 (or absent) for the others. TKP: 1–5 for every option. */
  points?: number;
}
export interface BankItemInput {
  id: string;
  text: string;
  options: BankOptionInput[];
}

export const BANK_ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const BANK_OPTION_ID = /^[A-Za-z0-9]{1,8}$/;
export const BANK_MAX_ITEMS = 5_000;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const blank = (s: unknown): boolean => typeof s !== 'string' || s.trim() === '';

function validateOptions(subtest: ExamSubtest, item: BankItemInput, at: string): RuleViolation[] {
  const e: RuleViolation[] = [];
  const add = (code: string, message: string, field: string): void => void e.push(violation(code, message, field));
  const opts = Array.isArray(item.options) ? item.options : [];
  if (opts.length < 2 || opts.length > 6) add('BANK_OPTIONS', 'Setiap soal 2–6 pilihan jawaban', `${at}.options`);
  const ids = new Set<string>();
  opts.forEach((o, j) => {
    const oat = `${at}.options[${j}]`;
    if (typeof o?.id !== 'string' || !BANK_OPTION_ID.test(o.id))
      add('BANK_OPTION_ID', 'id pilihan: 1–8 huruf atau angka', `${oat}.id`);
    else if (ids.has(o.id)) add('BANK_OPTION_DUPLICATE', `id pilihan ${o.id} ganda`, `${oat}.id`);
    ids.add(o?.id);
    if (blank(o?.text) || o.text.length > 2_000) add('BANK_TEXT', 'Teks pilihan 1–2.000 karakter', `${oat}.text`);
    if (subtest === 'tkp') {
      if (!isInt(o?.points) || o.points < 1 || o.points > 5)
        add('BANK_TKP_POINTS', 'Setiap pilihan TKP bernilai bilangan bulat 1–5', `${oat}.points`);
    } else if (o?.points !== undefined && o.points !== 0 && o.points !== 5)
      add('BANK_POINTS', `Pilihan ${subtest.toUpperCase()} bernilai 5 (benar) atau 0`, `${oat}.points`);
  });
  if (subtest !== 'tkp' && opts.filter((o) => o?.points === 5).length !== 1)
    add('BANK_ONE_CORRECT', `Soal ${subtest.toUpperCase()} harus tepat satu pilihan benar bernilai 5`, `${at}.options`);
  return e;
}

/** Every problem of a bank at once (empty when valid). */
export function validateBank(subtest: ExamSubtest, items: BankItemInput[]): RuleViolation[] {
  const e: RuleViolation[] = [];
  if (!(EXAM_SUBTESTS as readonly string[]).includes(subtest))
    return [violation('BANK_SUBTEST', 'Subtes harus twk, tiu atau tkp', 'subtest')];
  if (!Array.isArray(items) || items.length === 0 || items.length > BANK_MAX_ITEMS)
    return [violation('BANK_SIZE', `Bank soal berisi 1–${BANK_MAX_ITEMS} soal`, 'items')];
  const ids = new Set<string>();
  items.forEach((item, i) => {
    const at = `items[${i}]`;
    if (typeof item?.id !== 'string' || !BANK_ITEM_ID.test(item.id))
      e.push(violation('BANK_ITEM_ID', 'id soal: 1–64 huruf, angka, titik, garis bawah atau tanda hubung', `${at}.id`));
    else if (ids.has(item.id)) e.push(violation('BANK_ITEM_DUPLICATE', `id soal ${item.id} ganda`, `${at}.id`));
    ids.add(item?.id);
    if (blank(item?.text) || item.text.length > 10_000)
      e.push(violation('BANK_TEXT', 'Teks soal 1–10.000 karakter', `${at}.text`));
    e.push(...validateOptions(subtest, item, at));
  });
  return e;
}

/** The points of each option (the key): 0 for a wrong TWK/TIU option. */
export function optionPoints(item: BankItemInput): Record<string, number> {
  return Object.fromEntries(item.options.map((o) => [o.id, o.points ?? 0]));
}

// ---------------------------------------------------------------------------------------------
// Seeded order (sfc32 seeded from a string hash: small, fast, the same on every platform)

function hash128(s: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** A PRNG in [0, 1) from a seed string. */
export function seededRandom(seed: string): () => number {
  let [a, b, c, d] = hash128(seed);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates shuffle of a copy, driven by `seed`. */
export function seededShuffle<T>(items: readonly T[], seed: string): T[] {
  const out = [...items];
  const rnd = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The `n` items a session draws from one subtest's bank (in bank order), from the session seed. */
export function drawItems(seed: string, subtest: ExamSubtest, bankItemIds: readonly string[], n: number): string[] {
  if (n > bankItemIds.length) throw new RangeError(`${subtest}: bank has ${bankItemIds.length} items, needs ${n}`);
  const chosen = new Set(seededShuffle(bankItemIds, `${seed}:draw:${subtest}`).slice(0, n));
  return bankItemIds.filter((id) => chosen.has(id));
}

export interface ExamItemShape {
  itemId: string;
  subtest: ExamSubtest;
  options: string[];
}

/**
 * The candidate's screen order: subtests in TWK, TIU, TKP order (as the CAT), the items of each
 * shuffled, and the options of each item shuffled, all from the seed.
 */
export function examLayout(seed: string, items: readonly ExamItemShape[]): ExamItemShape[] {
  return EXAM_SUBTESTS.flatMap((sub) =>
    seededShuffle(
      items.filter((i) => i.subtest === sub),
      `${seed}:order:${sub}`,
    ),
  ).map((i) => ({
    itemId: i.itemId,
    subtest: i.subtest,
    options: seededShuffle(i.options, `${seed}:opt:${i.itemId}`),
  }));
}

// ---------------------------------------------------------------------------------------------
// Scoring

export interface ExamKeyItem {
  itemId: string;
  subtest: ExamSubtest;
  /** option id → points (TWK/TIU 5 or 0, TKP 1–5). */
  points: Record<string, number>;
}

/**
 * The SKD score of a session's answers (KepmenPANRB 321/2024, as scoreAnswerSheet): TWK/TIU 5 per
 * right answer, TKP the option's 1–5 points, blank 0. Throws RangeError on an answer to an item
 * the session does not have or an option the item does not have.
 */
export function scoreExam(keys: readonly ExamKeyItem[], answers: Readonly<Record<string, string>>): SkdScores {
  const byId = new Map(keys.map((k) => [k.itemId, k]));
  const scores: SkdScores = { twk: 0, tiu: 0, tkp: 0 };
  for (const [itemId, option] of Object.entries(answers)) {
    const key = byId.get(itemId);
    if (!key) throw new RangeError(`answer to unknown item ${itemId}`);
    const pts = key.points[option];
    if (pts === undefined) throw new RangeError(`item ${itemId} has no option ${option}`);
    if (key.subtest === 'tkp' ? !isInt(pts) || pts < 1 || pts > 5 : pts !== 0 && pts !== 5)
      throw new RangeError(`item ${itemId}: option ${option} has points ${pts}`);
    scores[key.subtest] += pts;
  }
  return scores;
}

// ---------------------------------------------------------------------------------------------
// The round's `exam` configuration

export interface ExamSlot {
  slotId: string;
  /** ISO 8601 with an offset: the session can be started from here … */
  opensAt: string;
  /** … until here; a participant who has not started by then is absent. */
  closesAt: string;
}

export interface SkdExamConfig {
  /** `online`: the CAT sessions of this system; `site`: held elsewhere, scores by CSV import (default). */
  mode: 'online' | 'site';
  /** The question bank (POST /exam-banks/{bankId}/{subtest}); default `skd`. */
  bankId?: string;
  /** Default 100. */
  durationMinutes?: number;
  /** Applicants with a visual (netra) disability in a disabilitas formation; default 130. */
  extendedDurationMinutes?: number;
  /** Items per subtest; default TWK 30, TIU 35, TKP 45. */
  items?: Record<ExamSubtest, number>;
  /** Default: one slot `utama` from schedule.skdAt for 8 hours. */
  slots?: ExamSlot[];
}
export interface ExamConfig {
  skd: SkdExamConfig;
}

export interface SkdExamSettings {
  mode: 'online' | 'site';
  bankId: string;
  durationMs: number;
  extendedDurationMs: number;
  items: Record<ExamSubtest, number>;
  slots: ExamSlot[];
}

export const DEFAULT_EXAM_ITEMS: Record<ExamSubtest, number> = { twk: 30, tiu: 35, tkp: 45 };
const DEFAULT_SLOT_MS = 8 * 3_600_000;

function isoPlus(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

/** The SKD exam settings of a round with every default filled in. */
export function skdExamSettings(round: { exam?: ExamConfig; schedule: { skdAt: string } }): SkdExamSettings {
  const c = round.exam?.skd;
  return {
    mode: c?.mode ?? 'site',
    bankId: c?.bankId ?? 'skd',
    durationMs: (c?.durationMinutes ?? 100) * 60_000,
    extendedDurationMs: (c?.extendedDurationMinutes ?? 130) * 60_000,
    items: c?.items ?? DEFAULT_EXAM_ITEMS,
    slots: c?.slots ?? [
      { slotId: 'utama', opensAt: round.schedule.skdAt, closesAt: isoPlus(round.schedule.skdAt, DEFAULT_SLOT_MS) },
    ],
  };
}

/** A session's length: the extended time only for a visual disability in a disabilitas formation. */
export function examDurationMs(s: SkdExamSettings, category: string, visualDisability: boolean): number {
  return visualDisability && category === 'disabilitas' ? s.extendedDurationMs : s.durationMs;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const ms = (s: unknown): number => (typeof s === 'string' && DATETIME.test(s) ? Date.parse(s) : Number.NaN);

function validateSlots(slots: unknown, e: RuleViolation[]): void {
  const at = 'exam.skd.slots';
  if (!Array.isArray(slots) || slots.length === 0 || slots.length > 100) {
    e.push(violation('EXAM_SLOTS', 'Sesi ujian: 1–100 sesi', at));
    return;
  }
  const ids = new Set<string>();
  slots.forEach((s: Partial<ExamSlot>, i) => {
    if (typeof s?.slotId !== 'string' || !BANK_ITEM_ID.test(s.slotId) || ids.has(s.slotId))
      e.push(violation('EXAM_SLOT_ID', 'slotId tidak valid atau ganda', `${at}[${i}].slotId`));
    ids.add(s?.slotId as string);
    const o = ms(s?.opensAt);
    const c = ms(s?.closesAt);
    if (Number.isNaN(o) || Number.isNaN(c) || o >= c)
      e.push(violation('EXAM_SLOT_TIME', 'Sesi ujian: opensAt sebelum closesAt, ISO 8601 dengan zona', `${at}[${i}]`));
  });
}

/** The `exam` section of a round configuration (absent is valid: SKD held elsewhere). */
export function validateExamConfig(exam: ExamConfig | undefined): RuleViolation[] {
  if (exam === undefined) return [];
  const e: RuleViolation[] = [];
  const c = exam?.skd;
  if (!c || (c.mode !== 'online' && c.mode !== 'site'))
    return [violation('EXAM_MODE', 'exam.skd.mode harus online atau site', 'exam.skd.mode')];
  if (c.bankId !== undefined && (typeof c.bankId !== 'string' || !BANK_ITEM_ID.test(c.bankId)))
    e.push(violation('EXAM_BANK_ID', 'bankId tidak valid', 'exam.skd.bankId'));
  for (const k of ['durationMinutes', 'extendedDurationMinutes'] as const) {
    const v = c[k];
    if (v !== undefined && (!isInt(v) || v < 1 || v > 600))
      e.push(violation('EXAM_DURATION', `${k}: 1–600 menit`, `exam.skd.${k}`));
  }
  if ((c.extendedDurationMinutes ?? 130) < (c.durationMinutes ?? 100))
    e.push(violation('EXAM_DURATION', 'Waktu tambahan tidak boleh lebih pendek', 'exam.skd.extendedDurationMinutes'));
  if (c.items !== undefined)
    for (const sub of EXAM_SUBTESTS) {
      const v = c.items?.[sub];
      if (!isInt(v) || v < 1 || v > 200)
        e.push(violation('EXAM_ITEMS', `Jumlah soal ${sub}: 1–200`, `exam.skd.items.${sub}`));
    }
  if (c.slots !== undefined) validateSlots(c.slots, e);
  return e;
}
