import { describe, expect, it } from 'vitest';
import { firstSkpYear, probationEnd } from '../../domain';

describe('probation and the first SKP year (domain/career.ts)', () => {
  it('probation ends one year after TMT, later by each extension; never earlier', () => {
    expect(probationEnd('2027-01-01')).toBe('2028-01-01');
    expect(probationEnd('2027-03-01', [3])).toBe('2028-06-01');
    expect(probationEnd('2027-03-01', [3, 12])).toBe('2029-06-01');
    expect(probationEnd('2028-02-29')).toBe('2029-02-28'); // no 29 February: the last day of the month
  });

  it('the first SKP year is the year of the appointment while January is open, else the next', () => {
    expect(firstSkpYear('2028-01-01')).toBe(2028);
    expect(firstSkpYear('2028-01-31')).toBe(2028);
    expect(firstSkpYear('2028-02-01')).toBe(2029);
    expect(firstSkpYear('2028-12-31')).toBe(2029);
  });
});
