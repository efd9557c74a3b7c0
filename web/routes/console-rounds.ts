import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { AppError, notFound, toErrorResponse } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { criteriaVersions } from '../../api/services/consultation';
import { loadRoundConfig } from '../../api/services/registrations';
import { createRound, extendDeadline, getRoundState, listRoundsPage } from '../../api/services/rounds';
import {
  DEFAULT_DOCUMENT_RULES,
  SCHEDULE_KEYS,
  type FormationConfig,
  type RoundConfig,
  type RoundConfigInput,
} from '../../domain';
import {
  CATEGORY_LABEL,
  criterionText,
  PASSING_GROUP_LABEL,
  PHASE_LABEL,
  phaseReached,
  SCHEDULE_LABEL,
  wib,
} from '../labels';
import { renderPage } from '../render';
import {
  CATEGORIES,
  CRITERION_KINDS,
  EDUCATION_LEVELS,
  emptyFormation,
  exampleDraft,
  EXTRA_DOCUMENTS,
  idOf,
  JABATAN_KINDS,
  messageOf,
  parseDraft,
  readStep,
  SANGGAH_STAGES,
  STEP_LABEL,
  stepOf,
  toWibLocal,
  violationsOf,
  WIZARD_STEPS,
  type WizardStep,
} from '../round-wizard';
import { requireStaff } from '../staff';
import { formationView } from './public';

/**
 * HR's round pages in the console: the list, the wizard (web/round-wizard.ts) ending in
 * createRound, the round's dashboard (phase, schedule, deadline extension through extendDeadline,
 * jobs), and its formations and criteria (read-only: the configuration is frozen at the start;
 * criteria are adopted once before registration).
 */
const C = '/konsol/seleksi';
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const JOB_LABEL: Record<string, string> = {
  import: 'Impor nilai',
  rank: 'Pemeringkatan',
  schedule: 'Perubahan jadwal ke kandidat',
};
export const CRITERION_LABEL: Record<string, string> = {
  experience: 'Pengalaman kerja (tahun, nilai penuh pada)',
  interview: 'Wawancara (nilai maksimum)',
  priorPerformance: 'Predikat kinerja sebelumnya',
};

export function roundParam(req: FastifyRequest): string {
  const id = String((req.params as { roundId?: string }).roundId ?? '');
  if (!ID.test(id)) throw notFound('Seleksi', id.slice(0, 40));
  return id;
}

const wizardLocals = {
  steps: WIZARD_STEPS,
  stepLabel: STEP_LABEL,
  idOf,
  toWibLocal,
  scheduleKeys: SCHEDULE_KEYS,
  scheduleLabel: SCHEDULE_LABEL,
  educationLevels: EDUCATION_LEVELS,
  jabatanKinds: JABATAN_KINDS,
  categories: CATEGORIES,
  categoryLabel: CATEGORY_LABEL,
  extraDocuments: EXTRA_DOCUMENTS,
  documentRules: DEFAULT_DOCUMENT_RULES,
  sanggahStages: SANGGAH_STAGES,
  groupLabel: PASSING_GROUP_LABEL,
  criterionKinds: CRITERION_KINDS,
  criterionLabel: CRITERION_LABEL,
  messageOf,
  stepOf,
};

function wizardView(
  req: FastifyRequest,
  reply: FastifyReply,
  draft: RoundConfig,
  step: WizardStep,
  opts: { status?: number; showErrors?: boolean; extra?: Record<string, string> } = {},
): FastifyReply {
  const v = violationsOf(draft, step);
  const errors = opts.showErrors ? { ...v.errors, ...opts.extra } : { ...opts.extra };
  return renderPage(
    req,
    reply,
    'console/round-wizard',
    {
      title: `Seleksi baru: ${STEP_LABEL[step]}`,
      crumbs: [
        ['Konsol', `${req.site.prefix}/konsol`],
        ['Seleksi', `${req.site.prefix}${C}`],
      ],
      ...wizardLocals,
      draft,
      draftJson: JSON.stringify(draft),
      step,
      stepNo: WIZARD_STEPS.indexOf(step) + 1,
      errors,
      perStep: v.perStep,
      all: v.all,
      preview: step === 'pratinjau' && v.all.length === 0 ? draft.formations.map((f) => formationView(draft, f)) : [],
    },
    opts.status ?? (Object.keys(errors).length ? 422 : 200),
  );
}

