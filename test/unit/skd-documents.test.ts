import { describe, expect, it } from 'vitest';
import {
  type AnswerSheet,
  type Category,
  detectFileType,
  requiredDocuments,
  scoreAnswerSheet,
  skdOutcome,
  validateDocument,
  validateSkdScores,
} from '../../domain';

const sheet = (twkRight: number, tiuRight: number, tkpPoints: number[], blanks = 0): AnswerSheet => ({
  twk: {
    key: Array(30).fill('a'),
    answers: Array.from({ length: 30 }, (_, i) => (i < twkRight ? 'a' : i < 30 - blanks ? 'b' : null)),
  },
  tiu: { key: Array(35).fill('c'), answers: Array.from({ length: 35 }, (_, i) => (i < tiuRight ? 'c' : 'd')) },
  tkp: {
    optionPoints: Array.from({ length: 45 }, () => ({ a: 1, b: 2, c: 3, d: 4, e: 5 })),
    answers: Array.from({ length: 45 }, (_, i) => (tkpPoints[i] === undefined ? null : 'abcde'[tkpPoints[i]! - 1]!)),
  },
});

describe('scoreAnswerSheet', () => {
  it('5 per right answer in TWK/TIU, 1–5 per TKP answer, 0 blank', () => {
    expect(scoreAnswerSheet(sheet(13, 16, Array(45).fill(4)))).toEqual({ twk: 65, tiu: 80, tkp: 180 });
    expect(scoreAnswerSheet(sheet(30, 35, Array(45).fill(5)))).toEqual({ twk: 150, tiu: 175, tkp: 225 });
    expect(scoreAnswerSheet(sheet(0, 0, []))).toEqual({ twk: 0, tiu: 0, tkp: 0 });
    expect(scoreAnswerSheet(sheet(10, 0, [1, 2, 3], 20))).toEqual({ twk: 50, tiu: 0, tkp: 6 });
  });
  it('rejects a sheet of the wrong shape', () => {
    const s = sheet(1, 1, []);
    s.twk.answers.pop();
    expect(() => scoreAnswerSheet(s)).toThrow(RangeError);
  });
});

describe('validateSkdScores', () => {
  it.each([
    [{ twk: 65, tiu: 80, tkp: 166 }, []],
    [{ twk: 150, tiu: 175, tkp: 225 }, []],
    [{ twk: 0, tiu: 0, tkp: 0 }, []],
    [{ twk: 155, tiu: 80, tkp: 166 }, ['SKD_SCORE_OUT_OF_RANGE']],
    [{ twk: 66, tiu: 80, tkp: 166 }, ['SKD_SCORE_NOT_MULTIPLE_OF_5']],
    [{ twk: 65, tiu: -5, tkp: 226 }, ['SKD_SCORE_OUT_OF_RANGE', 'SKD_SCORE_OUT_OF_RANGE']],
    [
      { twk: 65.5, tiu: '80', tkp: undefined },
      ['SKD_SCORE_NOT_INTEGER', 'SKD_SCORE_NOT_INTEGER', 'SKD_SCORE_NOT_INTEGER'],
    ],
  ])('%j → %j', (s, codes) => expect(validateSkdScores(s).map((e) => e.code)).toEqual(codes));
});

describe('skdOutcome at each passing grade (2024 defaults)', () => {
  it.each<[Category, { twk: number; tiu: number; tkp: number }, boolean]>([
    ['umum', { twk: 65, tiu: 80, tkp: 166 }, true], // exactly at every grade
    ['umum', { twk: 60, tiu: 80, tkp: 166 }, false],
    ['umum', { twk: 65, tiu: 75, tkp: 166 }, false],
    ['umum', { twk: 65, tiu: 80, tkp: 165 }, false],
    ['kalimantan', { twk: 65, tiu: 80, tkp: 166 }, true],
    ['umum', { twk: 150, tiu: 175, tkp: 165 }, false], // a high total does not save a subtest
    ['cumlaude', { twk: 51, tiu: 85, tkp: 175 }, true], // total 311, TIU 85
    ['cumlaude', { twk: 50, tiu: 85, tkp: 175 }, false], // total 310
    ['diaspora', { twk: 56, tiu: 80, tkp: 175 }, false], // TIU 80 < 85
    ['disabilitas', { twk: 40, tiu: 60, tkp: 186 }, true], // total 286, TIU 60
    ['papua', { twk: 40, tiu: 60, tkp: 185 }, false], // total 285
    ['daerah_tertinggal', { twk: 100, tiu: 55, tkp: 200 }, false], // TIU 55 < 60
  ])('%s %j → %s', (category, scores, passed) => {
    const o = skdOutcome(scores, category);
    expect(o.passed).toBe(passed);
    expect(o.checks.every((c) => c.met === c.value >= c.minimum)).toBe(true);
  });
  it('grades are configurable per round', () => {
    const grades = { umum: { total: 300 }, cumlaude_diaspora: { total: 1 }, afirmasi: { total: 1 } };
    expect(skdOutcome({ twk: 0, tiu: 100, tkp: 200 }, 'umum', grades).passed).toBe(true);
    expect(skdOutcome({ twk: 0, tiu: 95, tkp: 200 }, 'umum', grades).passed).toBe(false);
  });
});

describe('documents', () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
  const pdf = new TextEncoder().encode('%PDF-1.7\n');
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);
  it('detects the type from the bytes', () => {
    expect(detectFileType(jpeg)).toBe('jpeg');
    expect(detectFileType(pdf)).toBe('pdf');
    expect(detectFileType(png)).toBeUndefined();
    expect(detectFileType(new TextEncoder().encode('%PD'))).toBeUndefined();
  });
  it.each([
    ['pas_foto', jpeg, 200 * 1024, []],
    ['pas_foto', jpeg, 200 * 1024 + 1, ['FILE_TOO_LARGE']],
    ['ktp', pdf, 1000, ['FILE_TYPE']],
    ['ijazah', pdf, 800 * 1024, []],
    ['ijazah', png, 900 * 1024, ['FILE_TYPE', 'FILE_TOO_LARGE']],
    ['transkrip', pdf, 500 * 1024 + 1, ['FILE_TOO_LARGE']],
    ['surat_lamaran', pdf, 300 * 1024, []],
    ['surat_lamaran', pdf, 0, ['FILE_EMPTY']],
  ] as const)('%s (%i bytes) → %j', (kind, head, size, codes) => {
    expect(validateDocument(kind, { head, size }).map((e) => e.code)).toEqual(codes);
  });
  it('per-formation list adds extra documents once', () => {
    expect(requiredDocuments({ extraDocuments: ['str', 'ijazah'] })).toEqual([
      'pas_foto',
      'swafoto',
      'ktp',
      'ijazah',
      'transkrip',
      'surat_lamaran',
      'str',
    ]);
  });
});
