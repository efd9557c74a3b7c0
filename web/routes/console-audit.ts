import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError, notFound } from '../../api/errors';
import { auditJobDetail, auditJobView } from '../../api/routes/audit-jobs';
import type { ServiceDeps } from '../../api/services/deps';
import { listRoundsPage } from '../../api/services/rounds';
import { AUDIT_JOB_ID_PATTERN, AUDIT_JOB_KINDS, type AuditJobKind } from '../../db/audit-jobs';
import type { ChainVerification } from '../../db/audit';
import { wib } from '../labels';
import { renderPage } from '../render';
import { requireStaff } from '../staff';

/**
 * The auditor's page (issue 18), for auditors and HR: start a verification, replay or
 * re-derivation of a round as a background job (api/services/audit-jobs.ts, the same runner as
 * POST /audit/jobs), the list of jobs, and a job's page — its progress, refreshed while it runs
 * (web/static/audit-job.js; without JavaScript a link reloads it), then its result.
 */
const C = '/konsol/audit';
const ROLES = ['auditor', 'hr'] as const;
const JOB_ID = new RegExp(AUDIT_JOB_ID_PATTERN);
const ROUND_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const JOB_KIND_LABEL: Record<AuditJobKind, string> = {
  verify: 'Verifikasi rantai audit',
  replay: 'Replay riwayat alur kerja',
  rederive: 'Turunkan ulang keputusan',
};
const STATUS_LABEL: Record<string, string> = {
  queued: 'Menunggu giliran',
  running: 'Sedang berjalan',
  succeeded: 'Selesai',
  failed: 'Gagal dijalankan',
  interrupted: 'Terhenti (server dimulai ulang)',
};
/** What one finding is called, per kind, and the count in words. */
const FINDING_NOUN: Record<AuditJobKind, string> = {
  verify: 'masalah rantai',
  replay: 'pelanggaran determinisme',
  rederive: 'perbedaan',
};

interface Finding {
  where: string;
  what: string;
}

function chainFindings(c: ChainVerification): Finding[] {
  return c.problems.map((p) => ({ where: c.chain, what: p.message }));
}

/** A job's result as a list of findings (empty: clean). */
export function jobFindings(kind: AuditJobKind, result: unknown): Finding[] {
  if (!result) return [];
  if (kind === 'verify') {
    const r = result as { round: ChainVerification; careers: ChainVerification[] };
    return [r.round, ...r.careers].flatMap(chainFindings);
  }
  if (kind === 'replay')
    return (result as { failed: { workflowId: string; error?: string }[] }).failed.map((f) => ({
      where: f.workflowId,
      what: f.error ?? 'gagal',
    }));
  return (
    result as { differences: { what: string; registrationNo: string | null; published: unknown; rederived: unknown }[] }
  ).differences.map((d) => ({
    where: d.registrationNo ?? '—',
    what: `${d.what}: diumumkan ${JSON.stringify(d.published)}, diturunkan ulang ${JSON.stringify(d.rederived)}`,
  }));
}

const field = (b: unknown, k: string): string => {
  const v = (b as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'string' ? v.slice(0, 100) : '';
};

const labels = { kindLabel: JOB_KIND_LABEL, statusLabel: STATUS_LABEL, findingNoun: FINDING_NOUN, wib };

export const consoleAuditRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  const page = { config: { access: 'public' as const }, schema: { hide: true } };
  const form = { ...page, preHandler: app.csrfProtection };
  const crumbs = (req: FastifyRequest): [string, string][] => [['Konsol', `${req.site.prefix}/konsol`]];

  app.get(C, page, async (req, reply) => {
    await requireStaff(deps.db, req, ROLES);
    const q = req.query as { halaman?: string; seleksi?: string };
    const [rounds, jobs] = await Promise.all([
      listRoundsPage(deps, { pageSize: 200 }),
      app.auditJobs.list({ page: q.halaman, pageSize: 20 }),
    ]);
    return renderPage(req, reply, 'console/audit', {
      title: 'Audit seleksi',
      crumbs: crumbs(req),
      rounds: rounds.items,
      selected: typeof q.seleksi === 'string' ? q.seleksi : '',
      kinds: AUDIT_JOB_KINDS,
      jobs: { ...jobs, items: jobs.items.map(auditJobView) },
      pages: Math.max(1, Math.ceil(jobs.total / jobs.pageSize)),
      ...labels,
    });
  });

  app.post(C, form, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ROLES);
    const kind = field(req.body, 'kind') as AuditJobKind;
    const roundId = field(req.body, 'roundId');
    if (!AUDIT_JOB_KINDS.includes(kind))
      throw new AppError(400, 'VALIDATION_FAILED', 'Jenis pemeriksaan tidak dikenal');
    if (!ROUND_ID.test(roundId)) throw notFound('Seleksi', roundId.slice(0, 40));
    const job = await app.auditJobs.submit(kind, roundId, user.username);
    return reply.redirect(`${req.site.prefix}${C}/${job.job_id}`, 303);
  });

  app.get(`${C}/:jobId`, page, async (req, reply) => {
    await requireStaff(deps.db, req, ROLES);
    const jobId = String((req.params as { jobId?: string }).jobId ?? '');
    if (!JOB_ID.test(jobId)) throw notFound('Pekerjaan audit', jobId.slice(0, 40));
    const job = auditJobDetail(await app.auditJobs.get(jobId));
    const active = job.status === 'queued' || job.status === 'running';
    return renderPage(req, reply, 'console/audit-job', {
      title: `${JOB_KIND_LABEL[job.kind]}: ${job.roundId}`,
      crumbs: [...crumbs(req), ['Audit seleksi', `${req.site.prefix}${C}`]],
      job,
      active,
      percent: job.total ? Math.floor((100 * job.done) / job.total) : 0,
      findings: job.status === 'succeeded' ? jobFindings(job.kind, job.result) : [],
      scripts: active ? ['audit-job.js'] : [],
      ...labels,
    });
  });
};
