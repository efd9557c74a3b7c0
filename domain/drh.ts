import { compareIsoDate, isIsoDate, type IsoDate } from './dates';
import { type Result, type RuleViolation, violation } from './errors';

/**
 * The daftar riwayat hidup (DRH) a successful candidate fills in before the usul penetapan NIP,
 * after the sections of the DRH CPNS form: keterangan perorangan (identitas and alamat),
 * pendidikan, riwayat pekerjaan, keluarga (orang tua, suami/istri, anak), pelatihan, organisasi,
 * and the candidate's statement that it is true. Used by the API (schema and check) and by the
 * portal's form; the candidate workflow stores it as it is given, encrypted like every payload.
 */

const labelled = <const T extends string>(entries: Record<T, string>) => ({
  values: Object.keys(entries) as T[],
  label: entries,
});

export const AGAMA = labelled({
  islam: 'Islam',
  kristen: 'Kristen',
  katolik: 'Katolik',
  hindu: 'Hindu',
  buddha: 'Buddha',
  khonghucu: 'Khonghucu',
  kepercayaan: 'Kepercayaan terhadap Tuhan YME',
});
export type Agama = (typeof AGAMA.values)[number];
export const STATUS_PERKAWINAN = labelled({
  belum_kawin: 'Belum kawin',
  kawin: 'Kawin',
  cerai_hidup: 'Cerai hidup',
  cerai_mati: 'Cerai mati',
});
export type StatusPerkawinan = (typeof STATUS_PERKAWINAN.values)[number];
export const GOLONGAN_DARAH = labelled({ A: 'A', B: 'B', AB: 'AB', O: 'O' });
export type GolonganDarah = (typeof GOLONGAN_DARAH.values)[number];
export const JENJANG_PENDIDIKAN = labelled({
  SD: 'SD',
  SMP: 'SMP',
  SMA: 'SMA/SMK',
  D1: 'D1',
  D2: 'D2',
  D3: 'D3',
  D4: 'D4',
  S1: 'S1',
  S2: 'S2',
  S3: 'S3',
});
export type JenjangPendidikan = (typeof JENJANG_PENDIDIKAN.values)[number];
export const HUBUNGAN_ANAK = labelled({ kandung: 'Anak kandung', tiri: 'Anak tiri', angkat: 'Anak angkat' });
export type HubunganAnak = (typeof HUBUNGAN_ANAK.values)[number];
export const JENIS_KELAMIN = labelled({ L: 'Laki-laki', P: 'Perempuan' });
export type JenisKelamin = (typeof JENIS_KELAMIN.values)[number];

/** Lengths and counts: the API schema and the form's maxlength read these. */
export const DRH_LIMITS = {
  name: 120,
  text: 200,
  title: 30,
  rows: { pendidikan: 10, pekerjaan: 20, anak: 15, pelatihan: 20, organisasi: 20 },
  minYear: 1940,
} as const;

export interface DrhAlamat {
  jalan: string;
  rt?: string;
  rw?: string;
  kelurahan: string;
  kecamatan: string;
  kabupatenKota: string;
  provinsi: string;
  kodePos?: string;
}

export interface DrhIdentitas {
  namaLengkap: string;
  gelarDepan?: string;
  gelarBelakang?: string;
  tempatLahir: string;
  tanggalLahir: IsoDate;
  jenisKelamin: JenisKelamin;
  agama: Agama;
  statusPerkawinan: StatusPerkawinan;
  golonganDarah?: GolonganDarah;
  alamat: DrhAlamat;
  nomorHp: string;
  npwp?: string;
  tinggiBadanCm?: number;
  beratBadanKg?: number;
}

export interface DrhPendidikan {
  jenjang: JenjangPendidikan;
  namaInstitusi: string;
  programStudi?: string;
  tempat?: string;
  tahunLulus: number;
  nomorIjazah?: string;
}

export interface DrhPekerjaan {
  instansi: string;
  jabatan: string;
  mulai: IsoDate;
  /** Absent while the candidate still works there. */
  selesai?: IsoDate;
}

export interface DrhOrangTua {
  nama: string;
  pekerjaan?: string;
  alamat?: string;
}

export interface DrhPasangan {
  nama: string;
  tempatLahir?: string;
  tanggalLahir?: IsoDate;
  tanggalMenikah?: IsoDate;
  pekerjaan?: string;
}

export interface DrhAnak {
  nama: string;
  jenisKelamin: JenisKelamin;
  tanggalLahir: IsoDate;
  hubungan: HubunganAnak;
}

