import { describe, expect, it } from 'vitest';
import { checkNikAgainstDeclared, maskNik, parseNik } from '../../domain';

const opts = { referenceYear: 2024 };

describe('parseNik', () => {
  it.each([
    // nik, birthDate, sex, isCity
    ['1271011505950001', '1995-05-15', 'L', true],
    ['1271015505950002', '1995-05-15', 'P', true], // woman: day + 40
    ['1207014101000003', '2000-01-01', 'P', false],
    ['1271017112990004', '1999-12-31', 'P', true], // 71 = 31 + 40
    ['1271012902000005', '2000-02-29', 'L', true], // 29 February in a leap year
    ['1271016902000006', '2000-02-29', 'P', true], // woman born 29 February
    ['1271010101240007', '2024-01-01', 'L', true], // pivot: 24 ≤ 24 → 2024
    ['1271010101250008', '1925-01-01', 'L', true], // pivot: 25 > 24 → 1925
  ])('%s → %s %s', (nik, birthDate, sex, isCity) => {
    const r = parseNik(nik, opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      birthDate,
      sex,
      isCity,
      provinceCode: nik.slice(0, 2),
      regencyCode: nik.slice(2, 4),
      districtCode: nik.slice(4, 6),
    });
    expect(r.value.sequence).toBe(Number(nik.slice(12)));
  });

  it.each([
    ['127101150595000', ['NIK_LENGTH']],
    ['12710115059500011', ['NIK_LENGTH']],
    ['', ['NIK_LENGTH']],
    ['12710115059500O1', ['NIK_NON_DIGIT']],
    ['1271-11505950001', ['NIK_NON_DIGIT']],
    ['12710115059500A', ['NIK_NON_DIGIT', 'NIK_LENGTH']],
    ['1271013202950001', ['NIK_BIRTH_DATE']], // 32 February
    ['1271012902010001', ['NIK_BIRTH_DATE']], // 29 February 2001
    ['1271017202010001', ['NIK_BIRTH_DATE']], // woman, 32 → 72 is impossible too
    ['1271010013950001', ['NIK_BIRTH_DATE']], // month 13, day 00
    ['1271014000950001', ['NIK_BIRTH_DATE']], // day 40 → 0 for a woman
    ['1271011505950000', ['NIK_SEQUENCE']],
    ['0971011505950001', ['NIK_PROVINCE']],
    ['1200011505950001', ['NIK_REGENCY']],
    ['1271001505950001', ['NIK_DISTRICT']],
  ])('%s is rejected with %j', (nik, codes) => {
    const r = parseNik(nik, opts);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.code)).toEqual(codes);
  });
});

describe('checkNikAgainstDeclared', () => {
  const parsed = (nik: string) => {
    const r = parseNik(nik, opts);
    if (!r.ok) throw new Error('bad fixture');
    return r.value;
  };
  it('matching date and sex give no warning', () => {
    expect(checkNikAgainstDeclared(parsed('1271015505950002'), { birthDate: '1995-05-15', sex: 'P' })).toEqual([]);
  });
  it('a different date is a warning, not an error', () => {
    const w = checkNikAgainstDeclared(parsed('1271011505950001'), { birthDate: '1995-05-16', sex: 'L' });
    expect(w.map((x) => x.code)).toEqual(['NIK_BIRTH_DATE_MISMATCH']);
  });
  it('the century is not compared (only inferred from the NIK)', () => {
    expect(checkNikAgainstDeclared(parsed('1271010101250008'), { birthDate: '2025-01-01', sex: 'L' })).toEqual([]);
  });
  it('a sex mismatch is a warning', () => {
    expect(
      checkNikAgainstDeclared(parsed('1271011505950001'), { birthDate: '1995-05-15', sex: 'P' }).map((x) => x.code),
    ).toEqual(['NIK_SEX_MISMATCH']);
  });
});

describe('maskNik', () => {
  it('keeps region and sequence only', () => expect(maskNik('1271011505950001')).toBe('1271********0001'));
  it('masks anything malformed entirely', () => expect(maskNik('12345')).toBe('*****'));
});
