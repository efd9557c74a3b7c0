import type { Drh, FormationConfig, JenjangPendidikan, RoundConfigInput } from '../domain';
import type { RegistrationRequest } from '../api/services/registrations';

/**
 * A seeded synthetic round modelled on Kota Medan: its units and jabatan, candidates with valid
 * NIKs (Sumatera Utara 12, Kota Medan 71, its 21 kecamatan), realistic SKD/SKB distributions and
 * what each simulated person will do (upload, appeal, sit the exams, fill in the DRH).
 */

/** mulberry32: small, fast, reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rand {
  next: () => number;
  int: (lo: number, hi: number) => number;
  pick: <T>(xs: readonly T[]) => T;
  normal: (mean: number, sd: number) => number;
  chance: (p: number) => boolean;
}

export function rand(seed: number): Rand {
  const next = rng(seed);
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    normal: (mean, sd) => mean + sd * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    chance: (p) => next() < p,
  };
}

type Jabatan = Omit<FormationConfig, 'formationId' | 'quota' | 'category'> & { code: string; weight: number };

/** Units and jabatan of the Pemerintah Kota Medan; `weight` is the share of the applicants. */
export const MEDAN_JABATAN: Jabatan[] = [
  {
    code: 'DINKES-PERAWAT',
    unit: 'Dinas Kesehatan',
    jabatan: 'Perawat Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Keperawatan', 'Ners'],
    extraDocuments: ['str'],
    skbMax: 500,
    weight: 14,
  },
  {
    code: 'DINKES-BIDAN',
    unit: 'Dinas Kesehatan',
    jabatan: 'Bidan Terampil',
    educationLevel: 'D3',
    educationPrograms: ['Kebidanan'],
    extraDocuments: ['str'],
    skbMax: 500,
    weight: 8,
  },
  {
    code: 'DINKES-DOKTER',
    unit: 'Dinas Kesehatan',
    jabatan: 'Dokter Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Pendidikan Dokter'],
    extraDocuments: ['str'],
    skbMax: 500,
    weight: 4,
  },
  {
    code: 'RSUD-PERAWAT',
    unit: 'RSUD dr. Pirngadi',
    jabatan: 'Perawat Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Keperawatan', 'Ners'],
    extraDocuments: ['str'],
    skbMax: 500,
    weight: 10,
  },
  {
    code: 'RSUD-APOTEKER',
    unit: 'RSUD dr. Pirngadi',
    jabatan: 'Apoteker Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Farmasi'],
    skbMax: 500,
    weight: 4,
  },
  {
    code: 'DISDIKBUD-GURU-MTK',
    unit: 'Dinas Pendidikan dan Kebudayaan',
    jabatan: 'Guru Matematika Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Pendidikan Matematika'],
    skbMax: 500,
    weight: 14,
  },
  {
    code: 'DISDIKBUD-GURU-BIN',
    unit: 'Dinas Pendidikan dan Kebudayaan',
    jabatan: 'Guru Bahasa Indonesia Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Pendidikan Bahasa Indonesia'],
    skbMax: 500,
    weight: 12,
  },
  {
    code: 'PU-TEKNIK-SIPIL',
    unit: 'Dinas Pekerjaan Umum',
    jabatan: 'Teknik Tata Bangunan dan Perumahan Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Teknik Sipil', 'Arsitektur'],
    skbMax: 500,
    weight: 8,
  },
  {
    code: 'KOMINFO-PRAKOM',
    unit: 'Dinas Komunikasi dan Informatika',
    jabatan: 'Pranata Komputer Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Teknik Informatika', 'Sistem Informasi', 'Ilmu Komputer'],
    skbMax: 500,
    weight: 10,
  },
  {
    code: 'BKPSDM-ANALIS',
    unit: 'BKPSDM',
    jabatan: 'Analis SDM Aparatur Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Psikologi', 'Manajemen', 'Administrasi Negara'],
    skbMax: 500,
    weight: 8,
  },
  {
    code: 'BAPPEDA-PERENCANA',
    unit: 'Bappeda',
    jabatan: 'Perencana Ahli Pertama',
    educationLevel: 'S1',
    educationPrograms: ['Ekonomi Pembangunan', 'Perencanaan Wilayah dan Kota'],
    skbMax: 500,
    weight: 8,
  },
];