export interface DrhPelatihan {
  nama: string;
  penyelenggara: string;
  tahun: number;
}

export interface DrhOrganisasi {
  nama: string;
  jabatan: string;
  tahunMulai: number;
  tahunSelesai?: number;
}

export interface Drh {
  identitas: DrhIdentitas;
  pendidikan: DrhPendidikan[];
  pekerjaan: DrhPekerjaan[];
  keluarga: { ayah: DrhOrangTua; ibu: DrhOrangTua; pasangan?: DrhPasangan; anak: DrhAnak[] };
  pelatihan: DrhPelatihan[];
  organisasi: DrhOrganisasi[];
  /** "Data yang saya isi benar": the DRH is signed by this statement. */
  pernyataan: true;
}

/** What the DRH is checked against: the registration (the NIP is built from the birth date and sex) and today. */
export interface DrhContext {
  referenceDate: IsoDate;
  registration?: { birthDate: IsoDate; sex: JenisKelamin; educationLevel: string };
}

const PHONE = /^(?:\+62|62|0)8[1-9]\d{6,11}$/;

const digits = (s: string | undefined): string | undefined => s?.replace(/[\s.\-/]/g, '');
const compact = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Reads the DRH's fields, collecting every problem (with its field path) in `errors`. */
class DrhReader {
  readonly errors: RuleViolation[] = [];
  /** The reference date's year: the latest a year field may be. */
  readonly year: number;
  constructor(readonly ctx: DrhContext) {
    this.year = Number(ctx.referenceDate.slice(0, 4));
  }
  readonly fail = (field: string, message: string, code = 'DRH_FIELD'): void =>
    void this.errors.push(violation(code, message, field));
  readonly obj = (v: unknown, field: string): Record<string, unknown> => {
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    this.fail(field, `${field} wajib diisi`);
    return {};
  };
  readonly text = (
    o: Record<string, unknown>,
    key: string,
    field: string,
    label: string,
    opts: { optional?: boolean; max?: number } = {},
  ): string | undefined => {
    const v = o[key];
    const max = opts.max ?? DRH_LIMITS.text;
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      if (!opts.optional) this.fail(field, `${label} wajib diisi`);
      return undefined;
    }
    if (typeof v !== 'string') return void this.fail(field, `${label} harus berupa teks`);
    const t = v.trim().replace(/\s+/g, ' ');
    if (t.length > max) return void this.fail(field, `${label} paling panjang ${max} karakter`);
    return t;
  };
  readonly choice = <T extends string>(
    o: Record<string, unknown>,
    key: string,
    field: string,
    label: string,
    set: { values: T[]; label: Record<T, string> },
    optional = false,
  ): T | undefined => {
    const v = o[key];
    if ((v === undefined || v === '') && optional) return undefined;
    if (typeof v === 'string' && (set.values as string[]).includes(v)) return v as T;
    return void this.fail(field, `${label} wajib dipilih dari: ${set.values.map((x) => set.label[x]).join(', ')}`);
  };
  readonly date = (
    o: Record<string, unknown>,
    key: string,
    field: string,
    label: string,
    optional = false,
  ): IsoDate | undefined => {
    const v = o[key];
    if ((v === undefined || v === '') && optional) return undefined;
    if (!isIsoDate(v)) return void this.fail(field, `${label} harus tanggal yang benar (TTTT-BB-HH)`);
    if (compareIsoDate(v, this.ctx.referenceDate) > 0)
      return void this.fail(field, `${label} tidak boleh setelah ${this.ctx.referenceDate}`);
    return v;
  };
  readonly int = (
    o: Record<string, unknown>,
    key: string,
    field: string,
    label: string,
    min: number,
    max: number,
    optional = false,
  ): number | undefined => {
    const raw = o[key];
    if ((raw === undefined || raw === '') && optional) return undefined;
    const v = typeof raw === 'string' && /^\d{1,4}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return void this.fail(field, `${label} harus bilangan bulat ${min}–${max}`);
    return v;
  };
  readonly rows = (v: unknown, field: string, max: number, min = 0): Record<string, unknown>[] => {
    if (v === undefined && min === 0) return [];
    if (!Array.isArray(v)) return (this.fail(field, `${field} harus berupa daftar`), []);
    if (v.length < min) this.fail(field, `Isi paling sedikit ${min} baris ${field}`);
    if (v.length > max) return (this.fail(field, `Paling banyak ${max} baris ${field}`), []);
    return v.map((r, i) => this.obj(r, `${field}[${i}]`));
  };
}