/** What the wizard's buttons ask for: `next`, `back`, `goto:<step>`, `add`, `remove:<i>`, `submit`. */
function wizardMove(
  step: WizardStep,
  go: string,
  draft: RoundConfig,
): { to: WizardStep; draft: RoundConfig; check: boolean } {
  const i = WIZARD_STEPS.indexOf(step);
  if (go === 'add' && step === 'formasi')
    return {
      to: step,
      draft: { ...draft, formations: [...draft.formations, emptyFormation(draft.formations.length + 1)] },
      check: false,
    };
  const rm = /^remove:(\d{1,4})$/.exec(go);
  if (rm && step === 'formasi')
    return {
      to: step,
      draft: { ...draft, formations: draft.formations.filter((_, k) => k !== Number(rm[1])) },
      check: false,
    };
  const target = /^goto:(\w+)$/.exec(go)?.[1] as WizardStep | undefined;
  if (target && WIZARD_STEPS.includes(target)) return { to: target, draft, check: false };
  if (go === 'back') return { to: WIZARD_STEPS[Math.max(0, i - 1)]!, draft, check: false };
  return { to: WIZARD_STEPS[Math.min(WIZARD_STEPS.length - 1, i + 1)]!, draft, check: true };
}

async function submitRound(
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  draft: RoundConfig,
  actor: string,
): Promise<FastifyReply> {
  try {
    const { roundId } = await createRound(deps, draft as unknown as RoundConfigInput, actor);
    return reply.redirect(`${req.site.prefix}${C}/${encodeURIComponent(roundId)}?info=seleksi-dibuat`, 303);
  } catch (err) {
    if (err instanceof AppError && err.code === 'ROUND_EXISTS')
      return wizardView(req, reply, draft, 'identitas', {
        status: 409,
        extra: { [idOf('roundId')]: `Pengenal seleksi ${draft.roundId} sudah dipakai; pilih pengenal lain` },
      });
    if (err instanceof AppError && err.code === 'ROUND_CONFIG_INVALID')
      return wizardView(req, reply, draft, 'pratinjau', { status: 422 });
    throw err;
  }
}

const page = { config: { access: 'public' as const }, schema: { hide: true } };
const formOf = (app: FastifyInstance) => ({ ...page, preHandler: app.csrfProtection });

export const consoleRoundRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  listAndWizardRoutes(app, deps);
  dashboardRoutes(app, deps);
  configRoutes(app, deps);
};

/** The list of rounds and the new-round wizard. */
function listAndWizardRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const form = formOf(app);
  app.get(C, page, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['hr', 'auditor']);
    const q = req.query as { halaman?: string };
    const list = await listRoundsPage(deps, { page: q.halaman, pageSize: 20 });
    return renderPage(req, reply, 'console/rounds', {
      title: 'Seleksi',
      crumbs: [['Konsol', `${req.site.prefix}/konsol`]],
      list,
      pages: Math.max(1, Math.ceil(list.total / list.pageSize)),
      phaseLabel: PHASE_LABEL,
      canCreate: user.role === 'hr',
    });
  });

  app.get(`${C}/baru`, page, async (req, reply) => {
    await requireStaff(deps.db, req, ['hr']);
    return wizardView(req, reply, exampleDraft(), 'identitas');
  });

  app.post(`${C}/baru`, form, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['hr']);
    const body = (req.body ?? {}) as Record<string, string | string[]>;
    const step = String(body.step ?? '') as WizardStep;
    const parsed = parseDraft(typeof body.draft === 'string' ? body.draft : '');
    if (!parsed || !WIZARD_STEPS.includes(step))
      throw new AppError(400, 'WIZARD_STATE_INVALID', 'Isian wizard rusak; mulai lagi dari halaman Seleksi baru');
    const draft = readStep(parsed, step, body);
    const go = String(body.go ?? 'next');
    if (go === 'submit' && step === 'pratinjau') {
      if (violationsOf(draft, step).all.length) return wizardView(req, reply, draft, 'pratinjau', { status: 422 });
      return submitRound(deps, req, reply, draft, user.username);
    }
    const move = wizardMove(step, go, draft);
    if (move.check && violationsOf(move.draft, step).all.some((v) => stepOf(v.field) === step))
      return wizardView(req, reply, move.draft, step, { showErrors: true });
    return wizardView(req, reply, move.draft, move.to, { showErrors: false, status: 200 });
  });
}

