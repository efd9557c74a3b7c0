import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import type { DocumentDecision } from '../../workflows/messages';
import { requireUser } from '../plugins/auth';
import { errorResponses } from '../schemas/common';
import { TaskDecisionBody, TaskParams } from '../schemas/candidate';
import type { ServiceDeps } from '../services/deps';
import { updateIdOf } from '../plugins/idempotency';
import { decideTask, myTasks, taskDetail } from '../services/reviews';

const Any = Type.Unsafe<unknown>({});
const Task = Type.Object({ taskId: Type.String(), registrationNo: Type.String(), roundId: Type.String(), kind: Type.String(), stage: Type.String(), status: Type.String(), dueAt: Type.String(), createdAt: Type.String() });

export const taskRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.get('/tasks', {
    config: { access: ['reviewer'] },
    schema: { tags: ['tasks'], summary: 'My open tasks with their deadlines (the reviewer inbox)', querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])) }, { additionalProperties: false }), response: { 200: Type.Array(Task), ...errorResponses } },
  }, async (req) => myTasks(deps, requireUser(req).username, req.query.status ?? 'open'));

  app.get('/tasks/:taskId', {
    config: { access: ['reviewer', 'hr', 'auditor'] },
    schema: { tags: ['tasks'], summary: 'One task with the candidate status, documents and NIK warnings', params: TaskParams, response: { 200: Any, ...errorResponses } },
  }, async (req) => taskDetail(deps, requireUser(req), req.params.taskId));

  app.post('/tasks/:taskId/decision', {
    config: { access: ['reviewer'] },
    schema: { tags: ['tasks'], summary: 'Decide a task: MS/TMS per document, or answer a sanggah (a workflow Update)', params: TaskParams, body: TaskDecisionBody, response: { 200: Any, ...errorResponses } },
  }, async (req) => decideTask(deps, requireUser(req), req.params.taskId, req.body as { decisions?: DocumentDecision[]; accepted?: boolean; answer?: string }, updateIdOf(req, `task-${req.params.taskId}`)));
};
