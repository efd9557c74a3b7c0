import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { CANDIDATE_STAGES, type AdoptCriteriaInput, type CandidateStage } from '../../contracts';
import { AppError } from '../errors';
import { requireUser } from '../plugins/auth';
import { documentedBody } from '../openapi';
import { errors, Id, PlainText, StringEnum, TextBody } from '../schemas/common';
import {
  AnnouncementSchema,
  CandidateListItemSchema,
  CommentSchema,
  CriteriaVersionSchema,
  FinalPreviewRowSchema,
  ImportResultSchema,
  JobRecordSchema,
  RankingRowSchema,
} from '../schemas/responses';
import { AdoptCriteriaBody, CommentBody, IdempotencyHeaders } from '../schemas/candidate';
import { RoundIdParams, RoundStateSchema } from '../schemas/round';
import { ANNOUNCEMENT_PHASES, announcement, announcementHtml, funnel, listCandidates } from '../services/announcements';
import { addComment, criteriaVersions, listCommentsPage } from '../services/consultation';
import { pageOfArray } from '../services/paging';
import { PageOf, PageQuery, PageQueryProps } from '../schemas/page';
import type { ServiceDeps } from '../services/deps';
import {
  IMPORT_MEDIA_TYPES,
  importFormatOf,
  importResults,
  requestRanking,
  type ImportFormat,
} from '../services/imports';
import { updateIdOf, updateOptions } from '../plugins/idempotency';
import { reportHtml, roundReport } from '../services/report';
import { verifyAll } from '../services/audit';
import {
  adoptCriteria,
  finalRankingPreview,
  rankingPage,
  recordOptimalisasiDecline,
  setRoundReviewers,
} from '../services/round-ops';
import { RoundAuditVerificationSchema } from './audit';

const Enum = StringEnum;
type App = Parameters<FastifyPluginAsyncTypebox>[0];
const closed = { additionalProperties: false } as const;
const hr = { access: ['hr'] as const };
const hrOrAuditor = { access: ['hr', 'auditor'] as const };
const everyone = { access: 'public' as const };
const html = 'text/html; charset=utf-8';

const ReviewersSchema = {
  tags: ['rounds'],
  summary: "Set the round's verifikator pool (reviewer accounts)",
  params: RoundIdParams,
  body: Type.Object(
    { usernames: Type.Array(PlainText({ maxLength: 100 }), { minItems: 1, maxItems: 500 }) },
    { ...closed, examples: [{ usernames: ['verifikator.1', 'verifikator.2'] }] },
  ),
  response: {
    200: Type.Object({ usernames: Type.Array(Type.String()) }, { description: 'The pool as stored, sorted' }),
    ...errors(404, [422, 'UNKNOWN_REVIEWER: names that are not reviewer accounts, in details']),
  },
};
const CriteriaListSchema = {
  tags: ['consultation'],
  summary: "Every version of the criteria (draft, adopted) with HR's response",
  params: RoundIdParams,
  querystring: PageQuery,
  response: { 200: PageOf(CriteriaVersionSchema, 'The versions, oldest first'), ...errors(404) },
};
const AdoptCriteriaSchema = {
  tags: ['consultation'],
  summary: 'Adopt the final criteria with a response to the comments (after the consultation, before registration)',
  params: RoundIdParams,
  body: AdoptCriteriaBody,
  headers: IdempotencyHeaders,
  response: {
    200: { ...RoundStateSchema, description: 'The round after the adoption' },
    ...errors(404, [409, 'WRONG_PHASE: not between the consultation and registration'], 422),
  },
};
const CommentListSchema = {
  tags: ['consultation'],
  summary: 'Public comments on the draft criteria',
  params: RoundIdParams,
  querystring: PageQuery,
  response: { 200: PageOf(CommentSchema, 'The comments, oldest first'), ...errors(404) },
};
const AddCommentSchema = {
  tags: ['consultation'],
  summary: 'Comment on the draft criteria while the consultation is open',
  params: RoundIdParams,
  body: CommentBody,
  response: {
    201: Type.Object({ commentId: Type.String() }, { description: 'Recorded' }),
    ...errors(
      404,
      [
        409,
        'WRONG_PHASE: the consultation is not open; ' +
          'DUPLICATE_COMMENT: the same text from the same client within the window',
      ],
      [422, 'COMMENT_TARGET_INVALID: the formation or its criterion is not in this round'],
    ),
  },
};

