import { describe, expect, it } from 'vitest';
import {
  drawItems,
  examDurationMs,
  examLayout,
  optionPoints,
  scoreAnswerSheet,
  scoreExam,
  seededShuffle,
  skdExamSettings,
  validateBank,
  validateExamConfig,
  validateRoundConfig,
  withDefaults,
  type BankItemInput,
} from '../../domain';
import { sampleRound } from '../fixtures';
import { makeBank } from '../helpers/exam';

const codes = (items: BankItemInput[], sub: 'twk' | 'tiu' | 'tkp' = 'twk') =>
  validateBank(sub, items).map((e) => e.code);
const opt = (id: string, points?: number) => ({
  id,
  text: `pilihan ${id}`,
  ...(points === undefined ? {} : { points }),
});

describe('question bank validation', () => {
  it('accepts the generated banks of every subtest', () => {
    for (const sub of ['twk', 'tiu', 'tkp'] as const) expect(validateBank(sub, makeBank(sub, 50))).toEqual([]);
  });
  it('TWK/TIU: exactly one option worth 5, the others 0 or absent', () => {
    expect(codes([{ id: 'Q1', text: 'soal', options: [opt('a', 5), opt('b', 5)] }])).toEqual(['BANK_ONE_CORRECT']);
    expect(codes([{ id: 'Q1', text: 'soal', options: [opt('a'), opt('b')] }], 'tiu')).toEqual(['BANK_ONE_CORRECT']);
    expect(codes([{ id: 'Q1', text: 'soal', options: [opt('a', 5), opt('b', 3)] }])).toEqual(['BANK_POINTS']);
  });
  it('TKP: every option an integer 1–5', () => {
    expect(codes([{ id: 'Q1', text: 'soal', options: [opt('a', 5), opt('b', 0)] }], 'tkp')).toEqual([
      'BANK_TKP_POINTS',
    ]);
    expect(codes([{ id: 'Q1', text: 'soal', options: [opt('a', 5), opt('b')] }], 'tkp')).toEqual(['BANK_TKP_POINTS']);
    expect(codes([{ id: 'Q1', text: 'soal', options: [opt('a', 1), opt('b', 2.5)] }], 'tkp')).toEqual([
      'BANK_TKP_POINTS',
    ]);
  });
  it('reports every problem at once: ids, duplicates, texts, option counts', () => {
    const bad: BankItemInput[] = [
      { id: 'ok-1', text: 'soal', options: [opt('a', 5), opt('a')] },
      { id: 'ok-1', text: ' ', options: [opt('a', 5)] },
      { id: 'bad id', text: 'soal', options: [opt('a', 5), opt('b!')] },
    ];
    expect(codes(bad).sort()).toEqual(
      [
        'BANK_OPTION_DUPLICATE',
        'BANK_ITEM_DUPLICATE',
        'BANK_TEXT',
        'BANK_OPTIONS',
        'BANK_ITEM_ID',
        'BANK_OPTION_ID',
      ].sort(),
    );
    expect(codes([])).toEqual(['BANK_SIZE']);
  });
});

