import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { DocumentDecision } from '../../contracts';
import { requireUser } from '../plugins/auth';
import { errors, StringEnum } from '../schemas/common';
import { CandidateStatusSchema, TaskViewSchema } from '../schemas/responses';
import { IdempotencyHeaders, TaskDecisionBody, TaskParams } from '../schemas/candidate';
import type { ServiceDeps } from '../services/deps';
import { PageOf, PageQueryProps } from '../schemas/page';
import { updateIdOf } from '../plugins/idempotency';
import { decideTask, myTasks, taskDetail } from '../services/reviews';

export const taskRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.get(
    '/tasks',
    {
      config: { access: ['reviewer'] },
      schema: {
        tags: ['tasks'],
        summary: 'My open tasks with their deadlines (the reviewer inbox)',
        querystring: Type.Object(
          {
            status: Type.Optional(StringEnum(['open', 'all'] as const, { description: 'open (default) or all' })),
            ...PageQueryProps,
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(TaskViewSchema, 'Soonest deadline first, then by task id') },
      },
    },
    async (req) => myTasks(deps, requireUser(req).username, req.query.status ?? 'open', req.query),
  );

  app.get(
    '/tasks/:taskId',
    {
      config: { access: ['reviewer', 'hr', 'auditor'] },
      schema: {
        tags: ['tasks'],
        summary: 'One task with the candidate status, documents and NIK warnings',
        params: TaskParams,
        response: {
          200: Type.Object(
            { task: TaskViewSchema, status: CandidateStatusSchema },
            { additionalProperties: true, description: 'The task and the candidate status' },
          ),
          ...errors([403, 'FORBIDDEN, NOT_ASSIGNED: not your task'], 404),
        },
      },
    },
    async (req) => taskDetail(deps, requireUser(req), req.params.taskId),
  );

  app.post(
    '/tasks/:taskId/decision',
    {
      config: { access: ['reviewer'] },
      schema: {
        tags: ['tasks'],
        summary: 'Decide a task: MS/TMS per document, or answer a sanggah (a workflow Update)',
        params: TaskParams,
        body: TaskDecisionBody,
        headers: IdempotencyHeaders,
        response: {
          200: { ...CandidateStatusSchema, description: 'The candidate status after the decision' },
          ...errors(
            [403, 'FORBIDDEN, NOT_ASSIGNED: not your task'],
            404,
            [409, 'TASK_FINISHED (decided, escalated, or the process ended), WRONG_STAGE, ANNOUNCED'],
            422,
          ),
        },
      },
    },
    async (req) =>
      decideTask(
        deps,
        requireUser(req),
        req.params.taskId,
        req.body as { decisions?: DocumentDecision[]; accepted?: boolean; answer?: string },
        updateIdOf(req, `task-${req.params.taskId}`),
      ),
  );
};
