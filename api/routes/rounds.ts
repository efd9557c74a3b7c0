import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { RoundConfigInput } from '../../domain';
import { requireUser } from '../plugins/auth';
import { errors } from '../schemas/common';
import { IdempotencyHeaders } from '../schemas/candidate';
import {
  AdvancePhaseBody,
  ExtendDeadlineBody,
  RoundConfigBody,
  RoundIdParams,
  RoundStateSchema,
} from '../schemas/round';
import type { ServiceDeps } from '../services/deps';
import { updateIdOf } from '../plugins/idempotency';
import { advancePhase, createRound, extendDeadline, getRoundState, listRoundsPage } from '../services/rounds';
import { PageOf, PageQuery } from '../schemas/page';

const CreateSchema = {
  tags: ['rounds'],
  summary: 'Start a recruitment round (HR)',
  body: RoundConfigBody,
  response: {
    201: Type.Object(
      { roundId: Type.String(), workflowId: Type.String(), runId: Type.String() },
      { description: 'The round workflow started' },
    ),
    ...errors([409, 'ALREADY_EXISTS: a round with this id'], [422, 'ROUND_CONFIG_INVALID: every problem in details']),
  },
};
const ListSchema = {
  tags: ['rounds'],
  summary: 'List rounds',
  querystring: PageQuery,
  response: {
    200: PageOf(
      Type.Object({
        roundId: Type.String(),
        name: Type.String(),
        agency: Type.String(),
        budgetYear: Type.Integer(),
        phase: Type.String(),
      }),
      'The rounds, newest first',
    ),
  },
};
const StateSchema = {
  tags: ['rounds'],
  summary: "A round's state from its workflow (public: criteria and schedule)",
  params: RoundIdParams,
  response: { 200: RoundStateSchema, ...errors(404) },
};
const DeadlineSchema = {
  tags: ['rounds'],
  summary: 'Extend a deadline (forward only, before it passes)',
  params: RoundIdParams,
  body: ExtendDeadlineBody,
  headers: IdempotencyHeaders,
  response: {
    200: { ...RoundStateSchema, description: 'The round with the new deadline' },
    ...errors(
      404,
      [409, 'WRONG_PHASE, DEADLINE_PASSED: too late to extend'],
      [422, 'DEADLINE_NOT_FORWARD: only later, in order'],
    ),
  },
};
const AdvanceSchema = {
  tags: ['rounds'],
  summary: 'Simulation rounds only: end the current phase now and begin the next (audited)',
  description:
    "For demos, training and benchmarks: the next phase begins when the simulated work is done instead of at its scheduled instant, which moves to now (the candidates' copies too). Real rounds keep their schedule: refused with NOT_SIMULATION.",
  params: RoundIdParams,
  body: AdvancePhaseBody,
  headers: IdempotencyHeaders,
  response: {
    200: { ...RoundStateSchema, description: 'The round, its next phase begun and recorded' },
    ...errors(
      404,
      [409, 'NOT_SIMULATION: a real round; WRONG_PHASE: `from` is not the current phase, or it is not waiting'],
      [422, 'INVALID_DECISION: no reason given'],
    ),
  },
};

export const roundRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  const hr = { access: ['hr'] as const };
  app.post('/rounds', { config: hr, schema: CreateSchema }, async (req, reply) => {
    const user = requireUser(req);
    const r = await createRound(deps, req.body as RoundConfigInput, user.username);
    return reply.status(201).send({ roundId: r.roundId, workflowId: r.workflowId, runId: r.runId });
  });
  app.get('/rounds', { config: { access: ['hr', 'reviewer', 'auditor'] }, schema: ListSchema }, async (req) =>
    listRoundsPage(deps, req.query),
  );
  app.get('/rounds/:roundId', { config: { access: 'public' }, schema: StateSchema }, async (req) =>
    getRoundState(deps, req.params.roundId),
  );
  app.post('/rounds/:roundId/deadlines', { config: hr, schema: DeadlineSchema }, async (req) =>
    extendDeadline(deps, req.params.roundId, req.body, requireUser(req).username, updateIdOf(req, 'extendDeadline')),
  );
  app.post('/rounds/:roundId/advance', { config: hr, schema: AdvanceSchema }, async (req) =>
    advancePhase(deps, req.params.roundId, req.body, requireUser(req).username, updateIdOf(req, 'advancePhase')),
  );
};