/** A round's dashboard: its state, schedule, deadline changes, phases and jobs; the deadline form for HR. */
async function dashboard(
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string>,
  errors: Record<string, string>,
  status = 200,
): Promise<FastifyReply> {
  const user = await requireStaff(deps.db, req, ['hr', 'auditor']);
  const roundId = roundParam(req);
  if ((req.query as { info?: string }).info === 'seleksi-dibuat') await untilRecorded(deps.db, roundId);
  const state = await getRoundState(deps, roundId);
  const now = Date.now();
  const held = (state as unknown as { held?: unknown }).held;
  return renderPage(
    req,
    reply,
    'console/round',
    {
      title: state.name,
      crumbs: [
        ['Konsol', `${req.site.prefix}/konsol`],
        ['Seleksi', `${req.site.prefix}${C}`],
      ],
      state,
      phaseLabel: PHASE_LABEL[state.phase] ?? state.phase,
      held: heldText(held),
      schedule: SCHEDULE_KEYS.map((k) => ({
        key: k,
        label: SCHEDULE_LABEL[k],
        at: wib(state.schedule[k]),
        passed: Date.parse(state.schedule[k]) <= now,
        value: toWibLocal(state.schedule[k]),
      })),
      extendable: SCHEDULE_KEYS.filter((k) => Date.parse(state.schedule[k]) > now),
      scheduleLabel: SCHEDULE_LABEL,
      changes: state.deadlineChanges.map((c) => ({
        ...c,
        label: SCHEDULE_LABEL[c.key] ?? c.key,
        fromWib: wib(c.from),
        toWib: wib(c.to),
        atWib: wib(c.at),
      })),
      phases: state.phases.map((p) => ({ label: PHASE_LABEL[p.phase] ?? p.phase, at: wib(p.at) })),
      jobs: state.jobs.map((j) => ({
        ...j,
        label: JOB_LABEL[j.job.kind] ?? j.job.kind,
        text: jobText(j.job),
        at: j.finishedAt ? wib(j.finishedAt) : 'Masih berjalan',
      })),
      canExtend: user.role === 'hr',
      base: `${req.site.prefix}${C}/${encodeURIComponent(roundId)}`,
      values,
      errors,
    },
    status,
  );
}

/** The dashboard and its deadline extension. */
function dashboardRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const form = formOf(app);
  app.get(`${C}/:roundId`, page, async (req, reply) => dashboard(deps, req, reply, {}, {}));

  app.post(`${C}/:roundId/tenggat`, form, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['hr']);
    const roundId = roundParam(req);
    const body = (req.body ?? {}) as Record<string, string>;
    const values = {
      key: String(body.key ?? ''),
      to: String(body.to ?? ''),
      reason: String(body.reason ?? '')
        .trim()
        .slice(0, 1000),
    };
    const errors: Record<string, string> = {};
    if (!(SCHEDULE_KEYS as readonly string[]).includes(values.key))
      errors['ext-key'] = 'Pilih tenggat yang diperpanjang';
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(values.to)) errors['ext-to'] = 'Isi tanggal dan jam baru (WIB)';
    if (values.reason.length < 10) errors['ext-reason'] = 'Tulis alasan perpanjangan, paling sedikit 10 karakter';
    if (Object.keys(errors).length) return dashboard(deps, req, reply, values, errors, 422);
    try {
      await extendDeadline(
        deps,
        roundId,
        { key: values.key as (typeof SCHEDULE_KEYS)[number], to: `${values.to}:00+07:00`, reason: values.reason },
        user.username,
      );
    } catch (err) {
      // The workflow's validator refused it (an earlier time, a deadline already passed): said beside the field.
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      const { body: b } = toErrorResponse(err);
      return dashboard(deps, req, reply, values, { 'ext-to': `Perpanjangan ditolak: ${b.error.message}` }, 422);
    }
    return reply.redirect(`${req.site.prefix}${C}/${encodeURIComponent(roundId)}?info=tenggat-diperpanjang`, 303);
  });
}

