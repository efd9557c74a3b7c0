import { Type, type TSchema } from '@fastify/type-provider-typebox';
import {
  AGAMA,
  CATEGORIES,
  DOCUMENT_KINDS,
  DRH_LIMITS,
  EDUCATION_LEVELS,
  GOLONGAN_DARAH,
  HUBUNGAN_ANAK,
  JENIS_KELAMIN,
  JENJANG_PENDIDIKAN,
  PREDIKATS,
  SANGGAH_REASON_LIMITS,
  STATUS_PERKAWINAN,
} from '../../domain';
import { Id, IsoDate, PlainText, StringEnum } from './common';

const Enum = StringEnum;

export const RegistrationNoParams = Type.Object(
  { registrationNo: Type.String({ pattern: '^\\d{12}$' }) },
  { additionalProperties: false },
);

export const RegistrationBody = Type.Object(
  {
    nik: PlainText({
      maxLength: 64,
      description: '16 digits; validated by the NIK rules (422 NIK_INVALID with every problem)',
    }),
    fullName: PlainText({ maxLength: 200 }),
    birthDate: IsoDate,
    sex: Enum(['L', 'P'] as const),
    email: Type.String({
      minLength: 3,
      maxLength: 254,
      pattern:
        '^[^\\s@<>\\u0000-\\u001f\\u007f-\\u009f]+@[^\\s@<>\\u0000-\\u001f\\u007f-\\u009f]+\\.[^\\s@<>\\u0000-\\u001f\\u007f-\\u009f]+$',
    }),
    formationId: Id,
    category: Enum(CATEGORIES),
    education: Type.Object(
      {
        level: Enum(EDUCATION_LEVELS),
        program: PlainText({ maxLength: 200 }),
        ipk: Type.Integer({ minimum: 0, maximum: 400, description: 'IPK × 100 (3,75 → 375)' }),
      },
      { additionalProperties: false },
    ),
    experienceYears: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
    priorPredikat: Type.Optional(Enum(PREDIKATS)),
    reuseSkd: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    examples: [
      {
        nik: '1271015505950002',
        fullName: 'Siti Aminah',
        birthDate: '1995-05-15',
        sex: 'P',
        email: 'siti.aminah@example.id',
        formationId: 'DINKES-PERAWAT',
        category: 'umum',
        education: { level: 'S1', program: 'Keperawatan', ipk: 350 },
        experienceYears: 3,
      },
    ],
  },
);

export const RegistrationCreated = Type.Object({
  registrationNo: Type.String(),
  workflowId: Type.String(),
  token: Type.Optional(
    Type.String({
      description:
        'the candidate bearer token, shown once: only in the answer that created the registration, never in a replay',
    }),
  ),
  warnings: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
  replayed: Type.Optional(
    Type.Boolean({
      description:
        'true when the same Idempotency-Key found this registration already recorded (no token: the one handed out first stays valid)',
    }),
  ),
  workflowPending: Type.Optional(
    Type.Literal(true, {
      description:
        'recorded, but its workflow could not be started yet (202): repeat the same request with the same Idempotency-Key, or wait for the reconciler',
    }),
  ),
});

