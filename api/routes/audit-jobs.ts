import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AUDIT_JOB_ID_PATTERN, type AuditJobRow } from '../../db/audit-jobs';
import { requireUser } from '../plugins/auth';
import { errors, Id, Nullable, StringEnum } from '../schemas/common';
import { PageOf, PageQueryProps } from '../schemas/page';
import { RederiveSchema, ReplaySchema } from '../schemas/responses';
import { AuditJobs } from '../services/audit-jobs';
import type { ServiceDeps } from '../services/deps';
import { RoundVerifyAllSchema } from './audit';

declare module 'fastify' {
  interface FastifyInstance {
    /** The auditor's background jobs (api/services/audit-jobs.ts), shared by the API and the console. */
    auditJobs: AuditJobs;
  }
}

const JOB_ID = AUDIT_JOB_ID_PATTERN;
const Kind = StringEnum(['verify', 'replay', 'rederive'], {
  description:
    "verify: the round's chain and every career's against their signed heads; replay: the histories of the round, its candidates and its careers on the current code; rederive: every decision recomputed from the recorded inputs",
});
const Time = Type.String({ description: 'ISO 8601 (UTC)' });

const jobFields = {
  jobId: Type.String({ pattern: JOB_ID }),
  kind: Kind,
  roundId: Type.String(),
  status: StringEnum(['queued', 'running', 'succeeded', 'failed', 'interrupted'], {
    description:
      'succeeded: the check ran (see ok and findings); failed: it could not run (error); interrupted: the API stopped while it was queued or running (start it again)',
  }),
  requestedBy: Type.String(),
  requestedAt: Time,
  startedAt: Nullable(Time),
  finishedAt: Nullable(Time),
  done: Type.Integer({ minimum: 0, description: 'steps done (workflows replayed, chains verified)' }),
  total: Type.Integer({ minimum: 0, description: 'steps in all (0 until known)' }),
  ok: Nullable(Type.Boolean({ description: 'no finding (null until it succeeded)' })),
  findings: Nullable(
    Type.Integer({
      minimum: 0,
      description: 'chain problems, failed replays or differences (null until it succeeded)',
    }),
  ),
  error: Nullable(Type.String()),
};
export const AuditJobSummarySchema = Type.Object(jobFields, { description: 'An audit job, without its result' });
export const AuditJobSchema = Type.Object(
  {
    ...jobFields,
    result: Nullable(
      Type.Union([RoundVerifyAllSchema, ReplaySchema, RederiveSchema], {
        description: "the kind's answer, as its synchronous route gives it (verify-all, POST /audit/replay, rederive)",
      }),
    ),
  },
  { description: 'An audit job with its result (null until it succeeded)' },
);

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** A job row as the API answers it (also read by the console pages). */
export function auditJobView(row: Omit<AuditJobRow, 'result'>) {
  return {
    jobId: row.job_id,
    kind: row.kind,
    roundId: row.round_id,
    status: row.status,
    requestedBy: row.requested_by,
    requestedAt: iso(row.requested_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    done: row.done,
    total: row.total,
    ok: row.ok,
    findings: row.findings,
    error: row.error,
  };
}

/** The view with the job's result (stored as its route answers it). */
export function auditJobDetail(row: AuditJobRow) {
  return { ...auditJobView(row), result: (row.result ?? null) as Static<typeof AuditJobSchema>['result'] };
}

const access = { access: ['auditor', 'hr'] as ('auditor' | 'hr')[] };

const auditJobRoutes: FastifyPluginAsyncTypebox<{ jobs: AuditJobs }> = async (app, { jobs }) => {
  app.post(
    '/audit/jobs',
    {
      config: access,
      schema: {
        tags: ['audit'],
        summary: 'Start a verification, replay or re-derivation of a round in the background (202 with the job)',
        body: Type.Object(
          { kind: Kind, roundId: Id },
          { additionalProperties: false, examples: [{ kind: 'replay', roundId: 'medan-2025' }] },
        ),
        response: {
          202: AuditJobSummarySchema,
          ...errors(404, [503, 'REPLAY_UNAVAILABLE: no workflow bundle on this server; or PostgreSQL unavailable']),
        },
      },
    },
    async (req, reply) => {
      const row = await jobs.submit(req.body.kind, req.body.roundId, requireUser(req).username);
      return reply.status(202).send(auditJobView(row));
    },
  );

  app.get(
    '/audit/jobs',
    {
      config: access,
      schema: {
        tags: ['audit'],
        summary: 'Audit jobs, newest first (optionally one round’s)',
        querystring: Type.Object({ ...PageQueryProps, roundId: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 200: PageOf(AuditJobSummarySchema, 'Audit jobs, newest first') },
      },
    },
    async (req) => {
      const page = await jobs.list(req.query);
      return { ...page, items: page.items.map(auditJobView) };
    },
  );

  app.get(
    '/audit/jobs/:jobId',
    {
      config: access,
      schema: {
        tags: ['audit'],
        summary: 'An audit job: its progress and, once it succeeded, its result',
        params: Type.Object({ jobId: Type.String({ pattern: JOB_ID }) }, { additionalProperties: false }),
        response: { 200: AuditJobSchema, ...errors(404) },
      },
    },
    async (req) => auditJobDetail(await jobs.get(req.params.jobId)),
  );
};

/**
 * The one line in api/app.ts: the jobs' runner (decorated on the app, for the console pages),
 * interrupted jobs marked once the app is ready, the running job stopped at close, and the routes.
 */
export async function registerAuditJobs(
  app: FastifyInstance,
  opts: { deps: ServiceDeps; bundlePath?: string },
): Promise<void> {
  const jobs = new AuditJobs(opts.deps, { bundlePath: opts.bundlePath });
  app.decorate('auditJobs', jobs);
  app.addHook('onReady', async () => {
    await jobs.recover().catch((err: unknown) => app.log.warn({ err }, 'audit jobs: could not mark interrupted jobs'));
  });
  app.addHook('onClose', async () => jobs.close());
  await app.register(auditJobRoutes, { jobs });
}
