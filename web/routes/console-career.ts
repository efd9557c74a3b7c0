import { randomUUID } from 'node:crypto';
import type { UpdateDefinition } from '@temporalio/common';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { classifyTemporalError } from '../../config/temporal-errors';
import {
  checkInUpdate,
  evaluateUpdate,
  setExpectationsUpdate,
  type CareerStatus,
  type CareerStage,
} from '../../contracts';
import { LADDER_LABELS, RATINGS, type LadderStep, type Rating } from '../../domain';
import { AppError, notFound } from '../../api/errors';
import { MULTI_LINE_PATTERN } from '../../api/schemas/common';
import { careerDue, careerHistory, listTeam, missingCheckIns, type CareerDue } from '../../api/services/career-team';
import { careerStatus, updateCareer } from '../../api/services/careers';
import type { ServiceDeps } from '../../api/services/deps';
import type { User } from '../../db/users';
import { wib } from '../labels';
import { renderPage } from '../render';
import { requireStaff } from '../staff';

/**
 * The supervisor's pages of the console (issue 18): "my team" with each career's cycle state and
 * what is due, and one employee's career — probation, this year's SKP plan, check-ins, the
 * evaluation, the follow-up and the history — with the forms of the SKP cycle. Only the assigned
 * supervisor writes (the evaluation also the unit head after an escalation), through the same
 * career service the JSON API calls; HR and auditors read.
 */
const K = '/konsol/kinerja';
const ID = /^(\d{18}|[a-z2-7]{26})$/;
const PAGE_SIZE = 20;

export const CAREER_STAGE_LABEL: Record<CareerStage, string> = {
  probation: 'Masa percobaan (CPNS)',
  probation_decision: 'Menunggu keputusan pejabat atas masa percobaan',
  planning: 'Perencanaan SKP',
  execution: 'Pelaksanaan dan dialog kinerja',
  evaluation: 'Penilaian kinerja tahunan',
  awaiting_unit: 'Menunggu penilaian seluruh unit',
  returned: 'Penilaian dikembalikan kepada penilai',
  follow_up: 'Tindak lanjut hasil penilaian',
  re_evaluation: 'Penilaian ulang',
  pre_retirement: 'Menjelang pensiun',
  retired: 'Pensiun',
  dismissed: 'Diberhentikan',
};
const DUE_LABEL: Record<CareerDue, string> = {
  expectations: 'Tetapkan rencana SKP',
  check_in: 'Dialog kinerja',
  evaluation: 'Isi penilaian',
  recommendation_decision: 'Keputusan pejabat atas rekomendasi (SDM)',
  probation_record: 'Hasil Latsar/kesehatan (SDM)',
  probation_decision: 'Keputusan pejabat (SDM)',
};
const RATING_LABEL: Record<Rating, string> = {
  di_bawah: 'Di bawah ekspektasi',
  sesuai: 'Sesuai ekspektasi',
  di_atas: 'Di atas ekspektasi',
};
const SAVED: Record<string, string> = {
  skp: 'Rencana SKP (ekspektasi kinerja) tersimpan.',
  dialog: 'Dialog kinerja tercatat.',
  penilaian: 'Penilaian tersimpan dan diteruskan ke alur kerja karier.',
};
const EVALUATION_STATUS: Record<string, string> = {
  submitted: 'menunggu penilaian seluruh unit',
  accepted: 'diterima',
  returned: 'dikembalikan',
};

type Body = Record<string, unknown>;
type FieldErrors = Record<string, { code: string; message: string }>;
type Viewer = User & { role: 'hr' | 'reviewer' | 'supervisor' | 'auditor' };
const str = (b: unknown, k: string, max: number): string => {
  const v = (b as Body | undefined)?.[k];
  return typeof v === 'string' ? v.slice(0, max) : '';
};
/** Text the API would refuse (control characters other than line feed and tab), as the JSON routes' PlainText. */
const PLAIN = new RegExp(MULTI_LINE_PATTERN);

/** One form of the SKP cycle: who may send it, how its fields are read, and the workflow Update it sends. */
interface CycleForm {
  /** Whose form it is (the assigned supervisor; for the evaluation also the unit head after an escalation). */
  writer: (s: CareerStatus, username: string) => boolean;
  /** What the career must be waiting for. */
  due: CareerDue;
  /** The page section the form is in (where a stale form's refusal is shown). */
  section: string;
  /** The field the workflow's refusal is shown at. */
  field: string;
  parse: (body: unknown, s: CareerStatus, username: string) => { errors: FieldErrors; args?: [unknown] };
  update: UpdateDefinition<CareerStatus, [never]>;
}

const isSupervisor = (s: CareerStatus, username: string): boolean => s.supervisor === username;

