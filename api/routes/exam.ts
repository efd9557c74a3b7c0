import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { assertOwnRegistration } from '../plugins/access';
import { requireUser } from '../plugins/auth';
import { errors } from '../schemas/common';
import { RegistrationNoParams } from '../schemas/candidate';
import { PageOf } from '../schemas/page';
import { RoundIdParams } from '../schemas/round';
import {
  BankBody,
  BankIdParams,
  BankSchema,
  BankVersionSchema,
  BatchBody,
  EventsBody,
  ExamSummarySchema,
  ExamViewSchema,
  OpenBody,
  ParticipantBody,
  ParticipantParams,
  ParticipantSchema,
  ProctorDetailSchema,
  ProctorQuery,
  ProctorRowSchema,
  RederiveSchema,
  SaveAckSchema,
  SessionIdParams,
  SubtestParams,
} from '../schemas/exam';
import {
  examSummary,
  importExamBank,
  listExamBank,
  openExam,
  recordIntegrity,
  saveExamAnswers,
  setParticipant,
  startRoundSessions,
  submitExam,
} from '../services/exam';
import { proctorSession, proctorSessions, rederiveSession } from '../services/exam-proctor';
import type { ServiceDeps } from '../services/deps';

const NOT_ONLINE = [
  409,
  'EXAM_NOT_ONLINE: the round holds its SKD elsewhere; EXAM_CLOSED, EXAM_NOT_OPEN, DEVICE_*',
] as const;

/** The online SKD exam (docs/exam.md): banks (HR), the candidate's session, the proctor's view. */
export const examRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.post(
    '/exam-banks/:bankId/:subtest',
    {
      config: { access: ['hr'] },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        tags: ['exam'],
        summary: "Import a new version of one subtest's question bank (validated; never readable by candidates)",
        params: SubtestParams,
        body: BankBody,
        response: {
          200: { ...BankVersionSchema, description: 'The same content as the latest version: nothing stored' },
          201: BankVersionSchema,
          ...errors([422, 'BANK_INVALID: one entry per problem in details']),
        },
      },
    },
    async (req, reply) => {
      const r = await importExamBank(deps, { ...req.params, items: req.body.items, actor: requireUser(req).username });
      return reply.code(r.created ? 201 : 200).send(r);
    },
  );

  app.get(
    '/exam-banks/:bankId',
    {
      config: { access: ['hr', 'auditor'] },
      schema: {
        tags: ['exam'],
        summary: "A bank's versions per subtest (counts and hashes, never the items)",
        params: BankIdParams,
        response: { 200: BankSchema, ...errors(404) },
      },
    },
    async (req) => listExamBank(deps, req.params.bankId),
  );

  app.post(
    '/rounds/:roundId/exam/sessions',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['exam'],
        summary: 'Open the online SKD: create a session for every SKD participant (idempotent)',
        params: RoundIdParams,
        response: {
          200: Type.Object({ created: Type.Integer(), existing: Type.Integer() }, { additionalProperties: false }),
          ...errors(404, [409, 'EXAM_NOT_ONLINE, EXAM_BANK_MISSING']),
        },
      },
    },
    async (req) => startRoundSessions(deps, req.params.roundId),
  );

  app.put(
    '/rounds/:roundId/exam/participants/:registrationNo',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['exam'],
        summary: "A participant's slot and visual-disability accommodation (before the session is created)",
        params: ParticipantParams,
        body: ParticipantBody,
        response: {
          200: ParticipantSchema,
          ...errors(404, [409, 'EXAM_SESSION_EXISTS'], [422, 'UNKNOWN_SLOT']),
        },
      },
    },
    async (req) =>
      setParticipant(deps, req.params.roundId, req.params.registrationNo, req.body, requireUser(req).username),
  );

  app.get(
    '/rounds/:roundId/exam/sessions',
    {
      config: { access: ['hr', 'auditor'] },
      schema: {
        tags: ['exam'],
        summary: "Proctor: the round's sessions with their state and integrity events",
        params: RoundIdParams,
        querystring: ProctorQuery,
        response: { 200: PageOf(ProctorRowSchema, 'Sessions by registration number'), ...errors(404) },
      },
    },
    async (req) => proctorSessions(deps, req.params.roundId, req.query),
  );

  app.get(
    '/exam/sessions/:sessionId',
    {
      config: { access: ['hr', 'auditor'] },
      schema: {
        tags: ['exam'],
        summary: 'Proctor: one session with every kept integrity event',
        params: SessionIdParams,
        response: { 200: ProctorDetailSchema, ...errors(404) },
      },
    },
    async (req) => proctorSession(deps, req.params.sessionId),
  );

  app.get(
    '/exam/sessions/:sessionId/rederive',
    {
      config: { access: ['auditor', 'hr'] },
      schema: {
        tags: ['exam', 'audit'],
        summary: "Re-derive a session's score from its history and the bank versions' keys",
        params: SessionIdParams,
        response: { 200: RederiveSchema, ...errors(404, [409, 'EXAM_NOT_ENDED']) },
      },
    },
    async (req) => rederiveSession(deps, req.params.sessionId),
  );

  candidateRoutes(app, deps);
};

