import { describe, expect, it } from 'vitest';
import { checkDistribution, followUp, LADDER, type Predikat, predikatKinerja, type Rating } from '../../domain';

describe('predikat matrix (every cell)', () => {
  it.each<[Rating, Rating, Predikat]>([
    ['di_atas', 'di_bawah', 'Kurang'],
    ['di_atas', 'sesuai', 'Baik'],
    ['di_atas', 'di_atas', 'Sangat Baik'],
    ['sesuai', 'di_bawah', 'Kurang'],
    ['sesuai', 'sesuai', 'Baik'],
    ['sesuai', 'di_atas', 'Baik'],
    ['di_bawah', 'di_bawah', 'Sangat Kurang'],
    ['di_bawah', 'sesuai', 'Butuh Perbaikan'],
    ['di_bawah', 'di_atas', 'Butuh Perbaikan'],
  ])('hasil kerja %s × perilaku %s → %s', (h, p, expected) => expect(predikatKinerja(h, p)).toBe(expected));
});

const many = (p: Predikat, n: number): Predikat[] => Array(n).fill(p);

describe('unit distribution rule', () => {
  it.each<[string, Parameters<typeof checkDistribution>[0], Predikat[], string[]]>([
    ['Istimewa, 70% Sangat Baik', 'Istimewa', [...many('Sangat Baik', 7), ...many('Baik', 3)], []],
    [
      'Istimewa, 80% Sangat Baik',
      'Istimewa',
      [...many('Sangat Baik', 8), ...many('Baik', 2)],
      ['DIST_ISTIMEWA_MAX_SANGAT_BAIK'],
    ],
    ['Baik, 70% Baik with one Kurang', 'Baik', [...many('Baik', 7), 'Kurang', ...many('Sangat Baik', 2)], []],
    ['Baik, 80% Baik', 'Baik', [...many('Baik', 8), 'Butuh Perbaikan', 'Sangat Baik'], ['DIST_BAIK_MAX_BAIK']],
    ['Baik, nobody poor', 'Baik', [...many('Baik', 5), ...many('Sangat Baik', 5)], ['DIST_BAIK_NEEDS_POOR']],
    ['Baik, both broken', 'Baik', many('Baik', 10), ['DIST_BAIK_MAX_BAIK', 'DIST_BAIK_NEEDS_POOR']],
    ['Kurang unit, 60% Kurang', 'Kurang', [...many('Kurang', 6), ...many('Baik', 4)], []],
    ['Kurang unit, 50% Kurang', 'Kurang', [...many('Kurang', 5), ...many('Baik', 5)], ['DIST_POOR_UNIT_MIN_MATCHING']],
    ['Butuh Perbaikan unit, 60%', 'Butuh Perbaikan', [...many('Butuh Perbaikan', 3), ...many('Baik', 2)], []],
    [
      'Sangat Kurang unit, 59%',
      'Sangat Kurang',
      [...Array<Predikat>(59).fill('Sangat Kurang'), ...Array<Predikat>(41).fill('Kurang')],
      ['DIST_POOR_UNIT_MIN_MATCHING'],
    ],
    ['empty unit', 'Baik', [], []],
  ])('%s', (_name, unit, set, codes) => {
    const input = [...set];
    expect(checkDistribution(unit, set).map((v) => v.code)).toEqual(codes);
    expect(set).toEqual(input); // never changes anyone's predikat
  });
  it('limits are configurable', () => {
    const rules = {
      istimewaMaxSangatBaikPct: 90,
      baikMaxBaikPct: 70,
      baikRequiresOnePoor: false,
      poorUnitMinMatchingPct: 60,
    };
    expect(checkDistribution('Istimewa', [...many('Sangat Baik', 8), ...many('Baik', 2)], rules)).toEqual([]);
    expect(checkDistribution('Baik', many('Sangat Baik', 3), rules)).toEqual([]);
  });
});

describe('follow-up', () => {
  it('Sangat Baik → award and training', () =>
    expect(followUp('Sangat Baik', null)).toMatchObject({ award: true, trainingPlan: true, recommendation: null }));
  it('Baik → nothing special and no ladder', () =>
    expect(followUp('Baik', 'transfer')).toMatchObject({ award: false, coachingPlan: false, recommendation: null }));
  it.each(['Butuh Perbaikan', 'Kurang', 'Sangat Kurang'] as const)(
    '%s → coaching, re-evaluation in 6 months, first ladder step',
    (p) => {
      expect(followUp(p, null)).toMatchObject({
        coachingPlan: true,
        reEvaluationMonths: 6,
        recommendation: 'improvement_period',
      });
    },
  );
  it('repeated poor performance walks the ladder one step at a time, then stops', () => {
    const steps = [null, ...LADDER].map((pos) => followUp('Kurang', pos).recommendation);
    expect(steps).toEqual(['improvement_period', 'competency_retest', 'transfer', 'dismissal_recommendation', null]);
  });
});