const ImportBodyDoc = documentedBody({
  type: 'string',
  description:
    'CSV (text/csv: comma or semicolon, read from the header line; quoted fields, a UTF-8 BOM and CRLF accepted) ' +
    'or XLSX (the first worksheet) with a header line/row. SKD: registration_no,twk,tiu,tkp. ' +
    'SKB: registration_no,skb[,interview] (an empty interview: none). ' +
    'Errors are numbered by the line (CSV) or row (XLSX) of the file.',
  examples: ['registration_no,twk,tiu,tkp\n202500000001,85,95,170\n202500000002,60,80,150\n'],
});
const ImportSchema = {
  tags: ['imports'],
  summary:
    'Import SKD (registration_no,twk,tiu,tkp) or SKB (registration_no,skb[,interview]) results as CSV or XLSX; ' +
    'validated whole',
  params: Type.Object({ roundId: Id, exam: Enum(['skd', 'skb'] as const) }, closed),
  querystring: Type.Object(
    {
      correction: Type.Optional(Enum(['true', 'false'] as const)),
      reason: Type.Optional(PlainText({ minLength: 5, maxLength: 500 })),
    },
    closed,
  ),
  consumes: [IMPORT_MEDIA_TYPES.csv, IMPORT_MEDIA_TYPES.xlsx],
  response: {
    200: { ...ImportResultSchema, description: 'The same file was imported before: nothing changed' },
    202: { ...ImportResultSchema, description: 'Imported; the round notifies the candidates (the job)' },
    ...errors(
      404,
      [409, 'WRONG_PHASE: not the phase of this exam; ALREADY_IMPORTED: a different file without correction=true'],
      [415, 'UNSUPPORTED_MEDIA_TYPE: neither text/csv nor XLSX'],
      [422, 'IMPORT_INVALID: every problem with its line number in details'],
    ),
  },
};

const RankingParams = Type.Object({ roundId: Id, kind: Enum(['skb_selection', 'final'] as const) }, closed);
const RunRankingSchema = {
  tags: ['rankings'],
  summary: 'Run a ranking (SKB cut or final with optimalisasi) and notify the candidates',
  params: RankingParams,
  headers: IdempotencyHeaders,
  response: {
    202: { ...JobRecordSchema, description: 'Requested: the round job that ranks and notifies the candidates' },
    ...errors(404, [409, 'WRONG_PHASE: the scores are not all in'], 422),
  },
};
const RankingSchema = {
  tags: ['rankings'],
  summary: 'A published ranking with each breakdown',
  params: RankingParams,
  querystring: PageQuery,
  response: { 200: PageOf(RankingRowSchema, 'By formation, then rank, then registration number'), ...errors(404) },
};
const FinalPreviewSchema = {
  tags: ['rankings'],
  summary: 'The final ranking as it would be published now, without storing it',
  params: RoundIdParams,
  querystring: PageQuery,
  response: {
    200: PageOf(FinalPreviewRowSchema, 'The ranking as it would be published, in its order'),
    ...errors(404),
  },
};
const DeclineSchema = {
  tags: ['rankings'],
  summary: 'Record that a candidate declined an optimalisasi seat (before the final ranking)',
  params: RoundIdParams,
  body: Type.Object(
    { registrationNo: Type.String({ pattern: '^\\d{12}$' }), formationId: Id },
    { ...closed, examples: [{ registrationNo: '202500000001', formationId: 'DINKES-PERAWAT' }] },
  ),
  response: {
    201: Type.Object({ recorded: Type.Boolean() }, { description: 'Recorded (again: no change)' }),
    ...errors(404),
  },
};