function candidateRoutes(app: Parameters<typeof examRoutes>[0], deps: ServiceDeps): void {
  const own = { config: { access: ['candidate'] as const } };
  app.get(
    '/registrations/:registrationNo/exam',
    {
      ...own,
      schema: {
        tags: ['exam'],
        summary: "The candidate's SKD session: slot, time, status, the score once finished (no items)",
        params: RegistrationNoParams,
        response: { 200: ExamSummarySchema, ...errors(404, [409, 'EXAM_NOT_ONLINE']) },
      },
    },
    async (req) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return examSummary(deps, req.params.registrationNo);
    },
  );
  app.post(
    '/registrations/:registrationNo/exam/open',
    {
      ...own,
      schema: {
        tags: ['exam'],
        summary: 'Open, resume or (takeover: true) take over the session: items without keys, answers, time left',
        params: RegistrationNoParams,
        body: OpenBody,
        response: {
          200: ExamViewSchema,
          ...errors(404, [403, 'EXAM_NOT_PARTICIPANT, NOT_OWNER'], NOT_ONLINE, [422, 'INVALID_ANSWER']),
        },
      },
    },
    async (req) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return openExam(deps, req.params.registrationNo, req.body);
    },
  );
  app.put(
    '/registrations/:registrationNo/exam/answers',
    {
      ...own,
      schema: {
        tags: ['exam'],
        summary: 'Save a batch of answers, flags and integrity events; acknowledged with the revision',
        params: RegistrationNoParams,
        body: BatchBody,
        response: { 200: SaveAckSchema, ...errors(404, NOT_ONLINE, [422, 'INVALID_ANSWER']) },
      },
    },
    async (req) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return saveExamAnswers(deps, req.params.registrationNo, req.body);
    },
  );
  app.post(
    '/registrations/:registrationNo/exam/submit',
    {
      ...own,
      schema: {
        tags: ['exam'],
        summary: 'Submit (with a last batch): the session ends and answers with the score',
        params: RegistrationNoParams,
        body: BatchBody,
        response: { 200: ExamSummarySchema, ...errors(404, NOT_ONLINE, [422, 'INVALID_ANSWER']) },
      },
    },
    async (req) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return submitExam(deps, req.params.registrationNo, req.body);
    },
  );
  app.post(
    '/registrations/:registrationNo/exam/events',
    {
      ...own,
      schema: {
        tags: ['exam'],
        summary: 'Record integrity events (focus loss, fullscreen exit, copy/paste) for the proctor and the auditor',
        params: RegistrationNoParams,
        body: EventsBody,
        response: {
          202: Type.Object({ accepted: Type.Integer() }, { additionalProperties: false }),
          ...errors(404, NOT_ONLINE),
        },
      },
    },
    async (req, reply) => {
      assertOwnRegistration(req, req.params.registrationNo);
      return reply.code(202).send(await recordIntegrity(deps, req.params.registrationNo, req.body));
    },
  );
}