const FIRST_F = [
  'Siti',
  'Rina',
  'Fitri',
  'Maria',
  'Putri',
  'Dewi',
  'Sari',
  'Indah',
  'Nur',
  'Lestari',
  'Rahmawati',
  'Yohana',
  'Debora',
  'Nurhaliza',
  'Ayu',
  'Melati',
];
const FIRST_M = [
  'Dedi',
  'Hendra',
  'Yusuf',
  'Ahmad',
  'Rizky',
  'Andi',
  'Budi',
  'Agus',
  'Rahmat',
  'Joko',
  'Fajar',
  'Samuel',
  'Daniel',
  'Irfan',
  'Bonar',
  'Taufik',
];
const SURNAMES = [
  'Lubis',
  'Nasution',
  'Siregar',
  'Harahap',
  'Sitompul',
  'Simanjuntak',
  'Hutapea',
  'Ginting',
  'Sembiring',
  'Tarigan',
  'Purba',
  'Damanik',
  'Saragih',
  'Batubara',
  'Pohan',
  'Rangkuti',
  'Daulay',
  'Tanjung',
  'Hasibuan',
  'Pane',
  'Sinaga',
  'Manurung',
];

export interface SimCandidate {
  index: number;
  request: RegistrationRequest;
  jabatan: Jabatan;
  /** What the simulated person and the panel will do. */
  plan: {
    ineligible: boolean;
    submitsDocuments: boolean;
    tms: boolean;
    appeals: boolean;
    appealAccepted: boolean;
    skd: { twk: number; tiu: number; tkp: number } | null;
    skb: number | null;
    interview: number | null;
    submitsDrh: boolean;
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));
const step5 = (v: number, max: number): number => clamp(Math.round(v / 5) * 5, 0, max);

export interface SyntheticRound {
  config: RoundConfigInput;
  candidates: SimCandidate[];
}

export interface ScheduleSpec {
  /** Real-time instants (ms) of the round, from the driver. */
  consultationOpens: number;
  consultationCloses: number;
  registrationOpens: number;
  registrationCloses: number;
  verificationDeadline: number;
  announcementAt: number;
  skdAt: number;
  skbAt: number;
  finalAnnouncementAt: number;
  drhDeadline: number;
}

/** An instant in WIB, the way the panel types it. */
export function wib(ms: number): string {
  const d = new Date(ms + 7 * 3_600_000);
  return `${d.toISOString().slice(0, 19)}+07:00`;
}

type SyntheticOptions = {
  roundId: string;
  candidates: number;
  seed: number;
  budgetYear: number;
  schedule: ScheduleSpec;
  dayMs: number;
  nikOffset?: number;
};

/** The round's formations: a quota per jabatan in proportion to its weight. */
function syntheticFormations(opts: SyntheticOptions, totalWeight: number): FormationConfig[] {
  return MEDAN_JABATAN.map((j) => ({
    formationId: j.code,
    unit: j.unit,
    jabatan: j.jabatan,
    educationLevel: j.educationLevel,
    educationPrograms: j.educationPrograms,
    ...(j.extraDocuments ? { extraDocuments: j.extraDocuments } : {}),
    skbMax: j.skbMax,
    category: 'umum' as const,
    quota: Math.max(1, Math.round((opts.candidates * j.weight) / totalWeight / 12)),
  }));
}

