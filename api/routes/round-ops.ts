import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { rankFinal } from '../../db/ranking';
import { CANDIDATE_STAGES, adoptCriteriaUpdate, roundWorkflowId, type AdoptCriteriaInput, type CandidateStage } from '../../workflows/messages';
import { AppError } from '../errors';
import { requireUser } from '../plugins/auth';
import { errorResponses, Id, PlainText } from '../schemas/common';
import { AdoptCriteriaBody, CommentBody } from '../schemas/candidate';
import { RoundIdParams, RoundStateSchema } from '../schemas/round';
import { ANNOUNCEMENT_PHASES, announcement, announcementHtml, funnel, listCandidates } from '../services/announcements';
import { addComment, criteriaVersions, listComments } from '../services/consultation';
import type { ServiceDeps } from '../services/deps';
import { importResults, requestRanking } from '../services/imports';
import { updateIdOf, updateOptions } from '../plugins/idempotency';
import { reportHtml, roundReport } from '../services/report';
import { verifyAll } from '../services/audit';
import { RoundAuditVerificationSchema } from './audit';
import { loadRoundConfig } from '../services/registrations';

const Any = Type.Unsafe<unknown>({});
const Enum = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

export const roundOpsRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps; rateLimit: { max: number; timeWindow: number }; commentDuplicateWindowMs?: number }> = async (app, { deps, rateLimit, commentDuplicateWindowMs }) => {
  // CSV bodies for exam imports (at most 16 MiB: ~200,000 rows).
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.put('/rounds/:roundId/reviewers', {
    config: { access: ['hr'] },
    schema: { tags: ['rounds'], summary: "Set the round's verifikator pool (reviewer accounts)", params: RoundIdParams, body: Type.Object({ usernames: Type.Array(PlainText({ maxLength: 100 }), { minItems: 1, maxItems: 500 }) }, { additionalProperties: false }), response: { 200: Type.Object({ usernames: Type.Array(Type.String()) }), ...errorResponses } },
  }, async (req) => {
    await loadRoundConfig(deps, req.params.roundId);
    const names = [...new Set(req.body.usernames)];
    const found = await deps.db.selectFrom('users').select('username').where('role', '=', 'reviewer').where('username', 'in', names).execute();
    if (found.length !== names.length) throw new AppError(422, 'UNKNOWN_REVIEWER', 'Bukan akun verifikator', { unknown: names.filter((n) => !found.some((f) => f.username === n)) });
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('round_reviewers').where('round_id', '=', req.params.roundId).execute();
      await trx.insertInto('round_reviewers').values(names.map((username) => ({ round_id: req.params.roundId, username }))).execute();
    });
    return { usernames: names.sort() };
  });

  app.get('/rounds/:roundId/criteria', {
    config: { access: 'public' },
    schema: { tags: ['consultation'], summary: 'Every version of the criteria (draft, adopted) with HR\'s response', params: RoundIdParams, response: { 200: Type.Array(Any), ...errorResponses } },
  }, async (req) => criteriaVersions(deps, req.params.roundId));

  app.post('/rounds/:roundId/criteria', {
    config: { access: ['hr'] },
    schema: { tags: ['consultation'], summary: 'Adopt the final criteria with a response to the comments (after the consultation, before registration)', params: RoundIdParams, body: AdoptCriteriaBody, response: { 200: RoundStateSchema, ...errorResponses } },
  }, async (req) => {
    await loadRoundConfig(deps, req.params.roundId);
    return deps.client.workflow.getHandle(roundWorkflowId(req.params.roundId)).executeUpdate(adoptCriteriaUpdate, { args: [{ ...(req.body as Omit<AdoptCriteriaInput, 'actor'>), actor: requireUser(req).username }], ...updateOptions(req, 'adoptCriteria') });
  });

  app.get('/rounds/:roundId/comments', {
    config: { access: 'public' },
    schema: { tags: ['consultation'], summary: 'Public comments on the draft criteria', params: RoundIdParams, response: { 200: Type.Array(Any), ...errorResponses } },
  }, async (req) => listComments(deps, req.params.roundId));

  app.post('/rounds/:roundId/comments', {
    config: { access: 'public', rateLimit: { max: rateLimit.max, timeWindow: rateLimit.timeWindow } },
    schema: { tags: ['consultation'], summary: 'Comment on the draft criteria while the consultation is open', params: RoundIdParams, body: CommentBody, response: { 201: Type.Object({ commentId: Type.String() }), ...errorResponses } },
  }, async (req, reply) => {
    const client = { key: req.user ? `user:${req.user.userId}` : `ip:${req.ip}`, duplicateWindowMs: commentDuplicateWindowMs };
    return reply.status(201).send(await addComment(deps, req.params.roundId, req.body, client));
  });

  app.post('/rounds/:roundId/imports/:exam', {
    config: { access: ['hr'] },
    schema: {
      tags: ['imports'], summary: 'Import SKD (registration_no,twk,tiu,tkp) or SKB (registration_no,skb[,interview]) results as CSV; validated whole',
      params: Type.Object({ roundId: Id, exam: Enum(['skd', 'skb'] as const) }, { additionalProperties: false }),
      querystring: Type.Object({ correction: Type.Optional(Enum(['true', 'false'] as const)), reason: Type.Optional(PlainText({ minLength: 5, maxLength: 500 })) }, { additionalProperties: false }),
      consumes: ['text/csv'], response: { 200: Any, 202: Any, ...errorResponses },
    },
  }, async (req, reply) => {
    if (typeof req.body !== 'string') throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Kirim berkas CSV dengan Content-Type text/csv');
    const correction = req.query.correction === 'true';
    if (correction && !req.query.reason) throw new AppError(400, 'VALIDATION_FAILED', 'Koreksi wajib disertai alasan (reason)');
    const r = await importResults(deps, req.params.roundId, req.params.exam, req.body, requireUser(req).username, correction ? { reason: req.query.reason! } : undefined);
    return reply.status(r.alreadyImported ? 200 : 202).send(r);
  });

  app.post('/rounds/:roundId/rankings/:kind', {
    config: { access: ['hr'] },
    schema: { tags: ['rankings'], summary: 'Run a ranking (SKB cut or final with optimalisasi) and notify the candidates', params: Type.Object({ roundId: Id, kind: Enum(['skb_selection', 'final'] as const) }, { additionalProperties: false }), response: { 202: Any, ...errorResponses } },
  }, async (req, reply) => reply.status(202).send(await requestRanking(deps, req.params.roundId, req.params.kind, requireUser(req).username, updateIdOf(req, `rank-${req.params.kind}`))));

  app.get('/rounds/:roundId/rankings/:kind', {
    config: { access: ['hr', 'auditor'] },
    schema: { tags: ['rankings'], summary: 'A published ranking with each breakdown', params: Type.Object({ roundId: Id, kind: Enum(['skb_selection', 'final'] as const) }, { additionalProperties: false }), response: { 200: Type.Array(Any), ...errorResponses } },
  }, async (req) => {
    await loadRoundConfig(deps, req.params.roundId);
    return deps.db.selectFrom('rankings').select(['registration_no as registrationNo', 'formation_id as formationId', 'rank', 'result', 'placement_formation_id as placementFormationId', 'score_scaled as scoreScaled', 'score_scale as scoreScale', 'breakdown', 'version'])
      .where('round_id', '=', req.params.roundId).where('kind', '=', req.params.kind).orderBy('formation_id').orderBy('rank').orderBy('registration_no').limit(100_000).execute();
  });

  app.get('/rounds/:roundId/rankings/final/preview', {
    config: { access: ['hr'] },
    schema: { tags: ['rankings'], summary: 'The final ranking as it would be published now, without storing it', params: RoundIdParams, response: { 200: Type.Array(Any), ...errorResponses } },
  }, async (req) => {
    const { config } = await loadRoundConfig(deps, req.params.roundId);
    return rankFinal(deps.db, config, 0, false);
  });

  app.post('/rounds/:roundId/optimalisasi/declines', {
    config: { access: ['hr'] },
    schema: { tags: ['rankings'], summary: 'Record that a candidate declined an optimalisasi seat (before the final ranking)', params: RoundIdParams, body: Type.Object({ registrationNo: Type.String({ pattern: '^\\d{12}$' }), formationId: Id }, { additionalProperties: false }), response: { 201: Type.Object({ recorded: Type.Boolean() }), ...errorResponses } },
  }, async (req, reply) => {
    await loadRoundConfig(deps, req.params.roundId);
    const app_ = await deps.db.selectFrom('applications').select('registration_no').where('round_id', '=', req.params.roundId).where('registration_no', '=', req.body.registrationNo).executeTakeFirst();
    if (!app_) throw new AppError(404, 'NOT_FOUND', `Pendaftaran ${req.body.registrationNo} tidak ada pada seleksi ini`);
    await deps.db.insertInto('optimalisasi_declines').values({ round_id: req.params.roundId, registration_no: req.body.registrationNo, formation_id: req.body.formationId, recorded_by: requireUser(req).username }).onConflict((oc) => oc.columns(['registration_no', 'formation_id']).doNothing()).execute();
    return reply.status(201).send({ recorded: true });
  });

  app.get('/rounds/:roundId/announcements/:phase', {
    config: { access: 'public' },
    schema: { tags: ['announcements'], summary: 'An announcement (JSON) with masked NIKs', params: Type.Object({ roundId: Id, phase: Enum(ANNOUNCEMENT_PHASES) }, { additionalProperties: false }), querystring: Type.Object({ formationId: Type.Optional(Id) }, { additionalProperties: false }), response: { 200: Any, ...errorResponses } },
  }, async (req) => announcement(deps, req.params.roundId, req.params.phase, req.query.formationId));

  app.get('/rounds/:roundId/announcements/:phase/html', {
    config: { access: 'public' },
    schema: { tags: ['announcements'], summary: 'The printable announcement page (Bahasa Indonesia)', params: Type.Object({ roundId: Id, phase: Enum(ANNOUNCEMENT_PHASES) }, { additionalProperties: false }), querystring: Type.Object({ formationId: Type.Optional(Id) }, { additionalProperties: false }) },
  }, async (req, reply) => reply.type('text/html; charset=utf-8').send(announcementHtml(await announcement(deps, req.params.roundId, req.params.phase, req.query.formationId))));

  app.get('/rounds/:roundId/report', {
    config: { access: 'public' },
    schema: { tags: ['rounds'], summary: 'The round report (HTML, Bahasa Indonesia): funnel, SKD histograms with passing grades, time per stage, a table per formation — counts only, no personal data', params: RoundIdParams },
  }, async (req, reply) => reply.type('text/html; charset=utf-8').send(reportHtml(await roundReport(deps, req.params.roundId))));

  app.get('/rounds/:roundId/funnel', {
    config: { access: ['hr', 'auditor'] },
    schema: { tags: ['rounds'], summary: 'Counts per stage from PostgreSQL', params: RoundIdParams, response: { 200: Type.Record(Type.String(), Type.Integer()), ...errorResponses } },
  }, async (req) => funnel(deps, req.params.roundId));

  app.get('/rounds/:roundId/candidates', {
    config: { access: ['hr', 'auditor'] },
    schema: { tags: ['rounds'], summary: 'Candidates by stage/formation (Temporal visibility)', params: RoundIdParams, querystring: Type.Object({ stage: Type.Optional(Enum(CANDIDATE_STAGES)), formationId: Type.Optional(Id) }, { additionalProperties: false }), response: { 200: Type.Array(Any), ...errorResponses } },
  }, async (req) => listCandidates(deps, req.params.roundId, { stage: req.query.stage as CandidateStage | undefined, formationId: req.query.formationId }));

  app.get('/rounds/:roundId/audit/verify', {
    config: { access: ['auditor', 'hr'] },
    schema: {
      tags: ['audit'], summary: "Recompute the round's audit hash chain and check it (and each career's) against the signed heads in the workflow histories; names what happened",
      params: RoundIdParams, response: { 200: RoundAuditVerificationSchema, ...errorResponses },
    },
  }, async (req) => {
    const r = await verifyAll(deps, req.params.roundId);
    return { ...r.round, allOk: r.allOk, careers: r.careers };
  });
};