export const DocumentKindParams = Type.Object(
  { registrationNo: Type.String({ pattern: '^\\d{12}$' }), kind: Enum(DOCUMENT_KINDS) },
  { additionalProperties: false },
);
export const SubmitDocumentsBody = Type.Object(
  { documentIds: Type.Array(Type.String({ pattern: '^\\d{1,18}$' }), { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false, examples: [{ documentIds: ['101', '102', '103'] }] },
);
export const SanggahBody = Type.Object(
  {
    reason: PlainText({
      minLength: SANGGAH_REASON_LIMITS.min,
      maxLength: SANGGAH_REASON_LIMITS.max,
      multiline: true,
      description: `${SANGGAH_REASON_LIMITS.min}–${SANGGAH_REASON_LIMITS.max} characters (the minimum without surrounding spaces): domain/sanggah.ts, as the workflow checks; no control characters except line feed and tab`,
    }),
  },
  {
    additionalProperties: false,
    examples: [{ reason: 'Ijazah saya sudah dilegalisir; mohon diperiksa kembali halaman kedua berkas tersebut.' }],
  },
);
// The DRH (domain/drh.ts): the structure here, every rule (dates, phone, NPWP, marital status and
// spouse, agreement with the registration) in validateDrh, which answers 422 INVALID_DRH with each problem.
const Txt = (max: number = DRH_LIMITS.text) => PlainText({ minLength: 0, maxLength: max });
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Year = Type.Integer({ minimum: DRH_LIMITS.minYear, maximum: 9999 });
const DateStr = Type.String({ maxLength: 10, description: 'YYYY-MM-DD' });
const Strict = { additionalProperties: false } as const;
export const DrhSchema = Type.Object(
  {
    identitas: Type.Object(
      {
        namaLengkap: Txt(DRH_LIMITS.name),
        gelarDepan: Opt(Txt(DRH_LIMITS.title)),
        gelarBelakang: Opt(Txt(DRH_LIMITS.title)),
        tempatLahir: Txt(),
        tanggalLahir: DateStr,
        jenisKelamin: Enum(JENIS_KELAMIN.values),
        agama: Enum(AGAMA.values),
        statusPerkawinan: Enum(STATUS_PERKAWINAN.values),
        golonganDarah: Opt(Enum(GOLONGAN_DARAH.values)),
        alamat: Type.Object(
          {
            jalan: Txt(),
            rt: Opt(Txt(3)),
            rw: Opt(Txt(3)),
            kelurahan: Txt(),
            kecamatan: Txt(),
            kabupatenKota: Txt(),
            provinsi: Txt(),
            kodePos: Opt(Txt(5)),
          },
          Strict,
        ),
        nomorHp: Txt(20),
        npwp: Opt(Txt(25)),
        tinggiBadanCm: Opt(Type.Integer({ minimum: 100, maximum: 250 })),
        beratBadanKg: Opt(Type.Integer({ minimum: 30, maximum: 250 })),
      },
      Strict,
    ),
    pendidikan: Type.Array(
      Type.Object(
        {
          jenjang: Enum(JENJANG_PENDIDIKAN.values),
          namaInstitusi: Txt(),
          programStudi: Opt(Txt()),
          tempat: Opt(Txt()),
          tahunLulus: Year,
          nomorIjazah: Opt(Txt(60)),
        },
        Strict,
      ),
      { minItems: 1, maxItems: DRH_LIMITS.rows.pendidikan },
    ),
    pekerjaan: Type.Array(
      Type.Object({ instansi: Txt(), jabatan: Txt(), mulai: DateStr, selesai: Opt(DateStr) }, Strict),
      { maxItems: DRH_LIMITS.rows.pekerjaan },
    ),
    keluarga: Type.Object(
      {
        ayah: Type.Object({ nama: Txt(DRH_LIMITS.name), pekerjaan: Opt(Txt()), alamat: Opt(Txt()) }, Strict),
        ibu: Type.Object({ nama: Txt(DRH_LIMITS.name), pekerjaan: Opt(Txt()), alamat: Opt(Txt()) }, Strict),
        pasangan: Opt(
          Type.Object(
            {
              nama: Txt(DRH_LIMITS.name),
              tempatLahir: Opt(Txt()),
              tanggalLahir: Opt(DateStr),
              tanggalMenikah: Opt(DateStr),
              pekerjaan: Opt(Txt()),
            },
            Strict,
          ),
        ),
        anak: Type.Array(
          Type.Object(
            {
              nama: Txt(DRH_LIMITS.name),
              jenisKelamin: Enum(JENIS_KELAMIN.values),
              tanggalLahir: DateStr,
              hubungan: Enum(HUBUNGAN_ANAK.values),
            },
            Strict,
          ),
          { maxItems: DRH_LIMITS.rows.anak },
        ),
      },
      Strict,
    ),
    pelatihan: Type.Array(Type.Object({ nama: Txt(), penyelenggara: Txt(), tahun: Year }, Strict), {
      maxItems: DRH_LIMITS.rows.pelatihan,
    }),
    organisasi: Type.Array(
      Type.Object({ nama: Txt(), jabatan: Txt(), tahunMulai: Year, tahunSelesai: Opt(Year) }, Strict),
      { maxItems: DRH_LIMITS.rows.organisasi },
    ),
    pernyataan: Type.Literal(true, { description: 'the candidate states that the data is true' }),
  },
  { ...Strict, description: 'daftar riwayat hidup (domain/drh.ts)' },
);
export const DrhBody = Type.Object(
  { drh: DrhSchema },
  {
    additionalProperties: false,
    examples: [
      {
        drh: {
          identitas: {
            namaLengkap: 'Siti Aminah',
            tempatLahir: 'Medan',
            tanggalLahir: '1995-05-15',
            jenisKelamin: 'P',
            agama: 'islam',
            statusPerkawinan: 'belum_kawin',
            golonganDarah: 'O',
            alamat: {
              jalan: 'Jl. Gatot Subroto No. 10',
              rt: '001',
              rw: '002',
              kelurahan: 'Petisah Tengah',
              kecamatan: 'Medan Petisah',
              kabupatenKota: 'Kota Medan',
              provinsi: 'Sumatera Utara',
              kodePos: '20112',
            },
            nomorHp: '081234567890',
          },
          pendidikan: [
            { jenjang: 'SMA', namaInstitusi: 'SMA Negeri 1 Medan', tahunLulus: 2013 },
            {
              jenjang: 'S1',
              namaInstitusi: 'Universitas Sumatera Utara',
              programStudi: 'Keperawatan',
              tempat: 'Medan',
              tahunLulus: 2017,
            },
          ],
          pekerjaan: [],
          keluarga: { ayah: { nama: 'Ahmad', pekerjaan: 'Wiraswasta' }, ibu: { nama: 'Aisyah' }, anak: [] },
          pelatihan: [],
          organisasi: [],
          pernyataan: true,
        },
      },
    ],
  },
);

export const TaskParams = Type.Object(
  { taskId: Type.String({ minLength: 1, maxLength: 120, pattern: '^[\\w:.-]+$' }) },
  { additionalProperties: false },
);
export const TaskDecisionBody = Type.Object(
  {
    decisions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kind: Enum(DOCUMENT_KINDS),
            result: Enum(['MS', 'TMS'] as const),
            reason: Type.Optional(PlainText({ minLength: 0, maxLength: 1000, multiline: true })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 20 },
      ),
    ),
    accepted: Type.Optional(Type.Boolean()),
    answer: Type.Optional(PlainText({ maxLength: 4000, multiline: true })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        decisions: [
          { kind: 'ijazah', result: 'MS' },
          { kind: 'ktp', result: 'TMS', reason: 'KTP tidak terbaca' },
        ],
      },
    ],
  },
);

