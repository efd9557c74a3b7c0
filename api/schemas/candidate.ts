import { Type } from '@fastify/type-provider-typebox';
import { CATEGORIES, DOCUMENT_KINDS, EDUCATION_LEVELS, PREDIKATS } from '../../domain';
import { Id, IsoDate, PlainText } from './common';

const Enum = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

export const RegistrationNoParams = Type.Object({ registrationNo: Type.String({ pattern: '^\\d{12}$' }) }, { additionalProperties: false });

export const RegistrationBody = Type.Object(
  {
    nik: PlainText({ maxLength: 64, description: '16 digits; validated by the NIK rules (422 NIK_INVALID with every problem)' }),
    fullName: PlainText({ maxLength: 200 }),
    birthDate: IsoDate,
    sex: Enum(['L', 'P'] as const),
    email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@<>\\u0000-\\u001f\\u007f-\\u009f]+@[^\\s@<>\\u0000-\\u001f\\u007f-\\u009f]+\\.[^\\s@<>\\u0000-\\u001f\\u007f-\\u009f]+$' }),
    formationId: Id,
    category: Enum(CATEGORIES),
    education: Type.Object({ level: Enum(EDUCATION_LEVELS), program: PlainText({ maxLength: 200 }), ipk: Type.Integer({ minimum: 0, maximum: 400, description: 'IPK × 100 (3,75 → 375)' }) }, { additionalProperties: false }),
    experienceYears: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
    priorPredikat: Type.Optional(Enum(PREDIKATS)),
    reuseSkd: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RegistrationCreated = Type.Object({
  registrationNo: Type.String(),
  workflowId: Type.String(),
  token: Type.String({ description: 'the candidate bearer token, shown once' }),
  warnings: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
  replayed: Type.Optional(Type.Boolean({ description: 'true when the same Idempotency-Key found this registration already recorded (a fresh token is issued)' })),
});

export const DocumentKindParams = Type.Object({ registrationNo: Type.String({ pattern: '^\\d{12}$' }), kind: Enum(DOCUMENT_KINDS) }, { additionalProperties: false });
export const SubmitDocumentsBody = Type.Object({ documentIds: Type.Array(Type.String({ pattern: '^\\d{1,18}$' }), { minItems: 1, maxItems: 20 }) }, { additionalProperties: false });
export const SanggahBody = Type.Object({ reason: PlainText({ maxLength: 4000, multiline: true }) }, { additionalProperties: false });
export const DrhBody = Type.Object({ drh: Type.Record(Type.String({ maxLength: 100 }), Type.Union([PlainText({ minLength: 0, maxLength: 2000, multiline: true }), Type.Number(), Type.Boolean()]), { maxProperties: 100, propertyNames: PlainText({ maxLength: 100 }) }) }, { additionalProperties: false });

export const TaskParams = Type.Object({ taskId: Type.String({ minLength: 1, maxLength: 120, pattern: '^[\\w:.-]+$' }) }, { additionalProperties: false });
export const TaskDecisionBody = Type.Object(
  {
    decisions: Type.Optional(Type.Array(Type.Object({ kind: Enum(DOCUMENT_KINDS), result: Enum(['MS', 'TMS'] as const), reason: Type.Optional(PlainText({ minLength: 0, maxLength: 1000, multiline: true })) }, { additionalProperties: false }), { maxItems: 20 })),
    accepted: Type.Optional(Type.Boolean()),
    answer: Type.Optional(PlainText({ maxLength: 4000, multiline: true })),
  },
  { additionalProperties: false },
);

export const CommentBody = Type.Object({ author: PlainText({ maxLength: 120 }), body: PlainText({ minLength: 10, maxLength: 2000, multiline: true }) }, { additionalProperties: false });
export const AdoptCriteriaBody = Type.Object(
  {
    response: PlainText({ minLength: 10, maxLength: 4000, multiline: true }),
    formations: Type.Array(Type.Object({ formationId: Id, scoring: Type.Object({ skdWeight: Type.Integer({ minimum: 0, maximum: 100 }), skbWeight: Type.Integer({ minimum: 0, maximum: 100 }), criteria: Type.Array(Type.Unknown(), { maxItems: 10 }) }) }, { additionalProperties: false }), { maxItems: 2000 }),
  },
  { additionalProperties: false },
);
