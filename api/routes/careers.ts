import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UpdateDefinition } from '@temporalio/common';
import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { RATINGS, UNIT_RATINGS } from '../../domain';
import {
  checkInUpdate,
  decideProbationUpdate,
  decideRecommendationUpdate,
  evaluateUpdate,
  extendProbationUpdate,
  recordHealthUpdate,
  recordLatsarUpdate,
  setExpectationsUpdate,
  type CareerStatus,
} from '../../contracts';
import { requireUser } from '../plugins/auth';
import { errors, Nullable, PlainText, StringEnum } from '../schemas/common';
import { IdempotencyHeaders } from '../schemas/candidate';
import { CareerStatusSchema } from '../schemas/responses';
import { HEADCOUNT_MAX, putUnitRating } from '../services/ratings';
import { updateOptions } from '../plugins/idempotency';
import type { ServiceDeps } from '../services/deps';
import { assignSupervisor, careerStatus, updateCareer } from '../services/careers';
import { listTeam } from '../services/career-team';
import { PageOf, PageQueryProps } from '../schemas/page';

const Enum = StringEnum;
const NipParams = Type.Object(
  { nip: Type.String({ pattern: '^(\\d{18}|[a-z2-7]{26})$', description: 'NIP, or the career id' }) },
  { additionalProperties: false },
);
const Status = Type.Unsafe<CareerStatus>(CareerStatusSchema);
/** An Update of the career workflow: the status after it, or the rule it broke. */
const updated = {
  200: Type.Unsafe<CareerStatus>({ ...CareerStatusSchema, description: 'The career status after the change' }),
  ...errors(404, 409, 422),
};
const H = IdempotencyHeaders;
const Text = (max = 1000, multiline = true) => PlainText({ maxLength: max, multiline });
const RatingView = Type.Object({
  unit: Type.String(),
  year: Type.Integer(),
  rating: Type.String(),
  headcount: Type.Integer(),
  unitHead: Type.String(),
  revision: Type.Integer(),
});
const UnitRatingSchema = Type.Object(
  {
    ...RatingView.properties,
    created: Type.Boolean(),
    changed: Type.Boolean({ description: 'false when the same values were already recorded (nothing written)' }),
    previous: Type.Union([RatingView, Type.Null()], { description: 'the value this write replaced' }),
  },
  { description: 'The rating as stored' },
);

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/** The schema of a route that sends one Update to the career workflow. */
const updateSchema = <B extends TSchema>(summary: string, body: B) => ({
  tags: ['careers'],
  summary,
  params: NipParams,
  body,
  headers: H,
  response: updated,
});
const closed = { additionalProperties: false } as const;