/** The formations and criteria of a round. */
function configRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get(`${C}/:roundId/formasi`, page, async (req, reply) => {
    await requireStaff(deps.db, req, ['hr', 'auditor']);
    const roundId = roundParam(req);
    const { config, phase } = await loadRoundConfig(deps, roundId);
    return renderPage(req, reply, 'console/round-formations', {
      title: `Formasi: ${config.name}`,
      crumbs: roundCrumbs(req, roundId, config.name),
      formations: config.formations.map((f: FormationConfig) => formationView(config, f)),
      frozen: phaseReached(phase, 'registration'),
      total: config.formations.reduce((n, f) => n + f.quota, 0),
    });
  });

  app.get(`${C}/:roundId/kriteria`, page, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['hr', 'auditor']);
    const roundId = roundParam(req);
    const [{ config, phase }, versions] = await Promise.all([
      loadRoundConfig(deps, roundId),
      criteriaVersions(deps, roundId),
    ]);
    return renderPage(req, reply, 'console/round-criteria', {
      title: `Kriteria: ${config.name}`,
      crumbs: roundCrumbs(req, roundId, config.name),
      frozen: phaseReached(phase, 'registration'),
      canModerate: user.role === 'hr',
      versions: versions.map((v) => ({
        ...v,
        at: wib(v.createdAt),
        formations: ((v.formations ?? []) as { formationId: string; scoring?: FormationConfig['scoring'] }[]).map(
          (f) => ({
            formationId: f.formationId,
            jabatan: config.formations.find((x) => x.formationId === f.formationId)?.jabatan ?? f.formationId,
            skdWeight: f.scoring?.skdWeight ?? config.weights.skdWeight,
            skbWeight: f.scoring?.skbWeight ?? config.weights.skbWeight,
            criteria: (f.scoring?.criteria ?? []).map(criterionText),
          }),
        ),
      })),
    });
  });
}

export function roundCrumbs(req: FastifyRequest, roundId: string, name: string): [string, string][] {
  return [
    ['Konsol', `${req.site.prefix}/konsol`],
    ['Seleksi', `${req.site.prefix}${C}`],
    [name, `${req.site.prefix}${C}/${encodeURIComponent(roundId)}`],
  ];
}

function heldText(held: unknown): string | undefined {
  if (!held) return undefined;
  if (typeof held === 'string') return held;
  if (typeof held === 'object') {
    const h = held as { reason?: string; openTasks?: number; stage?: string; since?: string };
    const parts = [
      h.stage ? `tahap ${h.stage}` : '',
      h.openTasks !== undefined ? `${h.openTasks} tugas masih terbuka` : '',
      h.since ? `sejak ${wib(h.since)}` : '',
      h.reason ?? '',
    ].filter(Boolean);
    return parts.length ? parts.join(', ') : 'ya';
  }
  return 'ya';
}

function jobText(job: { kind: string } & Record<string, unknown>): string {
  if (job.kind === 'import')
    return `${String(job.exam).toUpperCase()}${job.correction ? ' (koreksi)' : ''} oleh ${String(job.actor)}`;
  if (job.kind === 'rank')
    return `${job.ranking === 'final' ? 'hasil akhir' : 'peserta SKB'} oleh ${String(job.actor)}`;
  if (job.kind === 'schedule') return `${SCHEDULE_LABEL[String(job.key)] ?? String(job.key)} → ${wib(String(job.to))}`;
  return job.kind;
}

/**
 * Right after the wizard's submit the round's first activity may not have recorded it yet: wait a
 * moment for the row (a query of the fresh workflow is the service's fallback, and slow on a busy worker).
 */
async function untilRecorded(db: ServiceDeps['db'], roundId: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    if (await db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).executeTakeFirst()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}
