import { firstOfNextMonth, type IsoDate } from './dates';

/** Adds calendar months, clamping the day to the month's length (31 Jan + 1 → 28/29 Feb). */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  const last = [
    31,
    (ny % 4 === 0 && ny % 100 !== 0) || ny % 400 === 0 ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][nm - 1]!;
  return `${String(ny).padStart(4, '0')}-${String(nm).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** Batas usia pensiun (BUP): TMT pensiun is the 1st of the month after the month the age is reached. */
export const DEFAULT_RETIREMENT_AGE = 58;
export function retirementDate(birthDate: IsoDate, age: number = DEFAULT_RETIREMENT_AGE): IsoDate {
  const [y, m, d] = birthDate.split('-');
  return firstOfNextMonth(`${Number(y) + age}-${m}-${m === '02' && d === '29' ? '28' : d}`);
}

/** The end of probation: one year after TMT, later by each extension (months, in order). */
export function probationEnd(tmt: IsoDate, extensions: number[] = []): IsoDate {
  return extensions.reduce((end, months) => addMonths(end, months), addMonths(tmt, 12));
}

/**
 * The first SKP year of a new PNS: the year of the appointment while its planning month (January,
 * expectations due on the 31st) is still open, else the next year.
 */
export function firstSkpYear(pnsDate: IsoDate): number {
  const y = Number(pnsDate.slice(0, 4));
  return pnsDate <= `${y}-01-31` ? y : y + 1;
}