const AnnouncementParams = Type.Object({ roundId: Id, phase: Enum(ANNOUNCEMENT_PHASES) }, closed);
const AnnouncementQuery = Type.Object({ formationId: Type.Optional(Id) }, closed);
const notPublished = errors([404, 'NOT_FOUND: no such round, or the announcement is not published yet']);
const AnnouncementRouteSchema = {
  tags: ['announcements'],
  summary: 'An announcement (JSON) with masked NIKs',
  params: AnnouncementParams,
  querystring: AnnouncementQuery,
  response: { 200: AnnouncementSchema, ...notPublished },
};
const AnnouncementHtmlSchema = {
  tags: ['announcements'],
  summary: 'The printable announcement page (Bahasa Indonesia)',
  params: AnnouncementParams,
  querystring: AnnouncementQuery,
  response: { 200: TextBody('The announcement page (HTML)'), ...notPublished },
};
const ReportSchema = {
  tags: ['rounds'],
  summary:
    'The round report (HTML, Bahasa Indonesia): funnel, SKD histograms with passing grades, time per stage, ' +
    'a table per formation — counts only, no personal data',
  params: RoundIdParams,
  response: { 200: TextBody('The report page (HTML)'), ...errors(404) },
};
const FunnelSchema = {
  tags: ['rounds'],
  summary: 'Counts per stage from PostgreSQL',
  params: RoundIdParams,
  response: {
    200: Type.Record(Type.String(), Type.Integer(), { description: 'How many candidates reached each stage' }),
    ...errors(404),
  },
};
const CandidatesSchema = {
  tags: ['rounds'],
  summary: 'Candidates by stage/formation (Temporal visibility)',
  params: RoundIdParams,
  querystring: Type.Object(
    { stage: Type.Optional(Enum(CANDIDATE_STAGES)), formationId: Type.Optional(Id), ...PageQueryProps },
    closed,
  ),
  response: { 200: PageOf(CandidateListItemSchema, 'By registration number'), ...errors(404) },
};
const AuditVerifySchema = {
  tags: ['audit'],
  summary:
    "Recompute the round's audit hash chain and check it (and each career's) against the signed heads in the " +
    'workflow histories; names what happened',
  params: RoundIdParams,
  response: { 200: RoundAuditVerificationSchema, ...errors(404) },
};

