/** Request and response schemas of the online SKD exam (docs/exam.md). */
import { Type } from '@fastify/type-provider-typebox';
import { EXAM_BATCH_MAX, INTEGRITY_KINDS } from '../../contracts';
import { EXAM_SUBTESTS } from '../../domain';
import { Id, IsoDateTime, Nullable, PlainText, StringEnum } from './common';

const Count = Type.Integer({ minimum: 0 });
const Token = (description: string) => Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$', description });
const Subtest = StringEnum(EXAM_SUBTESTS);
const ItemId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'the bank item id' });
const OptionId = Type.String({ pattern: '^[A-Za-z0-9]{1,8}$', description: 'the bank option id' });
const Status = StringEnum(['waiting', 'in_progress', 'scoring', 'finished', 'absent'] as const);
const EndedBy = Nullable(StringEnum(['submit', 'timer', 'slot_closed'] as const));
const PerSubtest = Type.Object({ twk: Count, tiu: Count, tkp: Count }, { additionalProperties: false });

export const SubtestParams = Type.Object({ bankId: Id, subtest: Subtest }, { additionalProperties: false });
export const BankIdParams = Type.Object({ bankId: Id }, { additionalProperties: false });
export const SessionIdParams = Type.Object(
  { sessionId: Type.String({ pattern: '^[0-9a-f-]{36}$', description: 'the session UUID' }) },
  { additionalProperties: false },
);
export const ParticipantParams = Type.Object(
  { roundId: Id, registrationNo: Type.String({ pattern: '^\\d{12}$' }) },
  { additionalProperties: false },
);

export const BankBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          id: Type.String({ maxLength: 64 }),
          text: Type.String({ maxLength: 10_000 }),
          options: Type.Array(
            Type.Object(
              {
                id: Type.String({ maxLength: 8 }),
                text: Type.String({ maxLength: 2_000 }),
                points: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
              },
              { additionalProperties: false },
            ),
            { maxItems: 6 },
          ),
        },
        { additionalProperties: false },
      ),
      { maxItems: 5_000 },
    ),
  },
  {
    additionalProperties: false,
    description: 'docs/exam.md: TWK/TIU one option with points 5; TKP every option 1–5',
    examples: [
      {
        items: [
          {
            id: 'TWK-0001',
            text: 'Sila pertama Pancasila adalah …',
            options: [
              { id: 'a', text: 'Ketuhanan Yang Maha Esa', points: 5 },
              { id: 'b', text: 'Kemanusiaan yang adil dan beradab' },
            ],
          },
        ],
      },
    ],
  },
);

export const BankVersionSchema = Type.Object(
  {
    bankId: Type.String(),
    subtest: Subtest,
    version: Type.Integer({ minimum: 1 }),
    items: Count,
    sha256: Type.String(),
    importedBy: Type.String(),
    importedAt: Type.String(),
    created: Type.Boolean({ description: 'false: the same content as the latest version, nothing stored' }),
  },
  { additionalProperties: false },
);
export const BankSchema = Type.Object(
  {
    bankId: Type.String(),
    versions: Type.Array(Type.Omit(BankVersionSchema, ['bankId', 'created']), { description: 'never the items' }),
  },
  { additionalProperties: false },
);