const StatusSchema = {
  tags: ['careers'],
  summary: 'Career status: stage, predikat, ladder, every event',
  params: NipParams,
  response: { 200: Status, ...errors(404) },
};
const SupervisorSchema = {
  ...updateSchema(
    'Name the supervisor (atasan langsung) and the unit head',
    Type.Object(
      {
        supervisor: Text(100, false),
        unitHead: Text(100, false),
        reason: PlainText({ minLength: 3, maxLength: 1000, multiline: true }),
      },
      {
        ...closed,
        examples: [
          { supervisor: 'atasan.dinkes', unitHead: 'kepala.dinkes', reason: 'Mutasi atasan langsung per 1 Maret' },
        ],
      },
    ),
  ),
  response: { ...updated, ...errors(404, 409, [422, 'UNKNOWN_USER, WRONG_ROLE: not an enabled supervisor account']) },
};
const LatsarSchema = updateSchema(
  'Record the Latsar result',
  Type.Object({ passed: Type.Boolean() }, { ...closed, examples: [{ passed: true }] }),
);
const HealthSchema = updateSchema(
  'Record the health statement',
  Type.Object({ healthy: Type.Boolean() }, { ...closed, examples: [{ healthy: true }] }),
);
const ExtensionSchema = updateSchema(
  "Extend probation for a delay not of the CPNS's making (reason recorded)",
  Type.Object(
    { months: Type.Integer({ minimum: 1, maximum: 12 }), reason: Text() },
    { ...closed, examples: [{ months: 3, reason: 'Latsar ditunda oleh penyelenggara' }] },
  ),
);
const ProbationDecisionSchema = updateSchema(
  "Record the named official's decision after a failed probation",
  Type.Object(
    { official: Text(200, false), appoint: Type.Boolean(), reason: Text() },
    {
      ...closed,
      examples: [{ official: 'Wali Kota Medan', appoint: false, reason: 'Tidak lulus Latsar setelah perpanjangan' }],
    },
  ),
);
const ExpectationsSchema = updateSchema(
  'SKP planning: the supervisor sets the expectations',
  Type.Object(
    { expectations: Type.Array(Text(500), { minItems: 1, maxItems: 20 }) },
    {
      ...closed,
      examples: [
        { expectations: ['Cakupan imunisasi dasar di wilayah kerja 95 persen', 'Laporan bulanan tepat waktu'] },
      ],
    },
  ),
);
const CheckInSchema = updateSchema(
  'A periodic performance dialogue',
  Type.Object(
    { period: Type.Integer({ minimum: 1, maximum: 12 }), notes: Text(2000) },
    { ...closed, examples: [{ period: 3, notes: 'Target triwulan tercapai; perlu pelatihan pencatatan elektronik.' }] },
  ),
);
const EvaluationSchema = updateSchema(
  'The annual evaluation (or a re-evaluation): hasil kerja and perilaku ratings',
  Type.Object(
    { hasilKerja: Enum(RATINGS), perilaku: Enum(RATINGS) },
    { ...closed, examples: [{ hasilKerja: 'sesuai', perilaku: 'di_atas' }] },
  ),
);
const RecommendationSchema = updateSchema(
  "Record a named official's decision on a BKN 3/2020 ladder recommendation",
  Type.Object(
    { official: Text(200, false), approved: Type.Boolean(), reason: Text() },
    {
      ...closed,
      examples: [
        { official: 'Sekretaris Daerah Kota Medan', approved: true, reason: 'Memenuhi syarat kenaikan jenjang' },
      ],
    },
  ),
);
const UnitRatingRouteSchema = {
  tags: ['careers'],
  summary:
    "The unit's own rating for the year (drives the distribution rule): a known unit, 2000 ≤ year ≤ next year, " +
    'audited with who and why; 201 created, 200 changed (with the previous value) or unchanged',
  params: Type.Object(
    { unit: PlainText({ maxLength: 200 }), year: Type.String({ pattern: '^\\d{1,6}$' }) },
    { additionalProperties: false },
  ),
  body: Type.Object(
    {
      rating: Enum(UNIT_RATINGS),
      headcount: Type.Integer({ minimum: 1, maximum: HEADCOUNT_MAX }),
      unitHead: PlainText({ maxLength: 100 }),
      reason: PlainText({ minLength: 3, maxLength: 1000, multiline: true }),
    },
    {
      ...closed,
      examples: [
        { rating: 'Baik', headcount: 120, unitHead: 'kepala.dinkes', reason: 'Hasil evaluasi kinerja unit tahun 2025' },
      ],
    },
  ),
  response: {
    200: { ...UnitRatingSchema, description: 'Changed (previous: the value replaced) or unchanged' },
    201: { ...UnitRatingSchema, description: 'Created' },
    ...errors([422, 'UNKNOWN_UNIT, YEAR_OUT_OF_RANGE, HEADCOUNT_OUT_OF_RANGE, UNKNOWN_USER, WRONG_ROLE']),
  },
};

const TeamMemberSchema = Type.Object(
  {
    nip: Type.String(),
    careerId: Type.String({ description: 'the career id (also accepted in place of the NIP)' }),
    name: Nullable(Type.String({ description: 'as registered' })),
    unit: Type.String(),
    jabatan: Type.String(),
    status: Type.String({ description: 'cpns or pns' }),
    supervisor: Nullable(Type.String({ description: 'username; null until HR names one' })),
    unitHead: Nullable(Type.String({ description: 'username; null until HR names one' })),
    year: Nullable(Type.Integer({ description: "the current run's year; null when the workflow did not answer" })),
    stage: Nullable(Type.String({ description: 'the current stage; null when the workflow did not answer' })),
    due: Type.Array(
      Enum([
        'expectations',
        'check_in',
        'evaluation',
        'recommendation_decision',
        'probation_record',
        'probation_decision',
      ] as const),
      { description: 'what the career waits for now (empty when nothing, or when the workflow did not answer)' },
    ),
  },
  { additionalProperties: false },
);
const TeamSchema = {
  tags: ['careers'],
  summary:
    "A supervisor's team (the careers they supervise or head as unit head), with each one's stage and what is due; " +
    'a supervisor sees only their own (supervisor absent or `me`), HR and auditors name any supervisor or list every career',
  querystring: Type.Object(
    {
      supervisor: Type.Optional(
        Type.String({ pattern: '^(me|[a-z0-9][a-z0-9._-]{2,63})$', description: 'a username, or `me`' }),
      ),
      ...PageQueryProps,
    },
    { additionalProperties: false },
  ),
  response: {
    200: PageOf(TeamMemberSchema, 'Careers by NIP'),
    ...errors([403, 'NOT_OWNER: a supervisor asked for the team of another supervisor']),
  },
};

