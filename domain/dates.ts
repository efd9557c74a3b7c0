/**
 * Civil dates as ISO strings (`YYYY-MM-DD`), with pure arithmetic. The domain never reads a
 * clock: callers pass the reference date (a round's reference date, a workflow's time).
 */
export type IsoDate = string;

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function isValidCivilDate(d: CivilDate): boolean {
  return (
    Number.isInteger(d.year) &&
    Number.isInteger(d.month) &&
    Number.isInteger(d.day) &&
    d.year >= 1 &&
    d.year <= 9999 &&
    d.month >= 1 &&
    d.month <= 12 &&
    d.day >= 1 &&
    d.day <= daysInMonth(d.year, d.month)
  );
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseIsoDate(s: string): CivilDate | undefined {
  const m = ISO.exec(s);
  if (!m) return undefined;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isValidCivilDate(d) ? d : undefined;
}

export function isIsoDate(s: unknown): s is IsoDate {
  return typeof s === 'string' && parseIsoDate(s) !== undefined;
}

export function toIsoDate(d: CivilDate): IsoDate {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function mustParse(s: IsoDate): CivilDate {
  const d = parseIsoDate(s);
  if (!d) throw new RangeError(`not a valid date: ${s}`);
  return d;
}

/** Completed years of age on `on` (a 29 February birthday is reached on 1 March in common years). */
export function ageOn(birthDate: IsoDate, on: IsoDate): number {
  const b = mustParse(birthDate);
  const r = mustParse(on);
  let age = r.year - b.year;
  if (r.month < b.month || (r.month === b.month && r.day < b.day)) age -= 1;
  return age;
}

/** Days since 1970-01-01 (proleptic Gregorian), for date differences without a clock or Date. */
export function toEpochDay(s: IsoDate): number {
  const { year, month, day } = mustParse(s);
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function fromEpochDay(n: number): IsoDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return toIsoDate({ year, month, day });
}

export function addDays(s: IsoDate, days: number): IsoDate {
  return fromEpochDay(toEpochDay(s) + days);
}

/** The first day of the month after `s` (the TMT rule for NIP). */
export function firstOfNextMonth(s: IsoDate): IsoDate {
  const d = mustParse(s);
  return d.month === 12
    ? toIsoDate({ year: d.year + 1, month: 1, day: 1 })
    : toIsoDate({ year: d.year, month: d.month + 1, day: 1 });
}

export function addYears(s: IsoDate, years: number): IsoDate {
  const d = mustParse(s);
  const year = d.year + years;
  return toIsoDate({ year, month: d.month, day: Math.min(d.day, daysInMonth(year, d.month)) });
}

export function compareIsoDate(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
