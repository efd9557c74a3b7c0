import { randomUUID } from 'node:crypto';
import type { UpdateDefinition } from '@temporalio/common';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { classifyTemporalError } from '../../config/temporal-errors';
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
  type CareerStage,
} from '../../contracts';
import { LADDER_LABELS, RATINGS, type LadderStep, type Rating } from '../../domain';
import { AppError, notFound } from '../../api/errors';
import { MULTI_LINE_PATTERN } from '../../api/schemas/common';
import { careerDue, careerHistory, listTeam, missingCheckIns, type CareerDue } from '../../api/services/career-team';
import { assignSupervisor, careerStatus, updateCareer } from '../../api/services/careers';
import type { ServiceDeps } from '../../api/services/deps';
import { listStaff } from '../../db/staff';
import type { User } from '../../db/users';
import { wib } from '../labels';
import { renderPage } from '../render';
import { requireStaff } from '../staff';

/**
 * The supervisor's pages of the console (issue 18): "my team" with each career's cycle state and
 * what is due, and one employee's career — probation, this year's SKP plan, check-ins, the
 * evaluation, the follow-up and the history — with the forms of the SKP cycle. Only the assigned
 * supervisor writes (the evaluation also the unit head after an escalation), through the same
 * career service the JSON API calls; HR has its own forms there (the supervisor and unit head,
 * the probation records and decision, the decision on a recommendation); auditors read.
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
  atasan: 'Atasan langsung dan kepala unit tersimpan.',
  latsar: 'Hasil Latsar tercatat.',
  sehat: 'Surat keterangan sehat tercatat.',
  perpanjangan: 'Perpanjangan masa percobaan tercatat.',
  'keputusan-percobaan': 'Keputusan pejabat atas masa percobaan tercatat.',
  rekomendasi: 'Keputusan pejabat atas rekomendasi tercatat.',
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

type Once = { updateId?: string };
type Parsed = { errors: FieldErrors; args?: [unknown] };

/** One form of the career page: who may send it, when, how its fields are read, and what it sends. */
interface CycleForm {
  /** The role whose form it is. */
  role: 'supervisor' | 'hr';
  /** Whose form it is (the assigned supervisor; for the evaluation also the unit head after an escalation). */
  writer: (s: CareerStatus, username: string) => boolean;
  /** Whether the career is waiting for it. */
  open: (s: CareerStatus) => boolean;
  /** The page section the form is in (where a stale form's refusal is shown). */
  section: string;
  /** The field the refusal of the workflow (or of the service) is shown at. */
  field: string;
  /** The form's fields, given back to the page with its errors. */
  fields: string[];
  parse: (body: unknown, s: CareerStatus, username: string) => Parsed;
  send: (deps: ServiceDeps, id: string, args: [never], once: Once) => Promise<unknown>;
}

/** Sends the form's arguments as one Update of the career workflow. */
const viaUpdate =
  (update: unknown): CycleForm['send'] =>
  (deps, id, args, once) =>
    updateCareer(deps, id, update as UpdateDefinition<CareerStatus, [never]>, args, once);
const dueIs = (due: CareerDue) => (s: CareerStatus) => careerDue(s).includes(due);

const isSupervisor = (s: CareerStatus, username: string): boolean => s.supervisor === username;