function parseExpectations(body: unknown, _s: CareerStatus, username: string): ReturnType<CycleForm['parse']> {
  const items = str(body, 'expectations', 20_000)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const e = (code: string, message: string): FieldErrors => ({ expectations: { code, message } });
  if (!items.length) return { errors: e('EXPECTATIONS_REQUIRED', 'Tulis paling sedikit satu butir ekspektasi') };
  if (items.length > 20) return { errors: e('EXPECTATIONS_TOO_MANY', 'Paling banyak 20 butir ekspektasi') };
  if (items.some((i) => i.length > 500))
    return { errors: e('EXPECTATION_TOO_LONG', 'Setiap butir ekspektasi paling banyak 500 karakter') };
  if (items.some((i) => !PLAIN.test(i)))
    return { errors: e('EXPECTATION_INVALID', 'Ekspektasi berisi karakter yang tidak diizinkan') };
  return { errors: {}, args: [{ supervisor: username, expectations: items }] };
}

function parseCheckIn(body: unknown, s: CareerStatus, username: string): ReturnType<CycleForm['parse']> {
  const errors: FieldErrors = {};
  const period = Number(str(body, 'period', 3));
  const notes = str(body, 'notes', 5000).replace(/\r\n?/g, '\n').trim();
  if (!missingCheckIns(s).includes(period))
    errors.period = { code: 'PERIOD_INVALID', message: 'Pilih periode dialog yang belum dilakukan' };
  if (!notes) errors.notes = { code: 'NOTES_REQUIRED', message: 'Tulis catatan hasil dialog kinerja' };
  else if (notes.length > 2000)
    errors.notes = { code: 'NOTES_TOO_LONG', message: 'Catatan paling banyak 2.000 karakter' };
  else if (!PLAIN.test(notes))
    errors.notes = { code: 'NOTES_INVALID', message: 'Catatan berisi karakter yang tidak diizinkan' };
  return Object.keys(errors).length ? { errors } : { errors, args: [{ supervisor: username, period, notes }] };
}

function parseEvaluation(body: unknown, _s: CareerStatus, username: string): ReturnType<CycleForm['parse']> {
  const errors: FieldErrors = {};
  const rating = (k: string, what: string): Rating | undefined => {
    const v = str(body, k, 20);
    if ((RATINGS as readonly string[]).includes(v)) return v as Rating;
    errors[k] = { code: 'RATING_REQUIRED', message: `Pilih rating ${what}` };
    return undefined;
  };
  const hasilKerja = rating('hasilKerja', 'hasil kerja');
  const perilaku = rating('perilaku', 'perilaku kerja');
  return hasilKerja && perilaku ? { errors, args: [{ evaluator: username, hasilKerja, perilaku }] } : { errors };
}

const FORMS: Record<string, CycleForm> = {
  skp: {
    writer: isSupervisor,
    due: 'expectations',
    section: 'h-skp',
    field: 'expectations',
    parse: parseExpectations,
    update: setExpectationsUpdate as unknown as CycleForm['update'],
  },
  dialog: {
    writer: isSupervisor,
    due: 'check_in',
    section: 'h-dialog',
    field: 'period',
    parse: parseCheckIn,
    update: checkInUpdate as unknown as CycleForm['update'],
  },
  penilaian: {
    writer: (s, u) => isSupervisor(s, u) || s.escalatedTo === u,
    due: 'evaluation',
    section: 'h-penilaian',
    field: 'hasilKerja',
    parse: parseEvaluation,
    update: evaluateUpdate as unknown as CycleForm['update'],
  },
};

const may = (f: CycleForm, s: CareerStatus, username: string): boolean =>
  f.writer(s, username) && careerDue(s).includes(f.due);

const idOf = (req: FastifyRequest): string => {
  const id = String((req.params as { id?: string }).id ?? '');
  if (!ID.test(id)) throw notFound('Karier', id.slice(0, 30));
  return id;
};

interface DetailOptions {
  values?: Record<string, string>;
  errors?: FieldErrors;
  status?: number;
}

