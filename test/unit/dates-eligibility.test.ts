import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  ageOn,
  checkEligibility,
  firstOfNextMonth,
  fromEpochDay,
  qualificationKey,
  toEpochDay,
} from '../../domain';

describe('dates', () => {
  it.each([
    ['1990-06-15', '2024-06-14', 33],
    ['1990-06-15', '2024-06-15', 34],
    ['2000-02-29', '2018-02-28', 17], // a 29 February birthday is reached on 1 March in common years
    ['2000-02-29', '2018-03-01', 18],
    ['2000-02-29', '2020-02-29', 20],
  ])('ageOn(%s, %s) = %i', (b, on, age) => expect(ageOn(b, on)).toBe(age));

  it('epoch days round-trip', () => {
    fc.assert(fc.property(fc.integer({ min: -100_000, max: 100_000 }), (n) => toEpochDay(fromEpochDay(n)) === n));
    expect(toEpochDay('1970-01-01')).toBe(0);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
  });
  it.each([
    ['2024-01-31', '2024-02-01'],
    ['2024-12-15', '2025-01-01'],
  ])('firstOfNextMonth(%s) = %s', (d, r) => expect(firstOfNextMonth(d)).toBe(r));
});

describe('checkEligibility', () => {
  const formation = { educationLevel: 'S1' as const, educationPrograms: ['Keperawatan', 'Ners'] };
  const base = {
    education: { level: 'S1' as const, program: ' keperawatan ' },
    formation,
    referenceDate: '2024-08-01',
  };
  it.each([
    ['2006-08-01', []], // exactly 18 on the reference date
    ['2006-08-02', ['AGE_BELOW_MIN']], // one day short of 18
    ['1988-08-02', []], // 35 (turns 36 the next day)
    ['1988-08-01', ['AGE_ABOVE_MAX']], // 36 on the reference date
  ])('born %s → %j', (birthDate, codes) => {
    expect(checkEligibility({ ...base, birthDate }).map((r) => r.code)).toEqual(codes);
  });
  it('up to 40 for the listed jabatan kinds', () => {
    const f = { ...formation, jabatanKind: 'dokter_spesialis' as const };
    expect(checkEligibility({ ...base, formation: f, birthDate: '1983-08-02' })).toEqual([]);
    expect(checkEligibility({ ...base, formation: f, birthDate: '1983-08-01' }).map((r) => r.code)).toEqual([
      'AGE_ABOVE_MAX',
    ]);
  });
  it('every reason at once', () => {
    const r = checkEligibility({ ...base, birthDate: '1980-01-01', education: { level: 'D3', program: 'Kebidanan' } });
    expect(r.map((x) => x.code)).toEqual(['AGE_ABOVE_MAX', 'EDUCATION_LEVEL', 'EDUCATION_PROGRAM']);
  });
  it('qualification key ignores order, case and repeats', () => {
    expect(qualificationKey({ educationLevel: 'S1', educationPrograms: ['Ners', 'keperawatan', 'NERS'] })).toBe(
      qualificationKey({ educationLevel: 'S1', educationPrograms: ['Keperawatan', 'Ners'] }),
    );
  });
});