/** The import file's format from its Content-Type; 415 when the body is not a file. */
function importFormat(req: FastifyRequest): ImportFormat {
  if (!Buffer.isBuffer(req.body))
    throw new AppError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Kirim berkas CSV (Content-Type ${IMPORT_MEDIA_TYPES.csv}) atau XLSX (${IMPORT_MEDIA_TYPES.xlsx})`,
    );
  return importFormatOf(String(req.headers['content-type'] ?? ''));
}

function consultationRoutes(
  app: App,
  deps: ServiceDeps,
  rateLimit: { max: number; timeWindow: number },
  commentDuplicateWindowMs?: number,
): void {
  app.get('/rounds/:roundId/criteria', { config: everyone, schema: CriteriaListSchema }, async (req) =>
    pageOfArray(await criteriaVersions(deps, req.params.roundId), req.query),
  );
  app.post('/rounds/:roundId/criteria', { config: hr, schema: AdoptCriteriaSchema }, async (req) =>
    adoptCriteria(
      deps,
      req.params.roundId,
      { ...(req.body as Omit<AdoptCriteriaInput, 'actor'>), actor: requireUser(req).username },
      updateOptions(req, 'adoptCriteria'),
    ),
  );
  app.get('/rounds/:roundId/comments', { config: everyone, schema: CommentListSchema }, async (req) =>
    listCommentsPage(deps, req.params.roundId, req.query),
  );
  app.post(
    '/rounds/:roundId/comments',
    {
      config: { ...everyone, rateLimit: { max: rateLimit.max, timeWindow: rateLimit.timeWindow } },
      schema: AddCommentSchema,
    },
    async (req, reply) => {
      const client = {
        key: req.user ? `user:${req.user.userId}` : `ip:${req.ip}`,
        duplicateWindowMs: commentDuplicateWindowMs,
      };
      return reply.status(201).send(await addComment(deps, req.params.roundId, req.body, client));
    },
  );
}

function examRoutes(app: App, deps: ServiceDeps): void {
  // Exam imports: CSV or XLSX bodies as bytes (at most 16 MiB: ~200,000 rows).
  app.addContentTypeParser(
    [IMPORT_MEDIA_TYPES.csv, IMPORT_MEDIA_TYPES.xlsx],
    { parseAs: 'buffer', bodyLimit: 16 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );
  app.post(
    '/rounds/:roundId/imports/:exam',
    { config: { ...hr, swaggerTransform: ImportBodyDoc }, schema: ImportSchema },
    async (req, reply) => {
      const format = importFormat(req);
      const correction = req.query.correction === 'true';
      if (correction && !req.query.reason)
        throw new AppError(400, 'VALIDATION_FAILED', 'Koreksi wajib disertai alasan (reason)');
      const r = await importResults(
        deps,
        req.params.roundId,
        req.params.exam,
        req.body as Buffer,
        requireUser(req).username,
        correction ? { reason: req.query.reason! } : undefined,
        format,
      );
      return reply.status(r.alreadyImported ? 200 : 202).send(r);
    },
  );
}

function rankingRoutes(app: App, deps: ServiceDeps): void {
  app.post('/rounds/:roundId/rankings/:kind', { config: hr, schema: RunRankingSchema }, async (req, reply) => {
    const { roundId, kind } = req.params;
    const job = await requestRanking(deps, roundId, kind, requireUser(req).username, updateIdOf(req, `rank-${kind}`));
    return reply.status(202).send(job);
  });
  app.get('/rounds/:roundId/rankings/:kind', { config: hrOrAuditor, schema: RankingSchema }, async (req) =>
    rankingPage(deps, req.params.roundId, req.params.kind, req.query),
  );
  app.get('/rounds/:roundId/rankings/final/preview', { config: hr, schema: FinalPreviewSchema }, async (req) =>
    finalRankingPreview(deps, req.params.roundId, req.query),
  );
  app.post('/rounds/:roundId/optimalisasi/declines', { config: hr, schema: DeclineSchema }, async (req, reply) =>
    reply
      .status(201)
      .send(await recordOptimalisasiDecline(deps, req.params.roundId, req.body, requireUser(req).username)),
  );
}

function publicationRoutes(app: App, deps: ServiceDeps): void {
  app.get('/rounds/:roundId/announcements/:phase', { config: everyone, schema: AnnouncementRouteSchema }, async (req) =>
    announcement(deps, req.params.roundId, req.params.phase, req.query.formationId),
  );
  app.get(
    '/rounds/:roundId/announcements/:phase/html',
    { config: everyone, schema: AnnouncementHtmlSchema },
    async (req, reply) =>
      reply
        .type(html)
        .send(announcementHtml(await announcement(deps, req.params.roundId, req.params.phase, req.query.formationId))),
  );
  app.get('/rounds/:roundId/report', { config: everyone, schema: ReportSchema }, async (req, reply) =>
    reply.type(html).send(reportHtml(await roundReport(deps, req.params.roundId))),
  );
  app.get('/rounds/:roundId/funnel', { config: hrOrAuditor, schema: FunnelSchema }, async (req) =>
    funnel(deps, req.params.roundId),
  );
  app.get('/rounds/:roundId/candidates', { config: hrOrAuditor, schema: CandidatesSchema }, async (req) => {
    const { stage, formationId } = req.query;
    const all = await listCandidates(deps, req.params.roundId, {
      stage: stage as CandidateStage | undefined,
      formationId,
    });
    return pageOfArray(all, req.query);
  });
  app.get(
    '/rounds/:roundId/audit/verify',
    { config: { access: ['auditor', 'hr'] as const }, schema: AuditVerifySchema },
    async (req) => {
      const r = await verifyAll(deps, req.params.roundId);
      return { ...r.round, allOk: r.allOk, careers: r.careers };
    },
  );
}

export const roundOpsRoutes: FastifyPluginAsyncTypebox<{
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
  commentDuplicateWindowMs?: number;
}> = async (app, { deps, rateLimit, commentDuplicateWindowMs }) => {
  app.put('/rounds/:roundId/reviewers', { config: hr, schema: ReviewersSchema }, async (req) =>
    setRoundReviewers(deps, req.params.roundId, req.body.usernames),
  );
  consultationRoutes(app, deps, rateLimit, commentDuplicateWindowMs);
  examRoutes(app, deps);
  rankingRoutes(app, deps);
  publicationRoutes(app, deps);
};
