import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { asOwner } from '../plugins/access';
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

type App = Parameters<FastifyPluginAsyncTypebox>[0];

const BankImportSchema = {
  tags: ['exam'],
  summary: "Import a new version of one subtest's question bank (validated; never readable by candidates)",
  params: SubtestParams,
  body: BankBody,
  response: {
    200: { ...BankVersionSchema, description: 'The same content as the latest version: nothing stored' },
    201: BankVersionSchema,
    ...errors([422, 'BANK_INVALID: one entry per problem in details']),
  },
};
const BankReadSchema = {
  tags: ['exam'],
  summary: "A bank's versions per subtest (counts and hashes, never the items)",
  params: BankIdParams,
  response: { 200: BankSchema, ...errors(404) },
};
const StartSessionsSchema = {
  tags: ['exam'],
  summary: 'Open the online SKD: create a session for every SKD participant (idempotent)',
  params: RoundIdParams,
  response: {
    200: Type.Object({ created: Type.Integer(), existing: Type.Integer() }, { additionalProperties: false }),
    ...errors(404, [409, 'EXAM_NOT_ONLINE, EXAM_BANK_MISSING']),
  },
};
const ParticipantRouteSchema = {
  tags: ['exam'],
  summary: "A participant's slot and visual-disability accommodation (before the session is created)",
  params: ParticipantParams,
  body: ParticipantBody,
  response: {
    200: ParticipantSchema,
    ...errors(404, [409, 'EXAM_SESSION_EXISTS'], [422, 'UNKNOWN_SLOT']),
  },
};
const ProctorListSchema = {
  tags: ['exam'],
  summary: "Proctor: the round's sessions with their state and integrity events",
  params: RoundIdParams,
  querystring: ProctorQuery,
  response: { 200: PageOf(ProctorRowSchema, 'Sessions by registration number'), ...errors(404) },
};
const ProctorOneSchema = {
  tags: ['exam'],
  summary: 'Proctor: one session with every kept integrity event',
  params: SessionIdParams,
  response: { 200: ProctorDetailSchema, ...errors(404) },
};
const RederiveRouteSchema = {
  tags: ['exam', 'audit'],
  summary: "Re-derive a session's score from its history and the bank versions' keys",
  params: SessionIdParams,
  response: { 200: RederiveSchema, ...errors(404, [409, 'EXAM_NOT_ENDED']) },
};

/** The online SKD exam (docs/exam.md): banks (HR), the candidate's session, the proctor's view. */
export const examRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  bankRoutes(app, deps);
  proctorRoutes(app, deps);
  candidateRoutes(app, deps);
};

/** HR: the question banks, the round's sessions and its participants' slots. */
function bankRoutes(app: App, deps: ServiceDeps): void {
  const hr = { access: ['hr'] as const };
  app.post(
    '/exam-banks/:bankId/:subtest',
    { config: hr, bodyLimit: 32 * 1024 * 1024, schema: BankImportSchema },
    async (req, reply) => {
      const r = await importExamBank(deps, { ...req.params, items: req.body.items, actor: requireUser(req).username });
      return reply.code(r.created ? 201 : 200).send(r);
    },
  );
  app.get('/exam-banks/:bankId', { config: { access: ['hr', 'auditor'] }, schema: BankReadSchema }, async (req) =>
    listExamBank(deps, req.params.bankId),
  );
  app.post('/rounds/:roundId/exam/sessions', { config: hr, schema: StartSessionsSchema }, async (req) =>
    startRoundSessions(deps, req.params.roundId),
  );
  app.put(
    '/rounds/:roundId/exam/participants/:registrationNo',
    { config: hr, schema: ParticipantRouteSchema },
    async (req) =>
      setParticipant(deps, req.params.roundId, req.params.registrationNo, req.body, requireUser(req).username),
  );
}

/** The proctor's and the auditor's view of the sessions. */
function proctorRoutes(app: App, deps: ServiceDeps): void {
  const proctors = { access: ['hr', 'auditor'] as const };
  app.get('/rounds/:roundId/exam/sessions', { config: proctors, schema: ProctorListSchema }, async (req) =>
    proctorSessions(deps, req.params.roundId, req.query),
  );
  app.get('/exam/sessions/:sessionId', { config: proctors, schema: ProctorOneSchema }, async (req) =>
    proctorSession(deps, req.params.sessionId),
  );
  app.get(
    '/exam/sessions/:sessionId/rederive',
    { config: { access: ['auditor', 'hr'] as const }, schema: RederiveRouteSchema },
    async (req) => rederiveSession(deps, req.params.sessionId),
  );
}

/** The schema of a candidate's route on their own session. */
const ownSchema = <T extends object>(summary: string, rest: T) => ({
  tags: ['exam'],
  summary,
  params: RegistrationNoParams,
  ...rest,
});

const SummaryRouteSchema = ownSchema(
  "The candidate's SKD session: slot, time, status, the score once finished (no items)",
  { response: { 200: ExamSummarySchema, ...errors(404, [409, 'EXAM_NOT_ONLINE']) } },
);
const OpenRouteSchema = ownSchema(
  'Open, resume or (takeover: true) take over the session: items without keys, answers, time left',
  {
    body: OpenBody,
    response: {
      200: ExamViewSchema,
      ...errors(404, [403, 'EXAM_NOT_PARTICIPANT, NOT_OWNER'], NOT_ONLINE, [422, 'INVALID_ANSWER']),
    },
  },
);
const AnswersRouteSchema = ownSchema(
  'Save a batch of answers, flags and integrity events; acknowledged with the revision',
  { body: BatchBody, response: { 200: SaveAckSchema, ...errors(404, NOT_ONLINE, [422, 'INVALID_ANSWER']) } },
);
const SubmitRouteSchema = ownSchema('Submit (with a last batch): the session ends and answers with the score', {
  body: BatchBody,
  response: { 200: ExamSummarySchema, ...errors(404, NOT_ONLINE, [422, 'INVALID_ANSWER']) },
});
const EventsRouteSchema = ownSchema(
  'Record integrity events (focus loss, fullscreen exit, copy/paste) for the proctor and the auditor',
  {
    body: EventsBody,
    response: {
      202: Type.Object({ accepted: Type.Integer() }, { additionalProperties: false }),
      ...errors(404, NOT_ONLINE),
    },
  },
);

function candidateRoutes(app: App, deps: ServiceDeps): void {
  const own = { access: ['candidate'] as const };
  const base = '/registrations/:registrationNo/exam';
  app.get(base, { config: own, schema: SummaryRouteSchema }, async (req) =>
    asOwner(req, (no) => examSummary(deps, no)),
  );
  app.post(`${base}/open`, { config: own, schema: OpenRouteSchema }, async (req) =>
    asOwner(req, (no) => openExam(deps, no, req.body)),
  );
  app.put(`${base}/answers`, { config: own, schema: AnswersRouteSchema }, async (req) =>
    asOwner(req, (no) => saveExamAnswers(deps, no, req.body)),
  );
  app.post(`${base}/submit`, { config: own, schema: SubmitRouteSchema }, async (req) =>
    asOwner(req, (no) => submitExam(deps, no, req.body)),
  );
  app.post(`${base}/events`, { config: own, schema: EventsRouteSchema }, async (req, reply) =>
    asOwner(req, async (no) => reply.code(202).send(await recordIntegrity(deps, no, req.body))),
  );
}