/** The round's configuration: its schedule (WIB) and formations. */
function syntheticConfig(opts: SyntheticOptions, formations: FormationConfig[]): RoundConfigInput {
  const s = opts.schedule;
  return {
    roundId: opts.roundId,
    name: `Simulasi Seleksi CPNS Pemerintah Kota Medan ${opts.budgetYear}`,
    agency: 'BKPSDM Kota Medan',
    budgetYear: opts.budgetYear,
    referenceDate: `${opts.budgetYear}-08-01`,
    schedule: {
      consultationOpens: wib(s.consultationOpens),
      consultationCloses: wib(s.consultationCloses),
      registrationOpens: wib(s.registrationOpens),
      registrationCloses: wib(s.registrationCloses),
      verificationDeadline: wib(s.verificationDeadline),
      announcementAt: wib(s.announcementAt),
      skdAt: wib(s.skdAt),
      skbAt: wib(s.skbAt),
      finalAnnouncementAt: wib(s.finalAnnouncementAt),
      drhDeadline: wib(s.drhDeadline),
    },
    formations,
    simulation: { dayMs: opts.dayMs },
  };
}

/** Candidate `i`: who they are and what they will do, drawn from `r` in a fixed order (the seed's sequence). */
function syntheticCandidate(r: Rand, opts: SyntheticOptions, totalWeight: number, i: number): SimCandidate {
  const refYear = opts.budgetYear;
  let w = r.next() * totalWeight;
  const jabatan = MEDAN_JABATAN.find((j) => (w -= j.weight) < 0) ?? MEDAN_JABATAN[0]!;
  const sex = r.chance(0.55) ? 'P' : 'L';
  const age = r.int(21, 32);
  const birthDate = `${refYear - age - 1}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}`;
  const [y, m, d] = birthDate.split('-');
  const seq = (((opts.nikOffset ?? 0) + i) % 9999) + 1;
  const district = pad(1 + (Math.floor(((opts.nikOffset ?? 0) + i) / 9999) % 21));
  const nik = `1271${district}${pad(Number(d) + (sex === 'P' ? 40 : 0))}${m}${y!.slice(2)}${pad(seq, 4)}`;
  const fullName = `${r.pick(sex === 'P' ? FIRST_F : FIRST_M)} ${r.pick(SURNAMES)}`;
  const ineligible = r.chance(0.02);
  const program = ineligible ? 'Ilmu Sejarah' : r.pick(jabatan.educationPrograms);
  // SKD: TWK and TIU in steps of 5, TKP 1–5 per question; roughly half pass every passing grade.
  const sitsSkd = r.chance(0.96);
  const skd = sitsSkd
    ? {
        twk: step5(r.normal(82, 16), 150),
        tiu: step5(r.normal(98, 20), 175),
        tkp: clamp(Math.round(r.normal(172, 12)), 45, 225),
      }
    : null;
  const tms = r.chance(0.08);
  const appeals = tms && r.chance(0.6);
  return {
    index: i,
    jabatan,
    request: {
      nik,
      fullName,
      birthDate,
      sex,
      email: `pelamar${i}@contoh.id`,
      formationId: jabatan.code,
      category: 'umum',
      education: { level: jabatan.educationLevel, program, ipk: clamp(Math.round(r.normal(338, 25)), 250, 400) },
      experienceYears: r.int(0, 6),
    },
    plan: {
      ineligible,
      submitsDocuments: r.chance(0.98),
      tms,
      appeals,
      appealAccepted: appeals && r.chance(0.5),
      skd,
      skb: r.chance(0.97) ? clamp(Math.round(r.normal(330, 55)), 0, jabatan.skbMax) : null,
      interview: clamp(Math.round(r.normal(72, 12)), 0, 100),
      submitsDrh: r.chance(0.97),
    },
  };
}

/**
 * The round: formations sized to the applicant count (about 1 seat per 12 applicants), one with
 * an interview criterion adopted after the consultation; candidates spread by `weight`.
 * `nikOffset` keeps NIKs unique when several demo rounds share a database and a budget year.
 */