async function detailView(
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  user: Viewer,
  opts: DetailOptions = {},
): Promise<FastifyReply> {
  const id = idOf(req);
  const s = await careerStatus(deps, id, user);
  const history = await careerHistory(deps, s.nip);
  const forms = Object.fromEntries(Object.entries(FORMS).map(([k, f]) => [k, may(f, s, user.username)]));
  const saved = SAVED[str(req.query, 'tersimpan', 20)];
  const errors = opts.errors ?? {};
  return renderPage(
    req,
    reply,
    'console/kinerja-pegawai',
    {
      title: `Kinerja ${history.name ?? s.nip}`,
      crumbs: [
        ['Konsol', `${req.site.prefix}/konsol`],
        [user.role === 'supervisor' ? 'Tim saya' : 'Kinerja pegawai', `${req.site.prefix}${K}`],
      ],
      s,
      history,
      stage: CAREER_STAGE_LABEL[s.stage] ?? s.stage,
      due: careerDue(s).map((d) => DUE_LABEL[d]),
      missing: missingCheckIns(s),
      events: [...s.events].reverse().map((e) => ({ ...e, when: wib(e.when) })),
      pending: s.pendingRecommendation ? LADDER_LABELS[s.pendingRecommendation as LadderStep] : null,
      ratings: RATINGS.map((r) => [r, RATING_LABEL[r]]),
      evaluationStatus: EVALUATION_STATUS,
      wib,
      forms,
      saved,
      values: { once: randomUUID(), ...opts.values },
      errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.message])),
      codes: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.code])),
      action: (form: string) => `${req.site.prefix}${K}/${encodeURIComponent(id)}/${form}`,
    },
    opts.status ?? 200,
  );
}

/** Sends the form's Update through the career service; a refusal of the workflow is shown at the form's field. */
async function submitForm(deps: ServiceDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const user = await requireStaff(deps.db, req, ['supervisor']);
  const id = idOf(req);
  const name = String((req.params as { form?: string }).form ?? '');
  const form = Object.hasOwn(FORMS, name) ? FORMS[name]! : undefined;
  if (!form) throw notFound('Formulir', name.slice(0, 20));
  const s = await careerStatus(deps, id, user);
  if (!form.writer(s, user.username))
    throw new AppError(403, 'NOT_ASSIGNED', 'Formulir ini hanya untuk atasan langsung pegawai ini');
  if (!may(form, s, user.username)) {
    const stale = {
      code: 'WRONG_STAGE',
      message: 'Formulir ini sudah tidak berlaku: sudah dicatat atau belum waktunya',
    };
    return detailView(deps, req, reply, user, { errors: { [form.section]: stale }, status: 409 });
  }
  const body = req.body as Body | undefined;
  const values = Object.fromEntries(
    ['expectations', 'period', 'notes', 'hasilKerja', 'perilaku', 'once'].map((k) => [k, str(body, k, 20_000)]),
  );
  const { errors, args } = form.parse(body, s, user.username);
  if (!args) return detailView(deps, req, reply, user, { values, errors, status: 422 });
  const once = /^[0-9a-f-]{36}$/.test(values.once ?? '') ? { updateId: `konsol-${name}-${values.once}` } : {};
  try {
    await updateCareer(deps, id, form.update, args as [never], once);
  } catch (err) {
    const t = classifyTemporalError(err);
    if (t.kind !== 'update-rejected') throw err;
    const refused = { [form.field]: { code: t.type, message: t.message } };
    return detailView(deps, req, reply, user, { values, errors: refused, status: 409 });
  }
  return reply.redirect(`${req.site.prefix}${K}/${encodeURIComponent(id)}?tersimpan=${name}`, 303);
}

export const consoleCareerRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  const page = { config: { access: 'public' as const }, schema: { hide: true } };
  const form = { config: { access: 'public' as const }, schema: { hide: true }, preHandler: app.csrfProtection };

  app.get(K, page, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['supervisor', 'hr', 'auditor']);
    const q = req.query as { halaman?: string; atasan?: string };
    const atasan = user.role !== 'supervisor' && /^[a-z0-9][a-z0-9._-]{2,63}$/.test(q.atasan ?? '') ? q.atasan : '';
    const list = await listTeam(deps, user, atasan ? { supervisor: atasan } : {}, {
      page: q.halaman,
      pageSize: PAGE_SIZE,
    });
    const base = `${req.site.prefix}${K}?${atasan ? `atasan=${encodeURIComponent(atasan)}&` : ''}halaman=`;
    return renderPage(req, reply, 'console/kinerja', {
      title: user.role === 'supervisor' ? 'Tim saya' : 'Kinerja pegawai',
      crumbs: [['Konsol', `${req.site.prefix}/konsol`]],
      list,
      pages: Math.max(1, Math.ceil(list.total / list.pageSize)),
      base,
      atasan,
      mine: user.role === 'supervisor',
      me: user.username,
      stageLabel: CAREER_STAGE_LABEL,
      dueLabel: DUE_LABEL,
    });
  });

  app.get(`${K}/:id`, page, async (req, reply) =>
    detailView(deps, req, reply, await requireStaff(deps.db, req, ['supervisor', 'hr', 'auditor'])),
  );
  app.post(`${K}/:id/:form`, form, async (req, reply) => submitForm(deps, req, reply));
};