/**
 * Every problem with a DRH at once, each with its field path (`identitas.nomorHp`,
 * `pendidikan[0].tahunLulus`), or the DRH normalised (texts trimmed, optional empty texts
 * dropped, the phone number and NPWP without separators).
 */
export function validateDrh(input: unknown, ctx: DrhContext): Result<Drh> {
  const r = new DrhReader(ctx);
  const root = r.obj(input, 'drh');
  const identitas = identitasOf(r, root);
  const pendidikan = pendidikanOf(r, root);
  const pekerjaan = pekerjaanOf(r, root);
  const keluarga = keluargaOf(r, root, identitas.statusPerkawinan);
  const { pelatihan, organisasi } = kegiatanOf(r, root);
  if (root.pernyataan !== true) r.fail('pernyataan', 'Centang pernyataan bahwa data yang diisi benar');
  if (r.errors.length) return { ok: false, errors: r.errors };
  return {
    ok: true,
    warnings: [],
    value: { identitas, pendidikan, pekerjaan, keluarga, pelatihan, organisasi, pernyataan: true } as Drh,
  };
}

/** I. Keterangan perorangan, the birth date and sex as the registration has them. */
function identitasOf(r: DrhReader, root: Record<string, unknown>) {
  const { text, choice, date, int, fail } = r;
  const i = r.obj(root.identitas, 'identitas');
  const p = 'identitas';
  const alamat = alamatOf(r, r.obj(i.alamat, 'identitas.alamat'));
  const nomorHp = digits(text(i, 'nomorHp', `${p}.nomorHp`, 'Nomor HP', { max: 20 }));
  if (nomorHp !== undefined && !PHONE.test(nomorHp))
    fail(`${p}.nomorHp`, 'Nomor HP tidak valid (contoh: 0812 3456 7890)');
  const npwp = digits(text(i, 'npwp', `${p}.npwp`, 'NPWP', { optional: true, max: 25 }));
  if (npwp !== undefined && !/^\d{15,16}$/.test(npwp)) fail(`${p}.npwp`, 'NPWP berupa 15 atau 16 angka');
  const identitas = compact({
    namaLengkap: text(i, 'namaLengkap', `${p}.namaLengkap`, 'Nama lengkap', { max: DRH_LIMITS.name }),
    gelarDepan: text(i, 'gelarDepan', `${p}.gelarDepan`, 'Gelar depan', { optional: true, max: DRH_LIMITS.title }),
    gelarBelakang: text(i, 'gelarBelakang', `${p}.gelarBelakang`, 'Gelar belakang', {
      optional: true,
      max: DRH_LIMITS.title,
    }),
    tempatLahir: text(i, 'tempatLahir', `${p}.tempatLahir`, 'Tempat lahir'),
    tanggalLahir: date(i, 'tanggalLahir', `${p}.tanggalLahir`, 'Tanggal lahir'),
    jenisKelamin: choice(i, 'jenisKelamin', `${p}.jenisKelamin`, 'Jenis kelamin', JENIS_KELAMIN),
    agama: choice(i, 'agama', `${p}.agama`, 'Agama', AGAMA),
    statusPerkawinan: choice(i, 'statusPerkawinan', `${p}.statusPerkawinan`, 'Status perkawinan', STATUS_PERKAWINAN),
    golonganDarah: choice(i, 'golonganDarah', `${p}.golonganDarah`, 'Golongan darah', GOLONGAN_DARAH, true),
    alamat,
    nomorHp,
    npwp,
    tinggiBadanCm: int(i, 'tinggiBadanCm', `${p}.tinggiBadanCm`, 'Tinggi badan (cm)', 100, 250, true),
    beratBadanKg: int(i, 'beratBadanKg', `${p}.beratBadanKg`, 'Berat badan (kg)', 30, 250, true),
  });
  // The NIP is built from the birth date and sex of the registration: the DRH must agree with it.
  const reg = r.ctx.registration;
  if (reg && identitas.tanggalLahir && identitas.tanggalLahir !== reg.birthDate)
    fail(`${p}.tanggalLahir`, `Tanggal lahir berbeda dengan data pendaftaran (${reg.birthDate})`, 'DRH_MISMATCH');
  if (reg && identitas.jenisKelamin && identitas.jenisKelamin !== reg.sex)
    fail(`${p}.jenisKelamin`, 'Jenis kelamin berbeda dengan data pendaftaran', 'DRH_MISMATCH');
  return identitas;
}

