import { Type } from '@fastify/type-provider-typebox';
import { AnyObject, Nullable, Open } from './common';

/**
 * Response schemas. Fastify serialises replies with them (fast-json-stringify), which drops
 * undeclared properties of a closed object: every object whose shape is set by a workflow or a
 * service that may grow is `Open` (additionalProperties: true, the known fields documented), and
 * fields that can be absent are optional. test/helpers/contract.ts fails a test whose reply the
 * serialiser changed.
 */
const S = Type.String;
const I = Type.Integer;
const Opt = Type.Optional;

export const JobRecordSchema = Open(
  {
    job: Open(
      { kind: S({ description: 'import, rank, schedule or announcement' }) },
      'what was asked: an import (importId, exam, correction, actor), a ranking (ranking, actor), a schedule change (key, to, seq) or an announcement to the candidates (announcement, at)',
    ),
    requestedAt: S(),
    finishedAt: Opt(Nullable(S())),
    signalled: Opt(Nullable(I({ description: 'candidate workflows signalled' }))),
    skipped: Opt(Nullable(I({ description: 'candidates skipped (already at that step)' }))),
  },
  'A job of the round workflow (an import or a ranking fanned out to the candidates)',
);

export const CandidateStatusSchema = Open(
  {
    registrationNo: S(),
    roundId: Opt(S()),
    formationId: Opt(S()),
    stage: S({ description: 'the candidate stage (registered, administrative_check, … appointed, ended)' }),
    outcome: Opt(Nullable(S())),
    deadlines: Opt(AnyObject('the deadlines that apply to this candidate, ISO date-times by name')),
    documents: Opt(Type.Array(Open({ kind: S(), documentId: S(), sha256: S() }))),
    reviewer: Opt(Nullable(S())),
    administrasi: Opt(Nullable(S({ description: 'MS or TMS' }))),
    sanggah: Opt(Nullable(AnyObject('the appeal: stage, reason, filedAt, accepted, answer'))),
    skd: Opt(Nullable(AnyObject('SKD scores (twk, tiu, tkp, total), passed, reusedFromYear'))),
    skb: Opt(Nullable(AnyObject('selected for SKB, skdRank, score'))),
    final: Opt(
      Nullable(AnyObject('final result (lulus, lulus_optimalisasi, tidak_lulus), score, rank, placementFormationId')),
    ),
    nip: Opt(Nullable(S())),
    warnings: Opt(Type.Array(Open({ code: S(), message: S() }))),
    decisions: Opt(Type.Array(Open({ what: S(), who: S(), when: S(), why: Opt(S()) }))),
  },
  'The candidate workflow status: stage, deadlines, scores and every decision',
);

export const CareerStatusSchema = Open(
  {
    nip: S(),
    year: Opt(I()),
    stage: S(),
    status: Opt(S({ description: 'cpns or pns' })),
    supervisor: Opt(S()),
    unitHead: Opt(S()),
    escalatedTo: Opt(Nullable(S())),
    probation: Opt(Nullable(AnyObject('latsar, healthy (null until recorded), endsAt'))),
    expectations: Opt(Nullable(Type.Array(S()))),
    checkInsPerYear: Opt(I({ description: 'the check-in periods of the year: 1 … checkInsPerYear' })),
    checkIns: Opt(Type.Array(I())),
    predikat: Opt(Nullable(S())),
    ladderPosition: Opt(Nullable(AnyObject('the position on the BKN 3/2020 ladder'))),
    pendingRecommendation: Opt(Nullable(AnyObject("a ladder recommendation awaiting an official's decision"))),
    events: Opt(Type.Array(AnyObject('a career event'))),
  },
  'The career workflow status: stage, predikat, ladder, every event',
);

export const TaskViewSchema = Open({
  taskId: S(),
  registrationNo: S(),
  roundId: S(),
  kind: S({ description: 'verification or sanggah' }),
  stage: S(),
  status: S(),
  dueAt: S(),
  createdAt: S(),
});

export const ImportResultSchema = Open(
  {
    importId: S(),
    rows: I(),
    alreadyImported: Type.Boolean({ description: 'the same file was imported before: nothing changed (200)' }),
    job: Nullable(JobRecordSchema),
  },
  'The import: its id, the rows, and the round job that notifies the candidates',
);

export const RankingRowSchema = Open({
  registrationNo: S(),
  formationId: S(),
  rank: I(),
  result: S(),
  placementFormationId: Nullable(S()),
  scoreScaled: Opt(Nullable(Type.Union([I(), S()]))),
  scoreScale: Opt(Nullable(Type.Union([I(), S()]))),
  breakdown: Opt(Type.Unknown({ description: 'each term of the integrated score' })),
  version: Opt(I()),
});

export const FinalPreviewRowSchema = Open({
  registrationNo: S(),
  formationId: S(),
  rank: I(),
  result: S(),
  placementFormationId: Nullable(S()),
  scaled: Opt(Type.Number()),
  scale: Opt(Type.Number()),
  display: Opt(S()),
  breakdown: Opt(Type.Array(AnyObject('a term of the score'))),
});

export const AnnouncementSchema = Open(
  {
    roundId: S(),
    agency: S(),
    roundName: S(),
    phase: S(),
    title: S(),
    rows: Type.Array(
      Open({
        registrationNo: S(),
        name: S(),
        nik: S({ description: 'masked' }),
        formationId: S(),
        result: S(),
        score: Nullable(S()),
        note: Nullable(S()),
      }),
    ),
  },
  'An announcement with masked NIKs',
);

export const CandidateListItemSchema = Open({
  registrationNo: S(),
  stage: Nullable(S()),
  formationId: Nullable(S()),
  status: S(),
});

export const CommentSchema = Open({
  commentId: S(),
  author: S(),
  body: S(),
  criteriaVersion: I(),
  createdAt: S(),
  formationId: Opt(S({ description: 'the formation the comment is about' })),
  criterion: Opt(S({ description: 'the criterion (kind) of that formation the comment is about' })),
  response: Opt(Open({ body: S(), at: S() }, "HR's official response, shown under the comment")),
});
export const CriteriaVersionSchema = Open({
  version: I(),
  status: S({ description: 'draft or adopted' }),
  formations: Type.Unknown({ description: 'the criteria per formation' }),
  response: Nullable(S()),
  actor: S(),
  createdAt: S(),
});

export const TimelineEntrySchema = Open({ waktu: S(), peristiwa: S(), oleh: S(), alasan: Nullable(S()) });

export const ReplaySchema = Open(
  {
    total: I(),
    ok: I(),
    failed: Type.Array(AnyObject('a failed replay: workflowId, error')),
    results: Type.Array(Open({ workflowId: S(), ok: Type.Boolean(), error: Opt(S()), events: I() })),
  },
  'Replay results: ok, or the determinism violation per workflow',
);

export const RederiveSchema = Open(
  {
    checked: Type.Record(S(), I(), { description: 'how many of each were recomputed' }),
    differences: Type.Array(
      Open({ what: S(), registrationNo: Nullable(S()), published: Type.Unknown(), rederived: Type.Unknown() }),
    ),
  },
  'Every recomputed result that differs from the published one (none: differences is empty)',
);

export const HistorySchema = Open(
  { events: Type.Array(AnyObject('a history event (Temporal JSON)')) },
  "A workflow's history in Temporal's JSON form (payloads encrypted)",
);

export const HealthSchema = Type.Object(
  { status: Type.Literal('ok'), postgresql: S(), temporal: S() },
  { description: 'PostgreSQL and Temporal are up' },
);
