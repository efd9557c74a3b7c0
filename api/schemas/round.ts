import { Type } from '@fastify/type-provider-typebox';
import type { RoundSchedule } from '../../domain';
import { ROUND_PHASES, type RoundJob } from '../../contracts';
import {
  CATEGORIES,
  DOCUMENT_KINDS,
  EDUCATION_LEVELS,
  EXTENDED_AGE_JABATAN_KINDS,
  PREDIKATS,
  SANGGAH_STAGES,
  SCHEDULE_KEYS,
} from '../../domain';
import { Id, IsoDate, IsoDateTime, Open, PlainText, StringEnum } from './common';
import { JobRecordSchema } from './responses';

const Int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });
const Enum = StringEnum;

const Grade = Type.Object(
  {
    twk: Type.Optional(Int(0, 150)),
    tiu: Type.Optional(Int(0, 175)),
    tkp: Type.Optional(Int(0, 225)),
    total: Type.Optional(Int(0, 550)),
  },
  { additionalProperties: false },
);

const Criterion = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('experience'),
      weight: Int(1, 100),
      maxYears: Int(1, 60),
      label: Type.Optional(PlainText({ minLength: 0, maxLength: 100 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('interview'),
      weight: Int(1, 100),
      max: Int(1, 1000),
      label: Type.Optional(PlainText({ minLength: 0, maxLength: 100 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('priorPerformance'),
      weight: Int(1, 100),
      points: Type.Object(Object.fromEntries(PREDIKATS.map((p) => [p, Int(0, 100)])), { additionalProperties: false }),
      label: Type.Optional(PlainText({ minLength: 0, maxLength: 100 })),
    },
    { additionalProperties: false },
  ),
]);

export const FormationSchema = Type.Object(
  {
    formationId: Id,
    unit: PlainText({ maxLength: 200 }),
    jabatan: PlainText({ maxLength: 200 }),
    jabatanKind: Type.Optional(Enum(['umum', ...EXTENDED_AGE_JABATAN_KINDS] as const)),
    educationLevel: Enum(EDUCATION_LEVELS),
    educationPrograms: Type.Array(PlainText({ maxLength: 200 }), { minItems: 1, maxItems: 50 }),
    quota: Int(1, 100_000),
    category: Enum(CATEGORIES),
    extraDocuments: Type.Optional(Type.Array(Enum(DOCUMENT_KINDS), { maxItems: 10 })),
    skbMax: Int(1, 100_000),
    scoring: Type.Optional(
      Type.Object(
        { skdWeight: Int(0, 100), skbWeight: Int(0, 100), criteria: Type.Array(Criterion, { maxItems: 10 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RoundConfigBody = Type.Object(
  {
    roundId: Id,
    name: PlainText({ maxLength: 200 }),
    agency: PlainText({ maxLength: 200 }),
    budgetYear: Int(2000, 2100),
    referenceDate: IsoDate,
    schedule: Type.Object(
      {
        consultationOpens: IsoDateTime,
        consultationCloses: IsoDateTime,
        registrationOpens: IsoDateTime,
        registrationCloses: IsoDateTime,
        verificationDeadline: IsoDateTime,
        announcementAt: IsoDateTime,
        sanggahDays: Type.Optional(Int(1, 30)),
        jawabSanggahDays: Type.Optional(Int(1, 30)),
        skdAt: IsoDateTime,
        skbAt: IsoDateTime,
        finalAnnouncementAt: IsoDateTime,
        drhDeadline: IsoDateTime,
      },
      { additionalProperties: false },
    ),
    formations: Type.Array(FormationSchema, { minItems: 1, maxItems: 2000 }),
    passingGrades: Type.Optional(
      Type.Object({ umum: Grade, cumlaude_diaspora: Grade, afirmasi: Grade }, { additionalProperties: false }),
    ),
    weights: Type.Optional(
      Type.Object({ skdWeight: Int(0, 100), skbWeight: Int(0, 100) }, { additionalProperties: false }),
    ),
    skbCutMultiplier: Type.Optional(Int(1, 10)),
    skbTieBreak: Type.Optional(Type.Array(Enum(['twk', 'tiu', 'tkp'] as const), { minItems: 3, maxItems: 3 })),
    sanggahStages: Type.Optional(Type.Array(Enum(SANGGAH_STAGES), { maxItems: 3 })),
    simulation: Type.Optional(
      Type.Object(
        { dayMs: Int(1_000, 86_400_000) },
        {
          additionalProperties: false,
          description: 'simulation rounds only: the length of one day of the day-counted windows',
        },
      ),
    ),
    exam: Type.Optional(
      Type.Object(
        {
          skd: Type.Object(
            {
              mode: Enum(['online', 'site'] as const, {
                description: 'online: CAT sessions of this system (docs/exam.md); site: held elsewhere, CSV import',
              }),
              bankId: Type.Optional(Id),
              durationMinutes: Type.Optional(Int(1, 600)),
              extendedDurationMinutes: Type.Optional(Int(1, 600)),
              items: Type.Optional(
                Type.Object({ twk: Int(1, 200), tiu: Int(1, 200), tkp: Int(1, 200) }, { additionalProperties: false }),
              ),
              slots: Type.Optional(
                Type.Array(
                  Type.Object(
                    { slotId: Id, opensAt: IsoDateTime, closesAt: IsoDateTime },
                    { additionalProperties: false },
                  ),
                  { minItems: 1, maxItems: 100 },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false, description: 'the SKD exam (issue 19); absent = held elsewhere' },
      ),
    ),
    ageLimits: Type.Optional(
      Type.Object({ min: Int(0, 100), max: Int(0, 100), extendedMax: Int(0, 100) }, { additionalProperties: false }),
    ),
    requiredDocuments: Type.Optional(Type.Array(Enum(DOCUMENT_KINDS), { maxItems: 20 })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        roundId: 'medan-2025',
        name: 'Seleksi CPNS Pemerintah Kota Medan 2025',
        agency: 'BKPSDM Kota Medan',
        budgetYear: 2025,
        referenceDate: '2025-08-01',
        schedule: {
          consultationOpens: '2025-07-01T08:00:00+07:00',
          consultationCloses: '2025-07-08T16:00:00+07:00',
          registrationOpens: '2025-07-15T08:00:00+07:00',
          registrationCloses: '2025-08-01T23:59:00+07:00',
          verificationDeadline: '2025-08-10T16:00:00+07:00',
          announcementAt: '2025-08-12T08:00:00+07:00',
          sanggahDays: 3,
          jawabSanggahDays: 7,
          skdAt: '2025-09-01T07:30:00+07:00',
          skbAt: '2025-10-01T07:30:00+07:00',
          finalAnnouncementAt: '2025-10-20T08:00:00+07:00',
          drhDeadline: '2025-11-05T16:00:00+07:00',
        },
        formations: [
          {
            formationId: 'DINKES-PERAWAT',
            unit: 'Dinas Kesehatan',
            jabatan: 'Perawat Ahli Pertama',
            educationLevel: 'S1',
            educationPrograms: ['Keperawatan', 'Ners'],
            quota: 2,
            category: 'umum',
            extraDocuments: ['str'],
            skbMax: 500,
          },
        ],
      },
    ],
  },
);

export const RoundIdParams = Type.Object({ roundId: Id }, { additionalProperties: false });

export const ExtendDeadlineBody = Type.Object(
  {
    key: Enum(SCHEDULE_KEYS),
    to: IsoDateTime,
    reason: PlainText({ minLength: 3, maxLength: 500, multiline: true }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        key: 'registrationCloses',
        to: '2025-08-05T23:59:00+07:00',
        reason: 'Gangguan jaringan di portal pendaftaran selama dua hari',
      },
    ],
  },
);

/** Simulation rounds only: the phase the caller believes is current, and why its work is done. */
export const AdvancePhaseBody = Type.Object(
  {
    from: Enum(ROUND_PHASES),
    reason: PlainText({ minLength: 3, maxLength: 500, multiline: true }),
  },
  {
    additionalProperties: false,
    examples: [{ from: 'registration', reason: 'Semua pelamar simulasi sudah mendaftar dan mengunggah dokumen' }],
  },
);

export const RoundStateSchema = Open(
  {
    roundId: Type.String(),
    name: Type.String(),
    agency: Type.String(),
    budgetYear: Type.Integer(),
    phase: Type.String({
      description:
        'draft, consultation, criteria_adoption, registration, administrative_check, announcement, skd, skb, final_announcement, closed',
    }),
    phases: Type.Array(Type.Object({ phase: Type.String(), at: Type.String() })),
    schedule: Type.Unsafe<RoundSchedule>({
      type: 'object',
      additionalProperties: true,
      description: 'the schedule: ISO date-times by key, sanggahDays, jawabSanggahDays',
    }),
    deadlineChanges: Type.Array(
      Type.Object({
        key: Type.String(),
        from: Type.String(),
        to: Type.String(),
        actor: Type.String(),
        reason: Type.String(),
        at: Type.String(),
      }),
    ),
    formations: Type.Array(
      Type.Object({
        formationId: Type.String(),
        unit: Type.String(),
        jabatan: Type.String(),
        quota: Type.Integer(),
        category: Type.String(),
      }),
    ),
    criteriaVersion: Type.Integer(),
    criteriaAdopted: Type.Boolean(),
    jobs: Type.Array(
      Type.Unsafe<{
        job: RoundJob;
        requestedAt: string;
        finishedAt: string | null;
        signalled: number | null;
        skipped: number | null;
      }>(JobRecordSchema),
    ),
    held: Type.Union([
      Type.Null(),
      Type.Object(
        {
          phase: Type.String({ description: 'the phase held back: announcement, skd or final_announcement' }),
          since: Type.String({ description: 'when the hold began' }),
          until: Type.Union([Type.Null(), Type.String()], {
            description: 'the end of the sanggah windows the phase also waits for, if any',
          }),
          openTasks: Type.Integer({ description: 'open reviewer tasks the phase waits for' }),
          awaitingAssignment: Type.Integer({ description: 'open decisions whose task is not assigned yet' }),
          tasks: Type.Array(
            Type.Object({
              taskId: Type.Union([Type.Null(), Type.String()]),
              kind: StringEnum(['verification', 'sanggah'] as const),
              stage: Type.String(),
              reviewer: Type.Union([Type.Null(), Type.String()], { description: 'username of the reviewer' }),
              registrationNo: Type.String(),
            }),
            { description: 'the first open decisions (at most 50); registration numbers and usernames only' },
          ),
        },
        {
          description:
            'why the phase has not begun although its instant passed: a decision it rests on is still open (fair announcements)',
        },
      ),
    ]),
  },
  "The round's state: phase and its history, schedule and deadline changes, formations, criteria, jobs, and the phase it holds back (held)",
);