function alamatOf(r: DrhReader, a: Record<string, unknown>) {
  const { text, fail } = r;
  const p = 'identitas';
  const alamat = compact({
    jalan: text(a, 'jalan', `${p}.alamat.jalan`, 'Alamat (jalan)'),
    rt: text(a, 'rt', `${p}.alamat.rt`, 'RT', { optional: true, max: 3 }),
    rw: text(a, 'rw', `${p}.alamat.rw`, 'RW', { optional: true, max: 3 }),
    kelurahan: text(a, 'kelurahan', `${p}.alamat.kelurahan`, 'Kelurahan/desa'),
    kecamatan: text(a, 'kecamatan', `${p}.alamat.kecamatan`, 'Kecamatan'),
    kabupatenKota: text(a, 'kabupatenKota', `${p}.alamat.kabupatenKota`, 'Kabupaten/kota'),
    provinsi: text(a, 'provinsi', `${p}.alamat.provinsi`, 'Provinsi'),
    kodePos: text(a, 'kodePos', `${p}.alamat.kodePos`, 'Kode pos', { optional: true, max: 5 }),
  });
  for (const k of ['rt', 'rw'] as const)
    if (alamat[k] !== undefined && !/^\d{1,3}$/.test(alamat[k]))
      fail(`${p}.alamat.${k}`, `${k.toUpperCase()} berupa 1–3 angka`);
  if (alamat.kodePos !== undefined && !/^\d{5}$/.test(alamat.kodePos))
    fail(`${p}.alamat.kodePos`, 'Kode pos berupa 5 angka');
  return alamat;
}

/** II. Pendidikan: with the level the candidate registered with. */
function pendidikanOf(r: DrhReader, root: Record<string, unknown>) {
  const { text, choice, int } = r;
  const pendidikan = r.rows(root.pendidikan, 'pendidikan', DRH_LIMITS.rows.pendidikan, 1).map((e, n) =>
    compact({
      jenjang: choice(e, 'jenjang', `pendidikan[${n}].jenjang`, 'Jenjang', JENJANG_PENDIDIKAN),
      namaInstitusi: text(e, 'namaInstitusi', `pendidikan[${n}].namaInstitusi`, 'Nama sekolah/perguruan tinggi'),
      programStudi: text(e, 'programStudi', `pendidikan[${n}].programStudi`, 'Program studi/jurusan', {
        optional: true,
      }),
      tempat: text(e, 'tempat', `pendidikan[${n}].tempat`, 'Tempat', { optional: true }),
      tahunLulus: int(e, 'tahunLulus', `pendidikan[${n}].tahunLulus`, 'Tahun lulus', DRH_LIMITS.minYear, r.year),
      nomorIjazah: text(e, 'nomorIjazah', `pendidikan[${n}].nomorIjazah`, 'Nomor ijazah', { optional: true, max: 60 }),
    }),
  );
  const reg = r.ctx.registration;
  if (reg && pendidikan.length && !pendidikan.some((e) => e.jenjang === reg.educationLevel)) {
    r.fail(
      'pendidikan',
      `Riwayat pendidikan harus memuat jenjang ${reg.educationLevel} yang dipakai saat mendaftar`,
      'DRH_MISMATCH',
    );
  }
  return pendidikan;
}

/** III. Riwayat pekerjaan. */
function pekerjaanOf(r: DrhReader, root: Record<string, unknown>) {
  const { text, date } = r;
  return r.rows(root.pekerjaan, 'pekerjaan', DRH_LIMITS.rows.pekerjaan).map((e, n) => {
    const w = compact({
      instansi: text(e, 'instansi', `pekerjaan[${n}].instansi`, 'Instansi/perusahaan'),
      jabatan: text(e, 'jabatan', `pekerjaan[${n}].jabatan`, 'Jabatan'),
      mulai: date(e, 'mulai', `pekerjaan[${n}].mulai`, 'Mulai bekerja'),
      selesai: date(e, 'selesai', `pekerjaan[${n}].selesai`, 'Selesai bekerja', true),
    });
    if (w.mulai && w.selesai && compareIsoDate(w.selesai, w.mulai) < 0)
      r.fail(`pekerjaan[${n}].selesai`, 'Tanggal selesai sebelum tanggal mulai');
    return w;
  });
}

