import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { RATINGS, UNIT_RATINGS } from '../../domain';
import {
  assignSupervisorUpdate,
  careerStatusQuery,
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
import { careerWorkflowId } from '../../contracts';
import { AppError } from '../errors';
import { requireUser } from '../plugins/auth';
import { errors, PlainText, StringEnum } from '../schemas/common';
import { IdempotencyHeaders } from '../schemas/candidate';
import { CareerStatusSchema } from '../schemas/responses';
import { HEADCOUNT_MAX, putUnitRating } from '../services/ratings';
import { assertUsersWithRole } from '../services/people';
import { updateOptions } from '../plugins/idempotency';
import { QUERY_TIMEOUT_MS, type ServiceDeps } from '../services/deps';

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
    unit: Type.String(),
    year: Type.Integer(),
    rating: Type.String(),
    headcount: Type.Integer(),
    unitHead: Type.String(),
    revision: Type.Integer(),
    created: Type.Boolean(),
    changed: Type.Boolean({ description: 'false when the same values were already recorded (nothing written)' }),
    previous: Type.Union([RatingView, Type.Null()], { description: 'the value this write replaced' }),
  },
  { description: 'The rating as stored' },
);

export const careerRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  /** `/careers/{nip}` (or the career's own id) → the career's workflow, `career/<careerId>` (the NIP never names it). */
  const handle = async (nipOrCareerId: string) => {
    const row = await deps.db
      .selectFrom('careers')
      .select(['nip', 'career_id'])
      .where((eb) => eb.or([eb('nip', '=', nipOrCareerId), eb('career_id', '=', nipOrCareerId)]))
      .executeTakeFirst();
    if (!row?.career_id) throw new AppError(404, 'NOT_FOUND', `Karier ${nipOrCareerId} tidak ditemukan`);
    return deps.client.workflow.getHandle(careerWorkflowId(row.career_id));
  };
  /** A supervisor acts only on careers where they are the supervisor or the unit head. */
  const supervised = async (nip: string, username: string): Promise<void> => {
    const h = await handle(nip);
    const s = await deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => h.query(careerStatusQuery));
    if (s.supervisor !== username && s.unitHead !== username)
      throw new AppError(403, 'NOT_OWNER', 'Anda bukan atasan langsung atau kepala unit pegawai ini');
  };

  app.get(
    '/careers/:nip',
    {
      config: { access: ['hr', 'supervisor', 'auditor'] },
      schema: {
        tags: ['careers'],
        summary: 'Career status: stage, predikat, ladder, every event',
        params: NipParams,
        response: { 200: Status, ...errors(404) },
      },
    },
    async (req) => {
      const user = requireUser(req);
      if (user.role === 'supervisor') await supervised(req.params.nip, user.username);
      const h = await handle(req.params.nip);
      return deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => h.query(careerStatusQuery));
    },
  );

  app.put(
    '/careers/:nip/supervisor',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['careers'],
        summary: 'Name the supervisor (atasan langsung) and the unit head',
        params: NipParams,
        body: Type.Object(
          {
            supervisor: Text(100, false),
            unitHead: Text(100, false),
            reason: PlainText({ minLength: 3, maxLength: 1000, multiline: true }),
          },
          {
            additionalProperties: false,
            examples: [
              { supervisor: 'atasan.dinkes', unitHead: 'kepala.dinkes', reason: 'Mutasi atasan langsung per 1 Maret' },
            ],
          },
        ),
        headers: H,
        response: {
          ...updated,
          ...errors(404, 409, [422, 'UNKNOWN_USER, WRONG_ROLE: not an enabled supervisor account']),
        },
      },
    },
    async (req) => {
      const actor = requireUser(req).username;
      const h = await handle(req.params.nip);
      // Both must be enabled supervisor accounts (422 UNKNOWN_USER / WRONG_ROLE); the workflow
      // records the change (who, why) in the career's audit chain.
      await assertUsersWithRole(deps, [req.body.supervisor, req.body.unitHead], 'supervisor');
      return h.executeUpdate(assignSupervisorUpdate, {
        args: [{ actor, supervisor: req.body.supervisor, unitHead: req.body.unitHead, reason: req.body.reason.trim() }],
        ...updateOptions(req, 'assignSupervisorUpdate'),
      });
    },
  );

  app.post(
    '/careers/:nip/probation/latsar',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['careers'],
        summary: 'Record the Latsar result',
        params: NipParams,
        body: Type.Object({ passed: Type.Boolean() }, { additionalProperties: false, examples: [{ passed: true }] }),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(recordLatsarUpdate, {
        args: [{ actor: requireUser(req).username, passed: req.body.passed }],
        ...updateOptions(req, 'recordLatsarUpdate'),
      }),
  );

  app.post(
    '/careers/:nip/probation/health',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['careers'],
        summary: 'Record the health statement',
        params: NipParams,
        body: Type.Object({ healthy: Type.Boolean() }, { additionalProperties: false, examples: [{ healthy: true }] }),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(recordHealthUpdate, {
        args: [{ actor: requireUser(req).username, healthy: req.body.healthy }],
        ...updateOptions(req, 'recordHealthUpdate'),
      }),
  );

  app.post(
    '/careers/:nip/probation/extension',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['careers'],
        summary: "Extend probation for a delay not of the CPNS's making (reason recorded)",
        params: NipParams,
        body: Type.Object(
          { months: Type.Integer({ minimum: 1, maximum: 12 }), reason: Text() },
          { additionalProperties: false, examples: [{ months: 3, reason: 'Latsar ditunda oleh penyelenggara' }] },
        ),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(extendProbationUpdate, {
        args: [{ actor: requireUser(req).username, ...req.body }],
        ...updateOptions(req, 'extendProbationUpdate'),
      }),
  );

  app.post(
    '/careers/:nip/probation/decision',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['careers'],
        summary: "Record the named official's decision after a failed probation",
        params: NipParams,
        body: Type.Object(
          { official: Text(200, false), appoint: Type.Boolean(), reason: Text() },
          {
            additionalProperties: false,
            examples: [
              { official: 'Wali Kota Medan', appoint: false, reason: 'Tidak lulus Latsar setelah perpanjangan' },
            ],
          },
        ),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(decideProbationUpdate, {
        args: [req.body],
        ...updateOptions(req, 'decideProbationUpdate'),
      }),
  );

  app.post(
    '/careers/:nip/expectations',
    {
      config: { access: ['supervisor'] },
      schema: {
        tags: ['careers'],
        summary: 'SKP planning: the supervisor sets the expectations',
        params: NipParams,
        body: Type.Object(
          { expectations: Type.Array(Text(500), { minItems: 1, maxItems: 20 }) },
          {
            additionalProperties: false,
            examples: [
              { expectations: ['Cakupan imunisasi dasar di wilayah kerja 95 persen', 'Laporan bulanan tepat waktu'] },
            ],
          },
        ),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(setExpectationsUpdate, {
        args: [{ supervisor: requireUser(req).username, expectations: req.body.expectations }],
        ...updateOptions(req, 'setExpectationsUpdate'),
      }),
  );

  app.post(
    '/careers/:nip/check-ins',
    {
      config: { access: ['supervisor'] },
      schema: {
        tags: ['careers'],
        summary: 'A periodic performance dialogue',
        params: NipParams,
        body: Type.Object(
          { period: Type.Integer({ minimum: 1, maximum: 12 }), notes: Text(2000) },
          {
            additionalProperties: false,
            examples: [{ period: 3, notes: 'Target triwulan tercapai; perlu pelatihan pencatatan elektronik.' }],
          },
        ),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(checkInUpdate, {
        args: [{ supervisor: requireUser(req).username, ...req.body }],
        ...updateOptions(req, 'checkInUpdate'),
      }),
  );

  app.post(
    '/careers/:nip/evaluations',
    {
      config: { access: ['supervisor'] },
      schema: {
        tags: ['careers'],
        summary: 'The annual evaluation (or a re-evaluation): hasil kerja and perilaku ratings',
        params: NipParams,
        body: Type.Object(
          { hasilKerja: Enum(RATINGS), perilaku: Enum(RATINGS) },
          { additionalProperties: false, examples: [{ hasilKerja: 'sesuai', perilaku: 'di_atas' }] },
        ),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(evaluateUpdate, {
        args: [{ evaluator: requireUser(req).username, ...req.body }],
        ...updateOptions(req, 'evaluateUpdate'),
      }),
  );

  app.post(
    '/careers/:nip/recommendation/decision',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['careers'],
        summary: "Record a named official's decision on a BKN 3/2020 ladder recommendation",
        params: NipParams,
        body: Type.Object(
          { official: Text(200, false), approved: Type.Boolean(), reason: Text() },
          {
            additionalProperties: false,
            examples: [
              { official: 'Sekretaris Daerah Kota Medan', approved: true, reason: 'Memenuhi syarat kenaikan jenjang' },
            ],
          },
        ),
        headers: H,
        response: updated,
      },
    },
    async (req) =>
      (await handle(req.params.nip)).executeUpdate(decideRecommendationUpdate, {
        args: [req.body],
        ...updateOptions(req, 'decideRecommendationUpdate'),
      }),
  );

  app.put(
    '/units/:unit/ratings/:year',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['careers'],
        summary:
          "The unit's own rating for the year (drives the distribution rule): a known unit, 2000 ≤ year ≤ next year, audited with who and why; 201 created, 200 changed (with the previous value) or unchanged",
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
            additionalProperties: false,
            examples: [
              {
                rating: 'Baik',
                headcount: 120,
                unitHead: 'kepala.dinkes',
                reason: 'Hasil evaluasi kinerja unit tahun 2025',
              },
            ],
          },
        ),
        response: {
          200: { ...UnitRatingSchema, description: 'Changed (previous: the value replaced) or unchanged' },
          201: { ...UnitRatingSchema, description: 'Created' },
          ...errors([422, 'UNKNOWN_UNIT, YEAR_OUT_OF_RANGE, HEADCOUNT_OUT_OF_RANGE, UNKNOWN_USER, WRONG_ROLE']),
        },
      },
    },
    async (req, reply) => {
      const r = await putUnitRating(
        deps,
        requireUser(req).username,
        req.params.unit,
        Number(req.params.year),
        req.body,
      );
      return reply.status(r.created ? 201 : 200).send(r);
    },
  );
};