const hr = { access: ['hr'] as const };
const supervisor = { access: ['supervisor'] as const };

function statusAndSupervisorRoutes(app: App, deps: ServiceDeps): void {
  app.get('/careers', { config: { access: ['hr', 'supervisor', 'auditor'] }, schema: TeamSchema }, async (req) =>
    listTeam(deps, requireUser(req), { supervisor: req.query.supervisor }, req.query),
  );
  app.get('/careers/:nip', { config: { access: ['hr', 'supervisor', 'auditor'] }, schema: StatusSchema }, async (req) =>
    careerStatus(deps, req.params.nip, requireUser(req)),
  );
  app.put('/careers/:nip/supervisor', { config: hr, schema: SupervisorSchema }, async (req) =>
    assignSupervisor(
      deps,
      req.params.nip,
      { actor: requireUser(req).username, ...req.body },
      updateOptions(req, 'assignSupervisorUpdate'),
    ),
  );
}

/** The career Updates a route runs, by the operation name their update ids carry. */
const UPDATES = {
  recordLatsarUpdate,
  recordHealthUpdate,
  extendProbationUpdate,
  decideProbationUpdate,
  setExpectationsUpdate,
  checkInUpdate,
  evaluateUpdate,
  decideRecommendationUpdate,
};
type Operation = keyof typeof UPDATES;
type ArgsOf<K extends Operation> =
  (typeof UPDATES)[K] extends UpdateDefinition<CareerStatus, infer A extends [unknown, ...unknown[]]> ? A : never;

/** Runs the Update for the request's NIP or career id, once per idempotency key. */
function run<K extends Operation>(
  deps: ServiceDeps,
  req: FastifyRequest & { params: { nip: string } },
  operation: K,
  args: ArgsOf<K>,
): Promise<CareerStatus> {
  const update = UPDATES[operation] as unknown as UpdateDefinition<CareerStatus, ArgsOf<K>>;
  return updateCareer(deps, req.params.nip, update, args, updateOptions(req, operation));
}

function probationRoutes(app: App, deps: ServiceDeps): void {
  app.post('/careers/:nip/probation/latsar', { config: hr, schema: LatsarSchema }, async (req) =>
    run(deps, req, 'recordLatsarUpdate', [{ actor: requireUser(req).username, passed: req.body.passed }]),
  );
  app.post('/careers/:nip/probation/health', { config: hr, schema: HealthSchema }, async (req) =>
    run(deps, req, 'recordHealthUpdate', [{ actor: requireUser(req).username, healthy: req.body.healthy }]),
  );
  app.post('/careers/:nip/probation/extension', { config: hr, schema: ExtensionSchema }, async (req) =>
    run(deps, req, 'extendProbationUpdate', [{ actor: requireUser(req).username, ...req.body }]),
  );
  app.post('/careers/:nip/probation/decision', { config: hr, schema: ProbationDecisionSchema }, async (req) =>
    run(deps, req, 'decideProbationUpdate', [req.body]),
  );
}

function performanceRoutes(app: App, deps: ServiceDeps): void {
  app.post('/careers/:nip/expectations', { config: supervisor, schema: ExpectationsSchema }, async (req) =>
    run(deps, req, 'setExpectationsUpdate', [
      { supervisor: requireUser(req).username, expectations: req.body.expectations },
    ]),
  );
  app.post('/careers/:nip/check-ins', { config: supervisor, schema: CheckInSchema }, async (req) =>
    run(deps, req, 'checkInUpdate', [{ supervisor: requireUser(req).username, ...req.body }]),
  );
  app.post('/careers/:nip/evaluations', { config: supervisor, schema: EvaluationSchema }, async (req) =>
    run(deps, req, 'evaluateUpdate', [{ evaluator: requireUser(req).username, ...req.body }]),
  );
  app.post('/careers/:nip/recommendation/decision', { config: hr, schema: RecommendationSchema }, async (req) =>
    run(deps, req, 'decideRecommendationUpdate', [req.body]),
  );
}

export const careerRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  statusAndSupervisorRoutes(app, deps);
  probationRoutes(app, deps);
  performanceRoutes(app, deps);
  app.put('/units/:unit/ratings/:year', { config: hr, schema: UnitRatingRouteSchema }, async (req, reply) => {
    const r = await putUnitRating(deps, requireUser(req).username, req.params.unit, Number(req.params.year), req.body);
    return reply.status(r.created ? 201 : 200).send(r);
  });
};
