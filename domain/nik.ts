import { type IsoDate, isValidCivilDate, parseIsoDate, toIsoDate } from './dates';
import { type Result, type RuleViolation, violation } from './errors';

/**
 * NIK (Nomor Induk Kependudukan), 16 digits: PP KK CC DDMMYY SSSS.
 * PP province, KK regency/city (cities are 71–99), CC district, DDMMYY birth date with 40 added
 * to the day for women, SSSS sequence from 0001. The location is where the NIK was first issued.
 */
export type Sex = 'L' | 'P'; // laki-laki, perempuan

export interface Nik {
  nik: string;
  provinceCode: string;
  regencyCode: string;
  districtCode: string;
  isCity: boolean;
  /** Birth date with the century resolved against `referenceYear` (see parseNik). */
  birthDate: IsoDate;
  sex: Sex;
  sequence: number;
}

export interface ParseNikOptions {
  /**
   * The NIK carries a two-digit year. A year above `referenceYear`'s two digits is read as 19YY,
   * otherwise 20YY. Pass the round's reference year (never the clock).
   */
  referenceYear: number;
}

export function parseNik(input: string, options: ParseNikOptions): Result<Nik> {
  const errors: RuleViolation[] = [];
  if (typeof input !== 'string')
    return { ok: false, errors: [violation('NIK_NOT_STRING', 'NIK harus berupa teks 16 digit', 'nik')] };
  const nik = input.trim();
  if (!/^\d*$/.test(nik)) errors.push(violation('NIK_NON_DIGIT', 'NIK hanya boleh berisi angka', 'nik'));
  if (nik.length !== 16)
    errors.push(violation('NIK_LENGTH', `NIK harus 16 digit (diterima ${nik.length})`, 'nik', { length: nik.length }));
  if (errors.length > 0) return { ok: false, errors };

  const provinceCode = nik.slice(0, 2);
  const regencyCode = nik.slice(2, 4);
  const districtCode = nik.slice(4, 6);
  if (Number(provinceCode) < 11)
    errors.push(violation('NIK_PROVINCE', `Kode provinsi ${provinceCode} tidak valid`, 'nik'));
  if (regencyCode === '00') errors.push(violation('NIK_REGENCY', 'Kode kabupaten/kota 00 tidak valid', 'nik'));
  if (districtCode === '00') errors.push(violation('NIK_DISTRICT', 'Kode kecamatan 00 tidak valid', 'nik'));

  let day = Number(nik.slice(6, 8));
  const month = Number(nik.slice(8, 10));
  const yy = Number(nik.slice(10, 12));
  const sex: Sex = day > 40 ? 'P' : 'L';
  if (day > 40) day -= 40;
  const pivot = options.referenceYear % 100;
  const year = (yy > pivot ? 1900 : 2000) + yy;
  if (!isValidCivilDate({ year, month, day })) {
    errors.push(violation('NIK_BIRTH_DATE', `Tanggal lahir dalam NIK (${nik.slice(6, 12)}) tidak mungkin`, 'nik'));
  }
  const sequence = Number(nik.slice(12, 16));
  if (sequence === 0) errors.push(violation('NIK_SEQUENCE', 'Nomor urut NIK tidak boleh 0000', 'nik'));
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    warnings: [],
    value: {
      nik,
      provinceCode,
      regencyCode,
      districtCode,
      isCity: Number(regencyCode) >= 71,
      birthDate: toIsoDate({ year, month, day }),
      sex,
      sequence,
    },
  };
}

/**
 * Some NIKs carry a wrong date that is never corrected: a mismatch with the declared birth date
 * or sex is a warning for the reviewer, never a rejection.
 */
export function checkNikAgainstDeclared(nik: Nik, declared: { birthDate: IsoDate; sex: Sex }): RuleViolation[] {
  const warnings: RuleViolation[] = [];
  const d = parseIsoDate(declared.birthDate);
  const n = parseIsoDate(nik.birthDate);
  // Compare day, month and the two-digit year: the century in the NIK is only inferred.
  if (!d || !n || d.day !== n.day || d.month !== n.month || d.year % 100 !== n.year % 100) {
    warnings.push(
      violation(
        'NIK_BIRTH_DATE_MISMATCH',
        `Tanggal lahir dalam NIK (${nik.birthDate}) berbeda dengan tanggal lahir yang diisi (${declared.birthDate})`,
        'birthDate',
      ),
    );
  }
  if (nik.sex !== declared.sex) {
    warnings.push(
      violation(
        'NIK_SEX_MISMATCH',
        `Jenis kelamin menurut NIK (${nik.sex}) berbeda dengan yang diisi (${declared.sex})`,
        'sex',
      ),
    );
  }
  return warnings;
}

/** For announcements: `1271********0001`. */
export function maskNik(nik: string): string {
  if (nik.length !== 16) return '*'.repeat(nik.length);
  return `${nik.slice(0, 4)}********${nik.slice(12)}`;
}