describe('seeded order', () => {
  const items = [...makeBank('twk', 30), ...makeBank('tiu', 35), ...makeBank('tkp', 45)].map((it, i) => ({
    itemId: it.id,
    subtest: (i < 30 ? 'twk' : i < 65 ? 'tiu' : 'tkp') as 'twk' | 'tiu' | 'tkp',
    options: it.options.map((o) => o.id),
  }));
  it('is the same for the same seed and differs between seeds; sections stay TWK, TIU, TKP', () => {
    const a = examLayout('seed-1', items);
    expect(examLayout('seed-1', items)).toEqual(a);
    const b = examLayout('seed-2', items);
    expect(b.map((i) => i.itemId)).not.toEqual(a.map((i) => i.itemId));
    expect(a.map((i) => i.subtest).join('')).toMatch(/^(twk){30}(tiu){35}(tkp){45}$/);
    expect(new Set(a.map((i) => i.itemId)).size).toBe(110);
    expect(a.some((i) => i.options.join('') !== 'abcde')).toBe(true);
    for (const i of a) expect([...i.options].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
  it('a shuffle is a permutation, roughly uniform over many seeds', () => {
    const first = new Map<number, number>();
    for (let s = 0; s < 5000; s++) {
      const x = seededShuffle([0, 1, 2, 3, 4], `s${s}`)[0]!;
      first.set(x, (first.get(x) ?? 0) + 1);
    }
    for (const n of first.values()) expect(n).toBeGreaterThan(850); // 1000 expected each
  });
  it('draws n items of a bank, in bank order, from the seed', () => {
    const ids = makeBank('tiu', 50).map((i) => i.id);
    const d = drawItems('seed', 'tiu', ids, 35);
    expect(d).toHaveLength(35);
    expect(d).toEqual(ids.filter((id) => d.includes(id)));
    expect(drawItems('seed', 'tiu', ids, 35)).toEqual(d);
    expect(() => drawItems('seed', 'tiu', ids, 51)).toThrow(RangeError);
  });
});

describe('scoring', () => {
  const twk = makeBank('twk', 30);
  const tiu = makeBank('tiu', 35);
  const tkp = makeBank('tkp', 45);
  const keys = [
    ...twk.map((i) => ({ itemId: i.id, subtest: 'twk' as const, points: optionPoints(i) })),
    ...tiu.map((i) => ({ itemId: i.id, subtest: 'tiu' as const, points: optionPoints(i) })),
    ...tkp.map((i) => ({ itemId: i.id, subtest: 'tkp' as const, points: optionPoints(i) })),
  ];
  it('equals the domain answer-sheet scoring for the regulation shape, blanks included', () => {
    const pick = (items: BankItemInput[], k: number) =>
      items.map((it, i) => (i % 7 === 0 ? null : it.options[(i + k) % 5]!.id));
    const answers = { twk: pick(twk, 1), tiu: pick(tiu, 2), tkp: pick(tkp, 3) };
    const sheet = scoreAnswerSheet({
      twk: { answers: answers.twk, key: twk.map((i) => i.options.find((o) => o.points === 5)!.id) },
      tiu: { answers: answers.tiu, key: tiu.map((i) => i.options.find((o) => o.points === 5)!.id) },
      tkp: { answers: answers.tkp, optionPoints: tkp.map(optionPoints) },
    });
    const byId: Record<string, string> = {};
    for (const [items, ans] of [
      [twk, answers.twk],
      [tiu, answers.tiu],
      [tkp, answers.tkp],
    ] as const)
      items.forEach((it, i) => {
        if (ans[i] !== null) byId[it.id] = ans[i]!;
      });
    expect(scoreExam(keys, byId)).toEqual(sheet);
    expect(sheet.twk % 5).toBe(0);
  });
  it('all right answers give the maxima; unknown items or options are refused', () => {
    const best = Object.fromEntries(
      keys.map((k) => [k.itemId, Object.entries(k.points).sort((a, b) => b[1] - a[1])[0]![0]]),
    );
    expect(scoreExam(keys, best)).toEqual({ twk: 150, tiu: 175, tkp: 225 });
    expect(() => scoreExam(keys, { nope: 'a' })).toThrow(RangeError);
    expect(() => scoreExam(keys, { [twk[0]!.id]: 'z' })).toThrow(RangeError);
  });
});

describe('round exam configuration', () => {
  it('defaults: site, 100/130 minutes, 30/35/45 items, one slot from skdAt', () => {
    const c = withDefaults(sampleRound('r-exam'));
    const s = skdExamSettings(c);
    expect(s).toMatchObject({ mode: 'site', durationMs: 6_000_000, extendedDurationMs: 7_800_000 });
    expect(s.items).toEqual({ twk: 30, tiu: 35, tkp: 45 });
    expect(s.slots[0]!.opensAt).toBe(c.schedule.skdAt);
    expect(examDurationMs(s, 'disabilitas', true)).toBe(7_800_000);
    expect(examDurationMs(s, 'umum', true)).toBe(6_000_000);
    expect(examDurationMs(s, 'disabilitas', false)).toBe(6_000_000);
  });
  it('is validated with the round', () => {
    const c = withDefaults({
      ...sampleRound('r-exam-bad'),
      exam: {
        skd: {
          mode: 'online',
          durationMinutes: 0,
          items: { twk: 30, tiu: 0, tkp: 45 },
          slots: [{ slotId: 's', opensAt: '2026-09-01T10:00:00+07:00', closesAt: '2026-09-01T08:00:00+07:00' }],
        },
      },
    });
    expect(validateRoundConfig(c).map((e) => e.code)).toEqual(
      expect.arrayContaining(['EXAM_DURATION', 'EXAM_ITEMS', 'EXAM_SLOT_TIME']),
    );
    expect(validateExamConfig({ skd: { mode: 'online' } })).toEqual([]);
    expect(validateExamConfig({ skd: { mode: 'cat' as 'online' } }).map((e) => e.code)).toEqual(['EXAM_MODE']);
  });
});