/** IV. Keluarga: a spouse exactly when the marital status says so. */
function keluargaOf(r: DrhReader, root: Record<string, unknown>, statusPerkawinan: string | undefined) {
  const { text, choice, date, fail } = r;
  const k = r.obj(root.keluarga, 'keluarga');
  const parent = (key: 'ayah' | 'ibu', label: string): DrhOrangTua => {
    const o = r.obj(k[key], `keluarga.${key}`);
    return compact({
      nama: text(o, 'nama', `keluarga.${key}.nama`, `Nama ${label}`, { max: DRH_LIMITS.name })!,
      pekerjaan: text(o, 'pekerjaan', `keluarga.${key}.pekerjaan`, `Pekerjaan ${label}`, { optional: true }),
      alamat: text(o, 'alamat', `keluarga.${key}.alamat`, `Alamat ${label}`, { optional: true }),
    });
  };
  const ayah = parent('ayah', 'ayah');
  const ibu = parent('ibu', 'ibu');
  const pasangan = k.pasangan === undefined ? undefined : pasanganOf(r, r.obj(k.pasangan, 'keluarga.pasangan'));
  if (statusPerkawinan === 'kawin' && !pasangan)
    fail('keluarga.pasangan.nama', 'Status kawin: data suami/istri wajib diisi');
  if (statusPerkawinan === 'belum_kawin' && pasangan)
    fail('keluarga.pasangan.nama', 'Status belum kawin: data suami/istri dikosongkan');
  const anak = r.rows(k.anak, 'keluarga.anak', DRH_LIMITS.rows.anak).map((e, n) =>
    compact({
      nama: text(e, 'nama', `keluarga.anak[${n}].nama`, 'Nama anak', { max: DRH_LIMITS.name }),
      jenisKelamin: choice(e, 'jenisKelamin', `keluarga.anak[${n}].jenisKelamin`, 'Jenis kelamin anak', JENIS_KELAMIN),
      tanggalLahir: date(e, 'tanggalLahir', `keluarga.anak[${n}].tanggalLahir`, 'Tanggal lahir anak'),
      hubungan: choice(e, 'hubungan', `keluarga.anak[${n}].hubungan`, 'Status anak', HUBUNGAN_ANAK),
    }),
  );
  return compact({ ayah, ibu, pasangan, anak });
}

function pasanganOf(r: DrhReader, o: Record<string, unknown>): DrhPasangan {
  const { text, date } = r;
  return compact({
    nama: text(o, 'nama', 'keluarga.pasangan.nama', 'Nama suami/istri', { max: DRH_LIMITS.name })!,
    tempatLahir: text(o, 'tempatLahir', 'keluarga.pasangan.tempatLahir', 'Tempat lahir suami/istri', {
      optional: true,
    }),
    tanggalLahir: date(o, 'tanggalLahir', 'keluarga.pasangan.tanggalLahir', 'Tanggal lahir suami/istri', true),
    tanggalMenikah: date(o, 'tanggalMenikah', 'keluarga.pasangan.tanggalMenikah', 'Tanggal menikah', true),
    pekerjaan: text(o, 'pekerjaan', 'keluarga.pasangan.pekerjaan', 'Pekerjaan suami/istri', { optional: true }),
  });
}

/** V. Pelatihan and organisasi. */
function kegiatanOf(r: DrhReader, root: Record<string, unknown>) {
  const { text, int, year } = r;
  const pelatihan = r.rows(root.pelatihan, 'pelatihan', DRH_LIMITS.rows.pelatihan).map((e, n) =>
    compact({
      nama: text(e, 'nama', `pelatihan[${n}].nama`, 'Nama pelatihan/kursus'),
      penyelenggara: text(e, 'penyelenggara', `pelatihan[${n}].penyelenggara`, 'Penyelenggara'),
      tahun: int(e, 'tahun', `pelatihan[${n}].tahun`, 'Tahun', DRH_LIMITS.minYear, year),
    }),
  );
  const organisasi = r.rows(root.organisasi, 'organisasi', DRH_LIMITS.rows.organisasi).map((e, n) => {
    const o = compact({
      nama: text(e, 'nama', `organisasi[${n}].nama`, 'Nama organisasi'),
      jabatan: text(e, 'jabatan', `organisasi[${n}].jabatan`, 'Jabatan dalam organisasi'),
      tahunMulai: int(e, 'tahunMulai', `organisasi[${n}].tahunMulai`, 'Tahun mulai', DRH_LIMITS.minYear, year),
      tahunSelesai: int(
        e,
        'tahunSelesai',
        `organisasi[${n}].tahunSelesai`,
        'Tahun selesai',
        DRH_LIMITS.minYear,
        year,
        true,
      ),
    });
    if (o.tahunMulai !== undefined && o.tahunSelesai !== undefined && o.tahunSelesai < o.tahunMulai)
      r.fail(`organisasi[${n}].tahunSelesai`, 'Tahun selesai sebelum tahun mulai');
    return o;
  });
  return { pelatihan, organisasi };
}
