import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compareFinal,
  finalRanking,
  optimalisasi,
  skbCut,
  type FinalRankable,
  type OptimalisasiCandidate,
  type SkdRankable,
} from '../../domain';

const c = (registrationNo: string, twk: number, tiu: number, tkp: number): SkdRankable => ({
  registrationNo,
  skd: { twk, tiu, tkp },
});

describe('skbCut', () => {
  it('takes 3 × quota in rank order', () => {
    const passed = [c('A', 100, 100, 200), c('B', 90, 100, 200), c('C', 80, 100, 200), c('D', 70, 100, 200)];
    const r = skbCut(passed, 1);
    expect(r.ranked.map((x) => [x.candidate.registrationNo, x.rank, x.selected])).toEqual([
      ['A', 1, true],
      ['B', 2, true],
      ['C', 3, true],
      ['D', 4, false],
    ]);
  });
  it('breaks a total tie at the cut-off by TKP, then TIU, then TWK', () => {
    const passed = [c('A', 100, 100, 200), c('B', 100, 100, 200), c('X', 95, 100, 205), c('Y', 100, 95, 205)];
    // all totals 400; X and Y have TKP 205 → first; then A/B tie fully at 3rd place
    const r = skbCut(passed, 1);
    expect(r.ranked.map((x) => x.candidate.registrationNo)).toEqual(['X', 'Y', 'A', 'B']); // TKP ties X/Y, TIU decides
    expect(r.ranked.map((x) => x.selected)).toEqual([true, true, true, true]); // B ties A fully at the cut
  });
  it('admits everyone still tied at the cut-off', () => {
    const passed = [
      c('A', 100, 100, 200),
      c('B', 95, 95, 195),
      c('C', 95, 95, 195),
      c('D', 95, 95, 195),
      c('E', 90, 90, 190),
    ];
    const r = skbCut(passed, 1);
    expect(r.selectedCount).toBe(4); // limit 3 but B, C, D tie at the 2nd–4th place
    expect(r.ranked.filter((x) => x.selected).map((x) => x.candidate.registrationNo)).toEqual(['A', 'B', 'C', 'D']);
    expect(r.ranked.map((x) => x.rank)).toEqual([1, 2, 2, 2, 5]);
  });
  it('a tie decided by the tie-break is not admitted', () => {
    const passed = [c('A', 100, 100, 200), c('B', 100, 100, 200), c('C', 100, 100, 200), c('D', 105, 100, 195)];
    expect(
      skbCut(passed, 1)
        .ranked.filter((x) => x.selected)
        .map((x) => x.candidate.registrationNo),
    ).toEqual(['A', 'B', 'C']);
  });
  it('the tie-break order is configurable (TWK first)', () => {
    const passed = [c('A', 100, 100, 200), c('D', 105, 100, 195)];
    expect(
      skbCut(passed, 1, 1, ['twk', 'tiu', 'tkp'])
        .ranked.filter((x) => x.selected)
        .map((x) => x.candidate.registrationNo),
    ).toEqual(['D']);
  });
  it('nobody passed → nobody selected; quota larger than the passers → all selected', () => {
    expect(skbCut([], 5).selectedCount).toBe(0);
    expect(skbCut([c('A', 65, 80, 166), c('B', 70, 80, 166)], 10).selectedCount).toBe(2);
  });
});

const f = (
  registrationNo: string,
  scaled: number,
  skd: [number, number, number],
  ipk: number,
  birthDate: string,
): FinalRankable => ({
  registrationNo,
  score: { scaled, scale: 100 },
  skd: { twk: skd[0], tiu: skd[1], tkp: skd[2] },
  ipk,
  birthDate,
});