export const CommentBody = Type.Object(
  {
    author: PlainText({ maxLength: 120 }),
    body: PlainText({ minLength: 10, maxLength: 2000, multiline: true }),
    formationId: Type.Optional(Id),
    criterion: Type.Optional(
      StringEnum(['experience', 'interview', 'priorPerformance'] as const, {
        description: 'a criterion of the formation (its kind); needs formationId',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        author: 'Budi, warga Medan Johor',
        body: 'Mohon bobot wawancara untuk perawat tidak melebihi 30 persen.',
        formationId: 'DINKES-PERAWAT',
        criterion: 'interview',
      },
    ],
  },
);
export const AdoptCriteriaBody = Type.Object(
  {
    response: PlainText({ minLength: 10, maxLength: 4000, multiline: true }),
    formations: Type.Array(
      Type.Object(
        {
          formationId: Id,
          scoring: Type.Object({
            skdWeight: Type.Integer({ minimum: 0, maximum: 100 }),
            skbWeight: Type.Integer({ minimum: 0, maximum: 100 }),
            criteria: Type.Array(Type.Unknown(), { maxItems: 10 }),
          }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 2000 },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        response: 'Wawancara ditambahkan untuk perawat Dinas Kesehatan dengan bobot 20 persen, sesuai masukan publik.',
        formations: [
          {
            formationId: 'DINKES-PERAWAT',
            scoring: {
              skdWeight: 40,
              skbWeight: 60,
              criteria: [{ kind: 'interview', weight: 20, max: 100, label: 'Wawancara' }],
            },
          },
        ],
      },
    ],
  },
);

/** The `Idempotency-Key` header of the operations a client may retry. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_.:-]{8,128}$',
      description:
        'A retry with the same key happens once. Use a random value per operation (e.g. a UUID), never a guessable one.',
    }),
  ),
});