export function syntheticRound(opts: SyntheticOptions): SyntheticRound {
  const r = rand(opts.seed);
  const totalWeight = MEDAN_JABATAN.reduce((s, j) => s + j.weight, 0);
  const config = syntheticConfig(opts, syntheticFormations(opts, totalWeight));
  const candidates: SimCandidate[] = [];
  for (let i = 0; i < opts.candidates; i++) candidates.push(syntheticCandidate(r, opts, totalWeight, i));
  return { config, candidates };
}

/** HR's response to the consultation: an interview for the nurses of Dinas Kesehatan. */
export const ADOPTED_CRITERIA = {
  response:
    'Terima kasih atas masukan publik. Untuk formasi Perawat Dinas Kesehatan ditambahkan wawancara perilaku kerja (bobot 20); formasi lain memakai bobot SKD 40 dan SKB 60.',
  formations: [
    {
      formationId: 'DINKES-PERAWAT',
      scoring: {
        skdWeight: 30,
        skbWeight: 50,
        criteria: [{ kind: 'interview', weight: 20, max: 100, label: 'Wawancara perilaku kerja' }],
      },
    },
  ],
};

export const CONSULTATION_COMMENTS = [
  {
    author: 'Forum Perawat Kota Medan',
    body: 'Mohon pengalaman kerja di puskesmas dan wawancara perilaku kerja ikut dinilai untuk formasi perawat.',
  },
  {
    author: 'Ikatan Guru Medan',
    body: 'Mohon jadwal SKB guru tidak bertabrakan dengan ujian akhir semester di sekolah.',
  },
  { author: 'Warga Medan Johor', body: 'Mohon hasil setiap tahap diumumkan terbuka dengan NIK yang disamarkan.' },
];

/** Realistic reasons for a TMS, and a sanggah text. */
export const TMS_REASONS = [
  'Ijazah tidak dilegalisasi',
  'Pas foto tidak berlatar merah',
  'Surat lamaran tidak ditandatangani',
  'Transkrip tidak terbaca',
];
export const SANGGAH_TEXT =
  'Dokumen yang saya unggah sudah sesuai ketentuan; mohon diperiksa kembali halaman kedua berkas tersebut.';

/** A DRH that passes domain/drh.ts for a registered person (the demo's winners, the benchmarks, the tests). */
export function sampleDrh(p: {
  index: number;
  fullName: string;
  birthDate: string;
  sex: 'L' | 'P';
  educationLevel: string;
  program?: string;
}): Drh {
  // Graduated at 22, but never after this year (domain/drh.ts refuses a tahunLulus in the future).
  const graduated = Math.min(
    Number(p.birthDate.slice(0, 4)) + 22,
    Number(new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 4)),
  );
  return {
    identitas: {
      namaLengkap: p.fullName,
      tempatLahir: 'Medan',
      tanggalLahir: p.birthDate,
      jenisKelamin: p.sex,
      agama: 'islam',
      statusPerkawinan: 'belum_kawin',
      golonganDarah: 'O',
      alamat: {
        jalan: `Jl. Contoh No. ${p.index}, Medan`,
        rt: '001',
        rw: '002',
        kelurahan: 'Petisah Tengah',
        kecamatan: 'Medan Petisah',
        kabupatenKota: 'Kota Medan',
        provinsi: 'Sumatera Utara',
        kodePos: '20112',
      },
      nomorHp: `0812${String(10_000_000 + p.index).slice(-8)}`,
    },
    pendidikan: [
      { jenjang: 'SMA', namaInstitusi: 'SMA Negeri 1 Medan', tahunLulus: graduated - 4 },
      {
        jenjang: p.educationLevel as JenjangPendidikan,
        namaInstitusi: 'Universitas Sumatera Utara',
        ...(p.program ? { programStudi: p.program } : {}),
        tempat: 'Medan',
        tahunLulus: graduated,
      },
    ],
    pekerjaan: [],
    keluarga: { ayah: { nama: 'Ayah Contoh', pekerjaan: 'Wiraswasta' }, ibu: { nama: 'Ibu Contoh' }, anak: [] },
    pelatihan: [],
    organisasi: [],
    pernyataan: true,
  };
}
