import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { verifyChain } from '../../db/audit';
import { careerChain } from '../../activities/career';
import { assertCanSeeRegistration } from '../plugins/access';
import { errorResponses, Id, PlainText } from '../schemas/common';
import { RegistrationNoParams } from '../schemas/candidate';
import { RoundIdParams } from '../schemas/round';
import { assertWorkflowId, candidateTimeline, exportHistory, exportRoundHistories, rederiveRound, replayHistories, roundWorkflowIds, verifyAll } from '../services/audit';
import type { ServiceDeps } from '../services/deps';
import { loadRoundConfig } from '../services/registrations';
import { assertKnownUnit, unitChain } from '../services/ratings';
import { AppError } from '../errors';

const Any = Type.Unsafe<unknown>({});

export const auditRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps; bundlePath?: string }> = async (app, { deps, bundlePath }) => {
  app.get('/audit/history', {
    config: { access: ['auditor'] },
    schema: { tags: ['audit'], summary: "One workflow's history as JSON", querystring: Type.Object({ workflowId: PlainText({ minLength: 3, maxLength: 140 }) }, { additionalProperties: false }), response: { 200: Any, ...errorResponses } },
  }, async (req) => exportHistory(deps, req.query.workflowId));

  app.get('/rounds/:roundId/histories', {
    config: { access: ['auditor'] },
    schema: { tags: ['audit'], summary: "A round's histories as one NDJSON bundle (the round and every candidate)", params: RoundIdParams, produces: ['application/x-ndjson'] },
  }, async (req, reply) => {
    await loadRoundConfig(deps, req.params.roundId);
    const lines: string[] = [];
    for await (const line of exportRoundHistories(deps, req.params.roundId)) lines.push(line);
    return reply.type('application/x-ndjson').send(lines.join(''));
  });

  app.post('/audit/replay', {
    config: { access: ['auditor'] },
    schema: {
      tags: ['audit'], summary: 'Replay a workflow or a whole round on the current code: ok, or the determinism violation',
      body: Type.Object({ workflowId: Type.Optional(PlainText({ minLength: 3, maxLength: 140 })), roundId: Type.Optional(Id) }, { additionalProperties: false }), response: { 200: Any, ...errorResponses },
    },
  }, async (req) => {
    if (!bundlePath) throw new AppError(503, 'REPLAY_UNAVAILABLE', 'Paket kode alur kerja tidak tersedia pada server ini');
    let ids: string[];
    if (req.body.workflowId) {
      assertWorkflowId(req.body.workflowId);
      ids = [req.body.workflowId];
    } else if (req.body.roundId) {
      await loadRoundConfig(deps, req.body.roundId);
      ids = await roundWorkflowIds(deps.db, req.body.roundId);
    } else throw new AppError(400, 'VALIDATION_FAILED', 'workflowId atau roundId wajib');
    const results = await replayHistories(deps, ids, bundlePath);
    return { total: results.length, ok: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok), results };
  });

  app.get('/registrations/:registrationNo/timeline', {
    config: { access: ['auditor', 'hr', 'candidate'] },
    schema: { tags: ['audit'], summary: 'Every decision about a candidate, readable (Bahasa Indonesia), from the workflow history', params: RegistrationNoParams, response: { 200: Type.Array(Any), ...errorResponses } },
  }, async (req) => {
    await assertCanSeeRegistration(deps, req, req.params.registrationNo);
    return candidateTimeline(deps, req.params.registrationNo);
  });

  app.get('/rounds/:roundId/rederive', {
    config: { access: ['auditor'] },
    schema: { tags: ['audit'], summary: 'Recompute SKD pass/fail, SKB cut, final ranks, optimalisasi and NIPs from the recorded inputs; list every difference', params: RoundIdParams, response: { 200: Any, ...errorResponses } },
  }, async (req) => {
    const { config } = await loadRoundConfig(deps, req.params.roundId);
    return rederiveRound(deps.db, config);
  });

  app.get('/rounds/:roundId/audit/verify-all', {
    config: { access: ['auditor'] },
    schema: { tags: ['audit'], summary: "Verify the round's chain and every appointed career's chain", params: RoundIdParams, response: { 200: Any, ...errorResponses } },
  }, async (req) => {
    await loadRoundConfig(deps, req.params.roundId);
    return verifyAll(deps.db, req.params.roundId);
  });

  app.get('/careers/:nip/audit/verify', {
    config: { access: ['auditor', 'hr'] },
    schema: { tags: ['audit'], summary: "Verify a career's audit chain", params: Type.Object({ nip: Type.String({ pattern: '^\\d{18}$' }) }, { additionalProperties: false }), response: { 200: Any, ...errorResponses } },
  }, async (req) => verifyChain(deps.db, careerChain(req.params.nip)));

  app.get('/units/:unit/audit/verify', {
    config: { access: ['auditor', 'hr'] },
    schema: { tags: ['audit'], summary: "Verify a unit's audit chain (unit:<unit>: every change of its own ratings, with who and why)", params: Type.Object({ unit: PlainText({ maxLength: 200 }) }, { additionalProperties: false }), response: { 200: Any, ...errorResponses } },
  }, async (req) => {
    await assertKnownUnit(deps, req.params.unit);
    return verifyChain(deps.db, unitChain(req.params.unit));
  });
};