function parseExpectations(body: unknown, _s: CareerStatus, username: string): Parsed {
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

function parseCheckIn(body: unknown, s: CareerStatus, username: string): Parsed {
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

function parseEvaluation(body: unknown, _s: CareerStatus, username: string): Parsed {
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

/** A yes/no choice (radio buttons `ya`/`tidak`); undefined, with the field's error, when neither was chosen. */
function yesNo(body: unknown, k: string, errors: FieldErrors, message: string): boolean | undefined {
  const v = str(body, k, 10);
  if (v === 'ya' || v === 'tidak') return v === 'ya';
  errors[k] = { code: 'CHOICE_REQUIRED', message };
  return undefined;
}

/** A required text field checked as the JSON routes' PlainText (single-line up to 200 characters, multi-line above). */
function text(body: unknown, k: string, errors: FieldErrors, what: string, max: number, min = 1): string {
  const v = str(body, k, max + 1)
    .replace(/\r\n?/g, '\n')
    .trim();
  const multiline = max > 200;
  if (v.length < min)
    errors[k] = {
      code: 'TEXT_REQUIRED',
      message: min > 1 ? `Tulis ${what}, paling sedikit ${min} karakter` : `Tulis ${what}`,
    };
  else if (v.length > max) errors[k] = { code: 'TEXT_TOO_LONG', message: `${what} paling banyak ${max} karakter` };
  else if (!PLAIN.test(v) || (!multiline && v.includes('\n')))
    errors[k] = { code: 'TEXT_INVALID', message: `${what} berisi karakter yang tidak diizinkan` };
  return v;
}

const done = (errors: FieldErrors, arg: unknown): Parsed =>
  Object.keys(errors).length ? { errors } : { errors, args: [arg] };

function parseAssign(body: unknown, _s: CareerStatus, actor: string): Parsed {
  const errors: FieldErrors = {};
  const supervisor = text(body, 'supervisor', errors, 'Atasan langsung', 100);
  const unitHead = text(body, 'unitHead', errors, 'Kepala unit', 100);
  const reason = text(body, 'assignReason', errors, 'alasan penetapan', 1000, 3);
  return done(errors, { actor, supervisor, unitHead, reason });
}

/** The official's decision (on a failed probation or on a recommendation): who, yes or no, why. */
const parseDecision =
  (prefix: 'prob' | 'rec', yes: 'appoint' | 'approved', question: string) =>
  (body: unknown): Parsed => {
    const errors: FieldErrors = {};
    const official = text(body, `${prefix}Official`, errors, 'nama jabatan pejabat', 200);
    const choice = yesNo(body, yes, errors, question);
    const reason = text(body, `${prefix}Reason`, errors, 'alasan keputusan', 1000);
    return done(errors, { official, [yes]: choice, reason });
  };

function parseExtension(body: unknown, _s: CareerStatus, actor: string): Parsed {
  const errors: FieldErrors = {};
  const months = Number(str(body, 'months', 3));
  if (!Number.isInteger(months) || months < 1 || months > 12)
    errors.months = { code: 'MONTHS_INVALID', message: 'Lama perpanjangan 1 sampai 12 bulan' };
  const reason = text(body, 'extensionReason', errors, 'alasan perpanjangan', 1000);
  return done(errors, { actor, months, reason });
}

const isHr = (): boolean => true;
const inProbation = (s: CareerStatus): boolean => s.stage === 'probation';
const hrForm = (section: string, fields: string[], rest: Pick<CycleForm, 'open' | 'parse' | 'send'>): CycleForm => ({
  role: 'hr',
  writer: isHr,
  section,
  field: fields[0]!,
  fields,
  ...rest,
});

/** A probation record (Latsar, health): a yes/no field, open while the CPNS is in probation and it is not recorded. */
const probationRecord = (
  record: 'latsar' | 'healthy',
  field: 'passed' | 'healthy',
  message: string,
  update: unknown,
): CycleForm =>
  hrForm('h-percobaan', [field], {
    open: (s) => inProbation(s) && s.probation?.[record] === null,
    parse: (b, _s, actor) => {
      const errors: FieldErrors = {};
      return done(errors, { actor, [field]: yesNo(b, field, errors, message) });
    },
    send: viaUpdate(update),
  });

/** HR's forms (issue 18): the same services the JSON routes `/careers/{nip}/…` call. */
const HR_FORMS: Record<string, CycleForm> = {
  atasan: hrForm('h-atasan', ['supervisor', 'unitHead', 'assignReason'], {
    open: (s) => s.stage !== 'retired' && s.stage !== 'dismissed',
    parse: parseAssign,
    send: (deps, id, [arg], once) => assignSupervisor(deps, id, arg, once),
  }),
  latsar: probationRecord('latsar', 'passed', 'Pilih hasil Latsar', recordLatsarUpdate),
  sehat: probationRecord('healthy', 'healthy', 'Pilih isi surat keterangan sehat', recordHealthUpdate),
  perpanjangan: hrForm('h-percobaan', ['months', 'extensionReason'], {
    open: inProbation,
    parse: parseExtension,
    send: viaUpdate(extendProbationUpdate),
  }),
  'keputusan-percobaan': hrForm('h-percobaan', ['probOfficial', 'appoint', 'probReason'], {
    open: (s) => s.stage === 'probation_decision',
    parse: parseDecision('prob', 'appoint', 'Pilih apakah CPNS diangkat menjadi PNS'),
    send: viaUpdate(decideProbationUpdate),
  }),
  rekomendasi: hrForm('h-tindak', ['recOfficial', 'approved', 'recReason'], {
    open: (s) => Boolean(s.pendingRecommendation),
    parse: parseDecision('rec', 'approved', 'Pilih apakah rekomendasi disetujui'),
    send: viaUpdate(decideRecommendationUpdate),
  }),
};

const FORMS: Record<string, CycleForm> = {
  skp: {
    role: 'supervisor',
    writer: isSupervisor,
    open: dueIs('expectations'),
    section: 'h-skp',
    field: 'expectations',
    fields: ['expectations'],
    parse: parseExpectations,
    send: viaUpdate(setExpectationsUpdate),
  },
  dialog: {
    role: 'supervisor',
    writer: isSupervisor,
    open: dueIs('check_in'),
    section: 'h-dialog',
    field: 'period',
    fields: ['period', 'notes'],
    parse: parseCheckIn,
    send: viaUpdate(checkInUpdate),
  },
  penilaian: {
    role: 'supervisor',
    writer: (s, u) => isSupervisor(s, u) || s.escalatedTo === u,
    open: dueIs('evaluation'),
    section: 'h-penilaian',
    field: 'hasilKerja',
    fields: ['hasilKerja', 'perilaku'],
    parse: parseEvaluation,
    send: viaUpdate(evaluateUpdate),
  },
  ...HR_FORMS,
};

const may = (f: CycleForm, s: CareerStatus, user: Viewer): boolean =>
  f.role === user.role && f.writer(s, user.username) && f.open(s);

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
  const forms = Object.fromEntries(Object.entries(FORMS).map(([k, f]) => [k, may(f, s, user)]));
  const staff = forms.atasan ? await supervisorsOf(deps) : [];
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
      staff,
      saved,
      values: { once: randomUUID(), supervisor: s.supervisor ?? '', unitHead: s.unitHead ?? '', ...opts.values },
      errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.message])),
      codes: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.code])),
      action: (form: string) => `${req.site.prefix}${K}/${encodeURIComponent(id)}/${form}`,
    },
    opts.status ?? 200,
  );
}