const Slot = Type.Object(
  { slotId: Type.String(), opensAt: Type.String(), closesAt: Type.String() },
  { additionalProperties: false },
);
const Result = Nullable(
  Type.Object(
    { twk: Count, tiu: Count, tkp: Count, total: Count, passed: Type.Boolean(), scoredAt: Type.String() },
    { additionalProperties: false },
  ),
);
const summaryProps = {
  sessionId: Nullable(Type.String()),
  status: StringEnum(['none', 'waiting', 'in_progress', 'scoring', 'finished', 'absent'] as const),
  endedBy: EndedBy,
  slot: Slot,
  durationMs: Count,
  startedAt: Nullable(Type.String()),
  deadline: Nullable(Type.String()),
  remainingMs: Nullable(Count),
  answered: Count,
  result: Result,
};
export const ExamSummarySchema = Type.Object(
  { online: Type.Literal(true), items: PerSubtest, ...summaryProps },
  { additionalProperties: false, description: 'The session without its items (before, during, after)' },
);
export const ExamViewSchema = Type.Object(
  {
    ...summaryProps,
    sessionId: Type.String(),
    serverTime: Type.String(),
    revision: Count,
    items: Type.Array(
      Type.Object(
        {
          no: Type.Integer({ minimum: 1 }),
          itemId: Type.String(),
          subtest: Subtest,
          text: Type.String(),
          options: Type.Array(Type.Object({ id: Type.String(), text: Type.String() }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
      { description: "the candidate's order; never the keys" },
    ),
    answers: Type.Record(Type.String(), Type.String(), { description: 'itemId → option id' }),
    flags: Type.Array(Type.String()),
  },
  { additionalProperties: false, description: 'The session on screen: items, saved answers, time left' },
);

export const OpenBody = Type.Object(
  {
    deviceId: Token('random per browser, kept in localStorage'),
    takeover: Type.Optional(Type.Boolean({ description: 'confirmed: take over from another device (locks it)' })),
  },
  { additionalProperties: false, examples: [{ deviceId: '0f4c2a9e-6b1d-4c3e-9a51-2f7d8e6b1c00' }] },
);
const EventSchema = Type.Object(
  {
    kind: StringEnum(INTEGRITY_KINDS),
    at: IsoDateTime,
    detail: Type.Optional(PlainText({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const BatchBody = Type.Object(
  {
    deviceId: Token('as in open'),
    batchId: Token('random per batch; a retry with the same id is applied once'),
    answers: Type.Array(Type.Object({ itemId: ItemId, option: Nullable(OptionId) }, { additionalProperties: false }), {
      maxItems: EXAM_BATCH_MAX,
    }),
    flags: Type.Optional(
      Type.Array(Type.Object({ itemId: ItemId, flagged: Type.Boolean() }, { additionalProperties: false }), {
        maxItems: EXAM_BATCH_MAX,
      }),
    ),
    events: Type.Optional(Type.Array(EventSchema, { maxItems: EXAM_BATCH_MAX })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        deviceId: '0f4c2a9e-6b1d-4c3e-9a51-2f7d8e6b1c00',
        batchId: 'b-0f4c2a9e-0001-4c3e-9a51',
        answers: [{ itemId: 'TWK-0001', option: 'a' }],
        flags: [{ itemId: 'TIU-0007', flagged: true }],
        events: [{ kind: 'focus_lost', at: '2026-09-01T08:10:00+07:00' }],
      },
    ],
  },
);
export const SaveAckSchema = Type.Object(
  { revision: Count, answered: Count, deadline: Type.String(), remainingMs: Count, savedAt: Type.String() },
  { additionalProperties: false, description: 'Saved (in the session history)' },
);
export const EventsBody = Type.Object(
  { deviceId: Token('as in open'), events: Type.Array(EventSchema, { minItems: 1, maxItems: EXAM_BATCH_MAX }) },
  {
    additionalProperties: false,
    examples: [
      {
        deviceId: '0f4c2a9e-6b1d-4c3e-9a51-2f7d8e6b1c00',
        events: [{ kind: 'paste', at: '2026-09-01T08:11:00+07:00' }],
      },
    ],
  },
);

const IntegrityEventSchema = Type.Object(
  {
    kind: Type.String(),
    at: Type.String(),
    detail: Type.Optional(Type.String()),
    receivedAt: Type.String(),
    deviceId: Type.String(),
  },
  { additionalProperties: false },
);
const proctorProps = {
  sessionId: Type.String(),
  registrationNo: Type.String(),
  status: Status,
  slotId: Type.String(),
  startedAt: Nullable(Type.String()),
  deadline: Nullable(Type.String()),
  remainingMs: Nullable(Count),
  answered: Count,
  itemCount: Count,
  takeovers: Count,
  integrity: Type.Record(Type.String(), Count, { description: 'kind → count' }),
  lastEvents: Type.Array(IntegrityEventSchema),
};
export const ProctorRowSchema = Type.Object(proctorProps, { additionalProperties: false });
export const ProctorDetailSchema = Type.Object(
  {
    ...proctorProps,
    device: Nullable(Type.Object({ deviceId: Type.String(), since: Type.String() }, { additionalProperties: false })),
    endedAt: Nullable(Type.String()),
    endedBy: EndedBy,
    result: Result,
    events: Type.Array(IntegrityEventSchema),
    integrityDropped: Count,
  },
  { additionalProperties: false },
);
export const ProctorQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(['live', 'waiting', 'in_progress', 'scoring', 'finished', 'absent'] as const)),
    page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$' })),
    pageSize: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|100)$', description: '1–100 (default 50)' })),
  },
  { additionalProperties: false },
);
const Scores = Type.Object({ twk: Count, tiu: Count, tkp: Count, total: Count }, { additionalProperties: false });
export const RederiveSchema = Type.Object(
  {
    sessionId: Type.String(),
    bankId: Type.String(),
    bankVersions: PerSubtest,
    recorded: Nullable(Scores),
    rederived: Nullable(Scores),
    answersMatch: Type.Boolean({ description: 'the answers folded from the history equal the scored ones' }),
    match: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const ParticipantBody = Type.Object(
  { slotId: Type.Optional(Id), visualDisability: Type.Boolean() },
  { additionalProperties: false, examples: [{ slotId: 'sesi-1', visualDisability: true }] },
);
export const ParticipantSchema = Type.Object(
  { registrationNo: Type.String(), slotId: Nullable(Type.String()), visualDisability: Type.Boolean() },
  { additionalProperties: false },
);