describe('final ranking (Pasal 45(4))', () => {
  it.each([
    [
      'integrated score',
      f('B', 80, [100, 100, 200], 300, '1990-01-01'),
      f('A', 79, [150, 175, 225], 400, '1980-01-01'),
    ],
    ['SKD total', f('B', 80, [100, 100, 205], 300, '1990-01-01'), f('A', 80, [100, 100, 200], 400, '1980-01-01')],
    ['TKP', f('B', 80, [100, 95, 205], 300, '1990-01-01'), f('A', 80, [100, 100, 200], 400, '1980-01-01')],
    ['TIU', f('B', 80, [95, 105, 200], 300, '1990-01-01'), f('A', 80, [100, 100, 200], 400, '1980-01-01')],
    // TWK never decides alone: equal totals with equal TKP and TIU imply equal TWK.
    ['IPK', f('B', 80, [100, 100, 200], 351, '1990-01-01'), f('A', 80, [100, 100, 200], 350, '1980-01-01')],
    [
      'the older candidate',
      f('B', 80, [100, 100, 200], 350, '1990-01-01'),
      f('A', 80, [100, 100, 200], 350, '1990-01-02'),
    ],
  ])('decided by %s', (_rule, winner, loser) => {
    expect(compareFinal(winner, loser)).toBeLessThan(0);
    expect(finalRanking([loser, winner], 1).map((r) => [r.candidate.registrationNo, r.result])).toEqual([
      ['B', 'lulus'],
      ['A', 'tidak_lulus'],
    ]);
  });

  const arbFinal = fc.record({
    registrationNo: fc.string({ minLength: 1, maxLength: 4 }),
    score: fc.record({ scaled: fc.integer({ min: 0, max: 30 }), scale: fc.constantFrom(10, 20) }),
    skd: fc.record({
      twk: fc.constantFrom(60, 65),
      tiu: fc.constantFrom(80, 85),
      tkp: fc.integer({ min: 166, max: 168 }),
    }),
    ipk: fc.integer({ min: 300, max: 302 }),
    birthDate: fc.constantFrom('1990-01-01', '1990-01-02'),
  });
  const unique = fc.uniqueArray(arbFinal, { selector: (x) => x.registrationNo, maxLength: 40 });

  it('the order is total: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(arbFinal, arbFinal, arbFinal, (a, b, x) => {
        if (a.registrationNo === b.registrationNo) return true;
        expect(Math.sign(compareFinal(a, b))).toBe(-Math.sign(compareFinal(b, a)));
        expect(compareFinal(a, b)).not.toBe(0);
        if (compareFinal(a, b) < 0 && compareFinal(b, x) < 0) expect(compareFinal(a, x)).toBeLessThan(0);
        return true;
      }),
      { numRuns: 2000 },
    );
  });
  it('permuting the input never changes the output', () => {
    fc.assert(
      fc.property(unique, fc.integer({ min: 1, max: 5 }), fc.infiniteStream(fc.integer()), (list, quota, seeds) => {
        const shuffled = [...list];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.abs(seeds.next().value as number) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(JSON.stringify(finalRanking(shuffled, quota))).toBe(JSON.stringify(finalRanking(list, quota)));
      }),
      { numRuns: 500 },
    );
  });
  it('the SKB cut is permutation-invariant too', () => {
    const arb = fc.uniqueArray(
      fc.record({
        registrationNo: fc.string({ minLength: 1, maxLength: 3 }),
        skd: fc.record({ twk: fc.constantFrom(65, 70), tiu: fc.constantFrom(80, 85), tkp: fc.constantFrom(166, 170) }),
      }),
      { selector: (x) => x.registrationNo, maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 4 }), (list, quota) => {
        const reversed = [...list].reverse();
        expect(JSON.stringify(skbCut(reversed, quota))).toBe(JSON.stringify(skbCut(list, quota)));
        const r = skbCut(list, quota);
        // selected candidates are a prefix of the order, at least min(limit, n) of them
        const firstOut = r.ranked.findIndex((x) => !x.selected);
        expect(r.ranked.slice(firstOut === -1 ? r.ranked.length : firstOut).every((x) => !x.selected)).toBe(true);
        expect(r.selectedCount).toBeGreaterThanOrEqual(Math.min(3 * quota, list.length));
      }),
    );
  });
});

describe('optimalisasi (Pasal 47)', () => {
  const F = (
    formationId: string,
    unit: string,
    quota: number,
    jabatan = 'Perawat Ahli Pertama',
    education = 'S1|keperawatan',
  ) => ({ formationId, unit, jabatan, education, quota });
  const C = (registrationNo: string, formationId: string, scaled: number): OptimalisasiCandidate => ({
    ...f(registrationNo, scaled, [100, 100, 200], 350, '1995-01-01'),
    formationId,
  });

  it('fills a vacant formation with the best-ranked non-passing candidate of the same jabatan and education, across units', () => {
    const formations = [
      F('F1-DINKES', 'Dinas Kesehatan', 1),
      F('F2-RSUD', 'RSUD Pirngadi', 2),
      F('F3-GURU', 'Disdikbud', 1, 'Guru', 'S1|pendidikan'),
    ];
    const candidates = [
      C('A', 'F1-DINKES', 90),
      C('B', 'F1-DINKES', 85),
      C('C', 'F1-DINKES', 70),
      C('D', 'F2-RSUD', 60),
      C('G', 'F3-GURU', 99),
      C('H', 'F3-GURU', 98),
    ];
    expect(optimalisasi(formations, candidates)).toEqual([
      { registrationNo: 'B', fromFormationId: 'F1-DINKES', toFormationId: 'F2-RSUD' },
    ]);
  });
  it('a candidate who declines is skipped and the next is offered the seat (a chain)', () => {
    const formations = [F('F1', 'Dinas Kesehatan', 1), F('F2', 'RSUD Bachtiar Djafar', 1), F('F3', 'RSUD Pirngadi', 1)];
    const candidates = [C('A', 'F1', 90), C('B', 'F1', 85), C('C', 'F1', 80), C('D', 'F1', 75)];
    expect(optimalisasi(formations, candidates, new Set(['B|F2']))).toEqual([
      { registrationNo: 'C', fromFormationId: 'F1', toFormationId: 'F2' },
      { registrationNo: 'B', fromFormationId: 'F1', toFormationId: 'F3' },
    ]);
  });
  it('nobody to place → no placement; other jabatan never fills', () => {
    expect(optimalisasi([F('F1', 'U', 1), F('F2', 'U', 1, 'Dokter')], [C('A', 'F1', 90), C('B', 'F1', 80)])).toEqual(
      [],
    );
  });
});