/** The enabled supervisor accounts, for HR's choice of supervisor and unit head. */
async function supervisorsOf(deps: ServiceDeps): Promise<[string, string][]> {
  const rows = await listStaff(deps.db);
  return rows.filter((r) => r.role === 'supervisor' && !r.disabled).map((r) => [r.username, r.displayName]);
}

const notAssigned = () => new AppError(403, 'NOT_ASSIGNED', 'Formulir ini hanya untuk atasan langsung pegawai ini');

/** The form the request names, if the signed-in user's role may send it (else 403). */
function formFor(req: FastifyRequest, user: Viewer): [string, CycleForm] {
  const name = String((req.params as { form?: string }).form ?? '');
  const form = Object.hasOwn(FORMS, name) ? FORMS[name]! : undefined;
  if (!form) throw notFound('Formulir', name.slice(0, 20));
  if (form.role === 'hr' && user.role !== 'hr') throw new AppError(403, 'HR_ONLY', 'Formulir ini hanya untuk SDM');
  if (form.role !== user.role) throw notAssigned();
  return [name, form];
}

/** A refusal of the service's check (422) or of the workflow (409) as a field error; anything else is thrown again. */
function refusalOf(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof AppError && err.statusCode === 422) return { status: 422, code: err.code, message: err.message };
  const t = classifyTemporalError(err);
  if (t.kind !== 'update-rejected') throw err;
  return { status: 409, code: t.type, message: t.message };
}

/** Sends the form through the career service; a refusal is shown at the form's field. */
async function submitForm(deps: ServiceDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const user = await requireStaff(deps.db, req, ['supervisor', 'hr']);
  const id = idOf(req);
  const [name, form] = formFor(req, user);
  const s = await careerStatus(deps, id, user);
  if (!form.writer(s, user.username)) throw notAssigned();
  if (!may(form, s, user)) {
    const stale = {
      code: 'WRONG_STAGE',
      message: 'Formulir ini sudah tidak berlaku: sudah dicatat atau belum waktunya',
    };
    return detailView(deps, req, reply, user, { errors: { [form.section]: stale }, status: 409 });
  }
  const body = req.body as Body | undefined;
  const values = Object.fromEntries([...form.fields, 'once'].map((k) => [k, str(body, k, 20_000)]));
  const { errors, args } = form.parse(body, s, user.username);
  if (!args) return detailView(deps, req, reply, user, { values, errors, status: 422 });
  const once = /^[0-9a-f-]{36}$/.test(values.once ?? '') ? { updateId: `konsol-${name}-${values.once}` } : {};
  try {
    await form.send(deps, id, args as [never], once);
  } catch (err) {
    const { status, ...refused } = refusalOf(err);
    return detailView(deps, req, reply, user, { values, errors: { [form.field]: refused }, status });
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
