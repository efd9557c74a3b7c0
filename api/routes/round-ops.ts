import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { rankFinal } from '../../db/ranking';
import {
  CANDIDATE_STAGES,
  adoptCriteriaUpdate,
  roundWorkflowId,
  type AdoptCriteriaInput,
  type CandidateStage,
} from '../../contracts';
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
import { pageOfArray, pageOfQuery } from '../services/paging';
import { PageOf, PageQuery, PageQueryProps } from '../schemas/page';
import type { ServiceDeps } from '../services/deps';
import { IMPORT_MEDIA_TYPES, importResults, requestRanking } from '../services/imports';
import { updateIdOf, updateOptions } from '../plugins/idempotency';
import { reportHtml, roundReport } from '../services/report';
import { verifyAll } from '../services/audit';
import { RoundAuditVerificationSchema } from './audit';
import { loadRoundConfig } from '../services/registrations';

const Enum = StringEnum;

export const roundOpsRoutes: FastifyPluginAsyncTypebox<{
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
  commentDuplicateWindowMs?: number;
}> = async (app, { deps, rateLimit, commentDuplicateWindowMs }) => {
  // Exam imports: CSV or XLSX bodies as bytes (at most 16 MiB: ~200,000 rows).
  app.addContentTypeParser(
    [IMPORT_MEDIA_TYPES.csv, IMPORT_MEDIA_TYPES.xlsx],
    { parseAs: 'buffer', bodyLimit: 16 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.put(
    '/rounds/:roundId/reviewers',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['rounds'],
        summary: "Set the round's verifikator pool (reviewer accounts)",
        params: RoundIdParams,
        body: Type.Object(
          { usernames: Type.Array(PlainText({ maxLength: 100 }), { minItems: 1, maxItems: 500 }) },
          { additionalProperties: false, examples: [{ usernames: ['verifikator.1', 'verifikator.2'] }] },
        ),
        response: {
          200: Type.Object({ usernames: Type.Array(Type.String()) }, { description: 'The pool as stored, sorted' }),
          ...errors(404, [422, 'UNKNOWN_REVIEWER: names that are not reviewer accounts, in details']),
        },
      },
    },
    async (req) => {
      await loadRoundConfig(deps, req.params.roundId);
      const names = [...new Set(req.body.usernames)];
      const found = await deps.db
        .selectFrom('users')
        .select('username')
        .where('role', '=', 'reviewer')
        .where('username', 'in', names)
        .execute();
      if (found.length !== names.length)
        throw new AppError(422, 'UNKNOWN_REVIEWER', 'Bukan akun verifikator', {
          unknown: names.filter((n) => !found.some((f) => f.username === n)),
        });
      await deps.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('round_reviewers').where('round_id', '=', req.params.roundId).execute();
        await trx
          .insertInto('round_reviewers')
          .values(names.map((username) => ({ round_id: req.params.roundId, username })))
          .execute();
      });
      return { usernames: names.sort() };
    },
  );

  app.get(
    '/rounds/:roundId/criteria',
    {
      config: { access: 'public' },
      schema: {
        tags: ['consultation'],
        summary: "Every version of the criteria (draft, adopted) with HR's response",
        params: RoundIdParams,
        querystring: PageQuery,
        response: { 200: PageOf(CriteriaVersionSchema, 'The versions, oldest first'), ...errors(404) },
      },
    },
    async (req) => pageOfArray(await criteriaVersions(deps, req.params.roundId), req.query),
  );

  app.post(
    '/rounds/:roundId/criteria',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['consultation'],
        summary:
          'Adopt the final criteria with a response to the comments (after the consultation, before registration)',
        params: RoundIdParams,
        body: AdoptCriteriaBody,
        headers: IdempotencyHeaders,
        response: {
          200: { ...RoundStateSchema, description: 'The round after the adoption' },
          ...errors(404, [409, 'WRONG_PHASE: not between the consultation and registration'], 422),
        },
      },
    },
    async (req) => {
      await loadRoundConfig(deps, req.params.roundId);
      return deps.client.workflow.getHandle(roundWorkflowId(req.params.roundId)).executeUpdate(adoptCriteriaUpdate, {
        args: [{ ...(req.body as Omit<AdoptCriteriaInput, 'actor'>), actor: requireUser(req).username }],
        ...updateOptions(req, 'adoptCriteria'),
      });
    },
  );

  app.get(
    '/rounds/:roundId/comments',
    {
      config: { access: 'public' },
      schema: {
        tags: ['consultation'],
        summary: 'Public comments on the draft criteria',
        params: RoundIdParams,
        querystring: PageQuery,
        response: { 200: PageOf(CommentSchema, 'The comments, oldest first'), ...errors(404) },
      },
    },
    async (req) => listCommentsPage(deps, req.params.roundId, req.query),
  );

  app.post(
    '/rounds/:roundId/comments',
    {
      config: { access: 'public', rateLimit: { max: rateLimit.max, timeWindow: rateLimit.timeWindow } },
      schema: {
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
              'WRONG_PHASE: the consultation is not open; DUPLICATE_COMMENT: the same text from the same client within the window',
            ],
            [422, 'COMMENT_TARGET_INVALID: the formation or its criterion is not in this round'],
          ),
        },
      },
    },
    async (req, reply) => {
      const client = {
        key: req.user ? `user:${req.user.userId}` : `ip:${req.ip}`,
        duplicateWindowMs: commentDuplicateWindowMs,
      };
      return reply.status(201).send(await addComment(deps, req.params.roundId, req.body, client));
    },
  );

  app.post(
    '/rounds/:roundId/imports/:exam',
    {
      config: {
        access: ['hr'],
        swaggerTransform: documentedBody({
          type: 'string',
          description:
            'CSV (text/csv: comma or semicolon, read from the header line; quoted fields, a UTF-8 BOM and CRLF accepted) or XLSX (the first worksheet) with a header line/row. SKD: registration_no,twk,tiu,tkp. SKB: registration_no,skb[,interview] (an empty interview: none). Errors are numbered by the line (CSV) or row (XLSX) of the file.',
          examples: ['registration_no,twk,tiu,tkp\n202500000001,85,95,170\n202500000002,60,80,150\n'],
        }),
      },
      schema: {
        tags: ['imports'],
        summary:
          'Import SKD (registration_no,twk,tiu,tkp) or SKB (registration_no,skb[,interview]) results as CSV or XLSX; validated whole',
        params: Type.Object({ roundId: Id, exam: Enum(['skd', 'skb'] as const) }, { additionalProperties: false }),
        querystring: Type.Object(
          {
            correction: Type.Optional(Enum(['true', 'false'] as const)),
            reason: Type.Optional(PlainText({ minLength: 5, maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        consumes: [IMPORT_MEDIA_TYPES.csv, IMPORT_MEDIA_TYPES.xlsx],
        response: {
          200: { ...ImportResultSchema, description: 'The same file was imported before: nothing changed' },
          202: { ...ImportResultSchema, description: 'Imported; the round notifies the candidates (the job)' },
          ...errors(
            404,
            [
              409,
              'WRONG_PHASE: not the phase of this exam; ALREADY_IMPORTED: a different file without correction=true',
            ],
            [415, 'UNSUPPORTED_MEDIA_TYPE: neither text/csv nor XLSX'],
            [422, 'IMPORT_INVALID: every problem with its line number in details'],
          ),
        },
      },
    },
    async (req, reply) => {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (!Buffer.isBuffer(req.body))
        throw new AppError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `Kirim berkas CSV (Content-Type ${IMPORT_MEDIA_TYPES.csv}) atau XLSX (${IMPORT_MEDIA_TYPES.xlsx})`,
        );
      const format = type === IMPORT_MEDIA_TYPES.xlsx ? 'xlsx' : 'csv';
      const correction = req.query.correction === 'true';
      if (correction && !req.query.reason)
        throw new AppError(400, 'VALIDATION_FAILED', 'Koreksi wajib disertai alasan (reason)');
      const r = await importResults(
        deps,
        req.params.roundId,
        req.params.exam,
        req.body,
        requireUser(req).username,
        correction ? { reason: req.query.reason! } : undefined,
        format,
      );
      return reply.status(r.alreadyImported ? 200 : 202).send(r);
    },
  );

  app.post(
    '/rounds/:roundId/rankings/:kind',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['rankings'],
        summary: 'Run a ranking (SKB cut or final with optimalisasi) and notify the candidates',
        params: Type.Object(
          { roundId: Id, kind: Enum(['skb_selection', 'final'] as const) },
          { additionalProperties: false },
        ),
        headers: IdempotencyHeaders,
        response: {
          202: { ...JobRecordSchema, description: 'Requested: the round job that ranks and notifies the candidates' },
          ...errors(404, [409, 'WRONG_PHASE: the scores are not all in'], 422),
        },
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(
          await requestRanking(
            deps,
            req.params.roundId,
            req.params.kind,
            requireUser(req).username,
            updateIdOf(req, `rank-${req.params.kind}`),
          ),
        ),
  );

  app.get(
    '/rounds/:roundId/rankings/:kind',
    {
      config: { access: ['hr', 'auditor'] },
      schema: {
        tags: ['rankings'],
        summary: 'A published ranking with each breakdown',
        params: Type.Object(
          { roundId: Id, kind: Enum(['skb_selection', 'final'] as const) },
          { additionalProperties: false },
        ),
        querystring: PageQuery,
        response: {
          200: PageOf(RankingRowSchema, 'By formation, then rank, then registration number'),
          ...errors(404),
        },
      },
    },
    async (req) => {
      await loadRoundConfig(deps, req.params.roundId);
      const of = deps.db
        .selectFrom('rankings')
        .where('round_id', '=', req.params.roundId)
        .where('kind', '=', req.params.kind);
      return pageOfQuery(
        req.query,
        async () => (await of.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
        (offset, limit) =>
          of
            .select([
              'registration_no as registrationNo',
              'formation_id as formationId',
              'rank',
              'result',
              'placement_formation_id as placementFormationId',
              'score_scaled as scoreScaled',
              'score_scale as scoreScale',
              'breakdown',
              'version',
            ])
            .orderBy('formation_id')
            .orderBy('rank')
            .orderBy('registration_no')
            .offset(offset)
            .limit(limit)
            .execute(),
      );
    },
  );

  app.get(
    '/rounds/:roundId/rankings/final/preview',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['rankings'],
        summary: 'The final ranking as it would be published now, without storing it',
        params: RoundIdParams,
        querystring: PageQuery,
        response: {
          200: PageOf(FinalPreviewRowSchema, 'The ranking as it would be published, in its order'),
          ...errors(404),
        },
      },
    },
    async (req) => {
      const { config } = await loadRoundConfig(deps, req.params.roundId);
      return pageOfArray(await rankFinal(deps.db, config, 0, false), req.query);
    },
  );

  app.post(
    '/rounds/:roundId/optimalisasi/declines',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['rankings'],
        summary: 'Record that a candidate declined an optimalisasi seat (before the final ranking)',
        params: RoundIdParams,
        body: Type.Object(
          { registrationNo: Type.String({ pattern: '^\\d{12}$' }), formationId: Id },
          {
            additionalProperties: false,
            examples: [{ registrationNo: '202500000001', formationId: 'DINKES-PERAWAT' }],
          },
        ),
        response: {
          201: Type.Object({ recorded: Type.Boolean() }, { description: 'Recorded (again: no change)' }),
          ...errors(404),
        },
      },
    },
    async (req, reply) => {
      await loadRoundConfig(deps, req.params.roundId);
      const app_ = await deps.db
        .selectFrom('applications')
        .select('registration_no')
        .where('round_id', '=', req.params.roundId)
        .where('registration_no', '=', req.body.registrationNo)
        .executeTakeFirst();
      if (!app_)
        throw new AppError(404, 'NOT_FOUND', `Pendaftaran ${req.body.registrationNo} tidak ada pada seleksi ini`);
      await deps.db
        .insertInto('optimalisasi_declines')
        .values({
          round_id: req.params.roundId,
          registration_no: req.body.registrationNo,
          formation_id: req.body.formationId,
          recorded_by: requireUser(req).username,
        })
        .onConflict((oc) => oc.columns(['registration_no', 'formation_id']).doNothing())
        .execute();
      return reply.status(201).send({ recorded: true });
    },
  );

  app.get(
    '/rounds/:roundId/announcements/:phase',
    {
      config: { access: 'public' },
      schema: {
        tags: ['announcements'],
        summary: 'An announcement (JSON) with masked NIKs',
        params: Type.Object({ roundId: Id, phase: Enum(ANNOUNCEMENT_PHASES) }, { additionalProperties: false }),
        querystring: Type.Object({ formationId: Type.Optional(Id) }, { additionalProperties: false }),
        response: {
          200: AnnouncementSchema,
          ...errors([404, 'NOT_FOUND: no such round, or the announcement is not published yet']),
        },
      },
    },
    async (req) => announcement(deps, req.params.roundId, req.params.phase, req.query.formationId),
  );

  app.get(
    '/rounds/:roundId/announcements/:phase/html',
    {
      config: { access: 'public' },
      schema: {
        tags: ['announcements'],
        summary: 'The printable announcement page (Bahasa Indonesia)',
        params: Type.Object({ roundId: Id, phase: Enum(ANNOUNCEMENT_PHASES) }, { additionalProperties: false }),
        querystring: Type.Object({ formationId: Type.Optional(Id) }, { additionalProperties: false }),
        response: {
          200: TextBody('The announcement page (HTML)'),
          ...errors([404, 'NOT_FOUND: no such round, or the announcement is not published yet']),
        },
      },
    },
    async (req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(announcementHtml(await announcement(deps, req.params.roundId, req.params.phase, req.query.formationId))),
  );

  app.get(
    '/rounds/:roundId/report',
    {
      config: { access: 'public' },
      schema: {
        tags: ['rounds'],
        summary:
          'The round report (HTML, Bahasa Indonesia): funnel, SKD histograms with passing grades, time per stage, a table per formation — counts only, no personal data',
        params: RoundIdParams,
        response: { 200: TextBody('The report page (HTML)'), ...errors(404) },
      },
    },
    async (req, reply) =>
      reply.type('text/html; charset=utf-8').send(reportHtml(await roundReport(deps, req.params.roundId))),
  );

  app.get(
    '/rounds/:roundId/funnel',
    {
      config: { access: ['hr', 'auditor'] },
      schema: {
        tags: ['rounds'],
        summary: 'Counts per stage from PostgreSQL',
        params: RoundIdParams,
        response: {
          200: Type.Record(Type.String(), Type.Integer(), { description: 'How many candidates reached each stage' }),
          ...errors(404),
        },
      },
    },
    async (req) => funnel(deps, req.params.roundId),
  );

  app.get(
    '/rounds/:roundId/candidates',
    {
      config: { access: ['hr', 'auditor'] },
      schema: {
        tags: ['rounds'],
        summary: 'Candidates by stage/formation (Temporal visibility)',
        params: RoundIdParams,
        querystring: Type.Object(
          { stage: Type.Optional(Enum(CANDIDATE_STAGES)), formationId: Type.Optional(Id), ...PageQueryProps },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(CandidateListItemSchema, 'By registration number'), ...errors(404) },
      },
    },
    async (req) =>
      pageOfArray(
        await listCandidates(deps, req.params.roundId, {
          stage: req.query.stage as CandidateStage | undefined,
          formationId: req.query.formationId,
        }),
        req.query,
      ),
  );

  app.get(
    '/rounds/:roundId/audit/verify',
    {
      config: { access: ['auditor', 'hr'] },
      schema: {
        tags: ['audit'],
        summary:
          "Recompute the round's audit hash chain and check it (and each career's) against the signed heads in the workflow histories; names what happened",
        params: RoundIdParams,
        response: { 200: RoundAuditVerificationSchema, ...errors(404) },
      },
    },
    async (req) => {
      const r = await verifyAll(deps, req.params.roundId);
      return { ...r.round, allOk: r.allOk, careers: r.careers };
    },
  );
};
