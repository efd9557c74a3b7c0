import { type IsoDate, parseIsoDate, toIsoDate, isValidCivilDate } from './dates';
import { type Result, violation } from './errors';
import type { Sex } from './nik';

/**
 * NIP PNS, 18 digits: yyyymmdd birth date + yyyymm TMT CPNS + sex digit (1 male, 2 female) +
 * 3-digit sequence restarting at 001 for every distinct 15-digit prefix. TMT is the 1st of a month.
 */
export interface NipParts {
  birthDate: IsoDate;
  /** TMT CPNS; must be the 1st of a month. */
  tmt: IsoDate;
  sex: Sex;
  sequence: number;
}

export const NIP_MAX_SEQUENCE = 999;

export function nipPrefix(p: Omit<NipParts, 'sequence'>): string {
  const b = parseIsoDate(p.birthDate);
  const t = parseIsoDate(p.tmt);
  if (!b) throw new RangeError(`invalid birth date ${p.birthDate}`);
  if (!t || t.day !== 1) throw new RangeError(`TMT must be the 1st of a month: ${p.tmt}`);
  return `${p.birthDate.replaceAll('-', '')}${String(t.year)}${String(t.month).padStart(2, '0')}${p.sex === 'L' ? '1' : '2'}`;
}

export function buildNip(p: NipParts): string {
  if (!Number.isInteger(p.sequence) || p.sequence < 1) throw new RangeError(`NIP sequence must be ≥ 1: ${p.sequence}`);
  if (p.sequence > NIP_MAX_SEQUENCE) throw new NipSequenceExhausted(nipPrefix(p));
  return `${nipPrefix(p)}${String(p.sequence).padStart(3, '0')}`;
}

export class NipSequenceExhausted extends Error {
  readonly code = 'NIP_SEQUENCE_EXHAUSTED';
  constructor(readonly prefix: string) {
    super(`NIP sequence exhausted for prefix ${prefix} (999 used)`);
    this.name = 'NipSequenceExhausted';
  }
}

export function parseNip(nip: string): Result<NipParts> {
  if (!/^\d{18}$/.test(nip)) return { ok: false, errors: [violation('NIP_FORMAT', 'NIP harus 18 digit angka', 'nip')] };
  const errors = [];
  const birth = { year: Number(nip.slice(0, 4)), month: Number(nip.slice(4, 6)), day: Number(nip.slice(6, 8)) };
  if (!isValidCivilDate(birth)) errors.push(violation('NIP_BIRTH_DATE', 'Tanggal lahir dalam NIP tidak valid', 'nip'));
  const tmt = { year: Number(nip.slice(8, 12)), month: Number(nip.slice(12, 14)), day: 1 };
  if (!isValidCivilDate(tmt)) errors.push(violation('NIP_TMT', 'TMT dalam NIP tidak valid', 'nip'));
  const sexDigit = nip[14];
  if (sexDigit !== '1' && sexDigit !== '2')
    errors.push(violation('NIP_SEX', 'Digit jenis kelamin NIP harus 1 atau 2', 'nip'));
  const sequence = Number(nip.slice(15));
  if (sequence === 0) errors.push(violation('NIP_SEQUENCE', 'Nomor urut NIP tidak boleh 000', 'nip'));
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    warnings: [],
    value: { birthDate: toIsoDate(birth), tmt: toIsoDate(tmt), sex: sexDigit === '1' ? 'L' : 'P', sequence },
  };
}

/**
 * NI PPPK. UNCONFIRMED LAYOUT: public sources agree it has 18 digits but not on their meaning.
 * Until BKN's layout is confirmed, it follows the NIP shape (birth date, TMT, sex, sequence);
 * everything that issues an NI PPPK goes through this one function so it can be changed in one place.
 */
export const NI_PPPK_LAYOUT_CONFIRMED = false;
export function buildNiPppk(p: NipParts): string {
  return buildNip(p);
}
