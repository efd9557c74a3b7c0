import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from '../../db/accounts';
import type { Db } from '../../db/connection';
import {
  findStaff,
  findStaffLogin,
  isStaffRole,
  listStaff,
  mustChangePassword,
  setStaffDisabled,
  setStaffPassword,
  STAFF_ROLES,
} from '../../db/staff';
import type { User } from '../../db/users';
import { AppError, notFound } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { documentContent } from '../../api/services/document-content';
import { decideTask, taskDetail } from '../../api/services/reviews';
import { loadRoundConfig } from '../../api/services/registrations';
import { CATEGORY_LABEL, tanggal, wib } from '../labels';
import { renderPage } from '../render';
import { endSession, startSession } from '../session';
import { formationView } from './public';
import { requireStaff, ROLE_LABEL } from '../staff';

/**
 * The staff console at /portal/konsol: sign-in with a password for HR, reviewers, supervisors and
 * auditors (the same session cookie as the portal), HR's user page, the reviewer's workbench
 * (inbox, task page with the documents inline beside the declared data, the decision through the
 * reviews service) and the document endpoint. Every page checks the role on the server.
 */
export const CONSOLE = '/konsol';

export { ROLE_LABEL };
export const KIND_LABEL: Record<string, string> = { verification: 'Verifikasi administrasi', sanggah: 'Jawab sanggah' };
export const STAGE_LABEL: Record<string, string> = { administrasi: 'Administrasi', final: 'Hasil akhir' };
const SEX_LABEL: Record<string, string> = { L: 'Laki-laki', P: 'Perempuan' };

/** The standard reasons for TMS (Tidak Memenuhi Syarat); the reviewer may add free text to each. */
export const TMS_REASONS = [
  'Dokumen tidak terbaca',
  'Dokumen bukan milik pelamar',
  'Dokumen tidak lengkap atau terpotong',
  'Jenis dokumen tidak sesuai (salah unggah)',
  'Ijazah tidak sesuai kualifikasi pendidikan formasi',
  'IPK di bawah syarat',
  'Data pada dokumen berbeda dengan data yang diisi pelamar',
  'Dokumen tidak ditandatangani atau tidak dilegalisasi',
  'Dokumen sudah tidak berlaku',
  'Pas foto atau swafoto tidak sesuai ketentuan',
] as const;

type Body = Record<string, unknown>;
const str = (b: unknown, k: string, max = 500): string => {
  const v = (b as Body | undefined)?.[k];
  return typeof v === 'string' ? v.slice(0, max) : '';
};
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

/** Where to go after the sign-in: only a console path (never another site). */
export function consoleNext(prefix: string, next: unknown): string {
  const home = `${prefix}${CONSOLE}`;
  if (
    typeof next !== 'string' ||
    !(next === home || next.startsWith(`${home}/`)) ||
    next.startsWith('//') ||
    /[\\\r\n]/.test(next) ||
    next.length > 500
  )
    return home;
  return next;
}

function passwordErrors(password: string, repeat: string, field = 'password'): Record<string, string> {
  const e: Record<string, string> = {};
  if ([...password].length < PASSWORD_MIN) e[field] = `Kata sandi paling sedikit ${PASSWORD_MIN} karakter`;
  else if ([...password].length > PASSWORD_MAX) e[field] = `Kata sandi paling banyak ${PASSWORD_MAX} karakter`;
  if (!e[field] && password !== repeat) e[`${field}2`] = 'Ulangi kata sandi yang sama';
  return e;
}

const page = { config: { access: 'public' as const }, schema: { hide: true } };
const formOf = (app: FastifyInstance) => ({ ...page, preHandler: app.csrfProtection });
const u = (req: FastifyRequest, p: string): string => `${req.site.prefix}${CONSOLE}${p}`;
const crumbs = (req: FastifyRequest, ...more: [string, string][]): [string, string][] => [
  ['Konsol', u(req, '')],
  ...more,
];
const TASK_ID = /^[A-Za-z0-9:_-]{1,200}$/;
/** A form's values as sent and the message for each field to fix. */
interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** The signed-in staff user, or 401 (for the pages any staff role may open). */
function staffUser(req: FastifyRequest): User {
  const user = req.user;
  if (!user || !isStaffRole(user.role))
    throw new AppError(401, 'STAFF_LOGIN_REQUIRED', 'Silakan masuk ke konsol petugas');
  return user;
}

export const consoleRoutes: FastifyPluginAsync<{
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
}> = async (app: FastifyInstance, { deps, rateLimit }) => {
  signInRoutes(app, deps.db, rateLimit);
  userRoutes(app, deps.db);
  taskRoutes(app, deps);
  documentRoutes(app, deps);
};

// ---- sign-in, sign-out, own password, home ----
function loginView(
  req: FastifyRequest,
  reply: FastifyReply,
  values: Record<string, string>,
  status = 200,
  message?: string,
): FastifyReply {
  return renderPage(
    req,
    reply,
    'console/login',
    { title: 'Masuk konsol petugas', values, message, next: consoleNext(req.site.prefix, values.next) },
    status,
  );
}

function passwordView(
  req: FastifyRequest,
  reply: FastifyReply,
  errors: Record<string, string>,
  status = 200,
): FastifyReply {
  return renderPage(
    req,
    reply,
    'console/password',
    { title: 'Ganti kata sandi', crumbs: crumbs(req), errors, passwordMin: PASSWORD_MIN },
    status,
  );
}

async function signIn(db: Db, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const username = str(req.body, 'username', 100).trim().toLowerCase();
  const password = str(req.body, 'password', 1000);
  const next = consoleNext(req.site.prefix, str(req.body, 'next', 500));
  const login = username ? await findStaffLogin(db, username) : undefined;
  const ok = await verifyPassword(login?.passwordHash ?? undefined, password);
  if (!ok || !login)
    return loginView(
      req,
      reply,
      { username, next },
      401,
      'Nama pengguna atau kata sandi salah, atau akun dinonaktifkan.',
    );
  await startSession(db, req, reply, login.userId);
  if (await mustChangePassword(db, login.userId)) return reply.redirect(u(req, '/sandi?info=ganti-sandi-awal'), 303);
  return reply.redirect(next, 303);
}

async function changeOwnPassword(db: Db, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const user = staffUser(req);
  const current = str(req.body, 'current', 1000);
  const password = str(req.body, 'password', 1000);
  const errors = passwordErrors(password, str(req.body, 'password2', 1000));
  const login = await findStaffLogin(db, user.username);
  if (!(await verifyPassword(login?.passwordHash ?? undefined, current))) errors.current = 'Kata sandi saat ini salah';
  else if (!errors.password && current === password)
    errors.password = 'Pilih kata sandi yang berbeda dari kata sandi saat ini';
  if (Object.keys(errors).length) return passwordView(req, reply, errors, 422);
  await setStaffPassword(db, user.userId, await hashPassword(password), { initial: false });
  await startSession(db, req, reply, user.userId); // every old session ended with the change
  return reply.redirect(u(req, '?info=sandi-diganti'), 303);
}

function signInRoutes(app: FastifyInstance, db: Db, rateLimit: { max: number; timeWindow: number }): void {
  const loginForm = { ...page, config: { ...page.config, rateLimit }, preHandler: app.csrfProtection };
  app.get(`${CONSOLE}/masuk`, page, async (req, reply) =>
    loginView(req, reply, { next: str(req.query, 'lanjut', 500) }),
  );
  app.post(`${CONSOLE}/masuk`, loginForm, async (req, reply) => signIn(db, req, reply));
  app.post(`${CONSOLE}/keluar`, formOf(app), async (req, reply) => {
    await endSession(db, req, reply);
    return reply.redirect(u(req, '/masuk?info=keluar'), 303);
  });
  app.get(`${CONSOLE}/sandi`, page, async (req, reply) => {
    staffUser(req);
    return passwordView(req, reply, {});
  });
  app.post(`${CONSOLE}/sandi`, loginForm, async (req, reply) => changeOwnPassword(db, req, reply));
  app.get(CONSOLE, page, async (req, reply) => {
    const user = await requireStaff(db, req);
    const open = user.role === 'reviewer' ? await openCount(db, user.username) : undefined;
    return renderPage(req, reply, 'console/home', {
      title: 'Konsol petugas',
      user,
      roleLabel: ROLE_LABEL[user.role],
      open,
    });
  });
}

// ---- HR: staff users ----
async function usersView(
  db: Db,
  req: FastifyRequest,
  reply: FastifyReply,
  form: FormState,
  status = 200,
): Promise<FastifyReply> {
  return renderPage(
    req,
    reply,
    'console/users',
    {
      title: 'Pengguna petugas',
      crumbs: crumbs(req),
      rows: await listStaff(db),
      roles: STAFF_ROLES.map((r) => [r, ROLE_LABEL[r]]),
      roleLabel: ROLE_LABEL,
      ...form,
      passwordMin: PASSWORD_MIN,
      me: req.user?.userId,
      wib,
    },
    status,
  );
}

async function createStaff(db: Db, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireStaff(db, req, ['hr']);
  const values = {
    username: str(req.body, 'username', 100).trim().toLowerCase(),
    displayName: str(req.body, 'displayName', 200).trim(),
    role: str(req.body, 'role', 20),
  };
  const password = str(req.body, 'password', 1000);
  const errors: Record<string, string> = {};
  if (!USERNAME.test(values.username))
    errors.username =
      'Nama pengguna 3–64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung, diawali huruf atau angka';
  if (!values.displayName) errors.displayName = 'Tulis nama lengkap petugas';
  if (!isStaffRole(values.role)) errors.role = 'Pilih peran';
  Object.assign(errors, passwordErrors(password, str(req.body, 'password2', 1000)));
  if (
    !errors.username &&
    (await db.selectFrom('users').select('user_id').where('username', '=', values.username).executeTakeFirst())
  )
    errors.username = 'Nama pengguna ini sudah dipakai';
  if (Object.keys(errors).length) return usersView(db, req, reply, { values, errors }, 422);
  const passwordHash = await hashPassword(password);
  try {
    await db
      .insertInto('users')
      .values({
        username: values.username,
        display_name: values.displayName,
        role: values.role,
        registration_no: null,
        password_hash: passwordHash,
        password_must_change: true,
        password_changed_at: new Date().toISOString(),
      })
      .execute();
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    return usersView(db, req, reply, { values, errors: { username: 'Nama pengguna ini sudah dipakai' } }, 422);
  }
  return reply.redirect(u(req, '/pengguna?info=pengguna-dibuat'), 303);
}

async function staffParam(db: Db, req: FastifyRequest) {
  const id = String((req.params as { userId?: string }).userId ?? '');
  const row = /^[0-9]{1,18}$/.test(id) ? await findStaff(db, id) : undefined;
  if (!row) throw notFound('Pengguna', id.slice(0, 40));
  return row;
}

function userRoutes(app: FastifyInstance, db: Db): void {
  const form = formOf(app);
  app.get(`${CONSOLE}/pengguna`, page, async (req, reply) => {
    await requireStaff(db, req, ['hr']);
    return usersView(db, req, reply, { values: {}, errors: {} });
  });
  app.post(`${CONSOLE}/pengguna`, form, async (req, reply) => createStaff(db, req, reply));
  app.post(`${CONSOLE}/pengguna/:userId/status`, form, async (req, reply) => {
    const me = await requireStaff(db, req, ['hr']);
    const target = await staffParam(db, req);
    const disable = str(req.body, 'action', 20) === 'nonaktifkan';
    if (disable && target.userId === me.userId)
      throw new AppError(422, 'CANNOT_DISABLE_SELF', 'Anda tidak dapat menonaktifkan akun Anda sendiri');
    await setStaffDisabled(db, target.userId, disable);
    return reply.redirect(u(req, `/pengguna?info=${disable ? 'pengguna-nonaktif' : 'pengguna-aktif'}`), 303);
  });
  app.post(`${CONSOLE}/pengguna/:userId/sandi`, form, async (req, reply) => {
    await requireStaff(db, req, ['hr']);
    const target = await staffParam(db, req);
    const password = str(req.body, 'password', 1000);
    const errors = passwordErrors(password, password);
    if (errors.password) throw new AppError(422, 'INVALID_PASSWORD', errors.password);
    await setStaffPassword(db, target.userId, await hashPassword(password), { initial: true });
    return reply.redirect(u(req, '/pengguna?info=sandi-awal-diatur'), 303);
  });
}

// ---- the reviewer's workbench ----
async function inboxPage(db: Db, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const user = await requireStaff(db, req, ['reviewer', 'hr', 'auditor']);
  const rows = await inbox(db, user.role === 'reviewer' ? user.username : undefined);
  const now = Date.now();
  const items = rows.map((t) => ({
    ...t,
    dueWib: wib(t.dueAt),
    overdue: Date.parse(t.dueAt) < now,
    soon: Date.parse(t.dueAt) >= now && Date.parse(t.dueAt) < now + 86_400_000,
    kindLabel: KIND_LABEL[t.kind] ?? t.kind,
    stageLabel: STAGE_LABEL[t.stage] ?? t.stage,
  }));
  const counts = {
    open: items.length,
    overdue: items.filter((t) => t.overdue).length,
    soon: items.filter((t) => t.soon).length,
    verification: items.filter((t) => t.kind === 'verification').length,
    sanggah: items.filter((t) => t.kind === 'sanggah').length,
  };
  return renderPage(req, reply, 'console/inbox', {
    title: user.role === 'reviewer' ? 'Tugas saya' : 'Semua tugas terbuka',
    crumbs: crumbs(req),
    items,
    counts,
    all: user.role !== 'reviewer',
  });
}

type Task = Awaited<ReturnType<typeof taskDetail>>['task'];

/** What the task page shows beside the task: its row, the application, the round, the documents, the decisions so far. */
async function taskFacts(deps: ServiceDeps, task: Task, taskId: string) {
  const db = deps.db;
  const [row, a, { config }, docs, verification, sanggah] = await Promise.all([
    db.selectFrom('tasks').select(['note', 'reviewer']).where('task_id', '=', taskId).executeTakeFirstOrThrow(),
    db
      .selectFrom('applications')
      .selectAll()
      .where('registration_no', '=', task.registrationNo)
      .executeTakeFirstOrThrow(),
    loadRoundConfig(deps, task.roundId),
    db
      .selectFrom('documents')
      .select(['document_id', 'kind', 'file_type', 'size', 'uploaded_at'])
      .where('registration_no', '=', task.registrationNo)
      .orderBy('document_id')
      .execute(),
    db
      .selectFrom('verifications')
      .select(['result', 'reviewer', 'decisions', 'decided_at'])
      .where('registration_no', '=', task.registrationNo)
      .where('stage', '=', task.stage)
      .executeTakeFirst(),
    task.kind === 'sanggah'
      ? db
          .selectFrom('sanggah')
          .selectAll()
          .where('registration_no', '=', task.registrationNo)
          .where('stage', '=', task.stage)
          .executeTakeFirst()
      : undefined,
  ]);
  return { row, a, config, docs, verification, sanggah };
}
type TaskFacts = Awaited<ReturnType<typeof taskFacts>>;

/** The applicant's declared data as the task page shows it. */
function applicantView({ a, config }: TaskFacts) {
  return {
    registrationNo: a.registration_no,
    fullName: a.full_name,
    nik: a.nik,
    birthDate: tanggal(a.birth_date),
    age: ageOn(a.birth_date, config.referenceDate),
    sex: SEX_LABEL[a.sex] ?? a.sex,
    category: CATEGORY_LABEL[a.category] ?? a.category,
    educationLevel: a.education_level,
    educationProgram: a.education_program,
    ipk: (a.ipk / 100).toFixed(2).replace('.', ','),
    experienceYears: a.experience_years,
    warnings: Array.isArray(a.nik_warnings)
      ? (a.nik_warnings as { message?: string }[]).map((w) => w.message ?? String(w))
      : [],
  };
}

/** The submitted documents (the newest upload of each kind; the workflow holds the ids, PostgreSQL mirrors them) and the decisions so far. */
function documentsView(req: FastifyRequest, { config, docs, verification, sanggah }: TaskFacts) {
  const label = (kind: string) => config.documentRules[kind as keyof typeof config.documentRules]?.label ?? kind;
  const submitted = new Map<string, (typeof docs)[number]>();
  for (const d of docs) submitted.set(d.kind, d);
  return {
    documents: [...submitted.values()].map((d) => ({
      id: String(d.document_id),
      kind: d.kind,
      label: label(d.kind),
      fileType: d.file_type,
      size: Math.round(d.size / 1024),
      href: u(req, `/dokumen/${String(d.document_id)}`),
    })),
    verification: verification && {
      ...verification,
      decisions: (verification.decisions as { kind: string; result: string; reason?: string }[]).map((d) => ({
        ...d,
        label: label(d.kind),
      })),
      decidedWib: wib(new Date(verification.decided_at).toISOString()),
    },
    sanggah: sanggah && { ...sanggah, filedWib: wib(new Date(sanggah.filed_at).toISOString()) },
  };
}

async function taskPage(
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  user: User,
  taskId: string,
  { values, errors }: FormState,
  status = 200,
): Promise<FastifyReply> {
  if (!TASK_ID.test(taskId)) throw notFound('Tugas', taskId.slice(0, 40));
  const { task } = await taskDetail(deps, user, taskId);
  const facts = await taskFacts(deps, task, taskId);
  const { row, a, config } = facts;
  const f = config.formations.find((x) => x.formationId === a.formation_id);
  const next =
    user.role === 'reviewer' ? (await inbox(deps.db, user.username)).find((t) => t.taskId !== taskId) : undefined;
  return renderPage(
    req,
    reply,
    'console/task',
    {
      title: `${KIND_LABEL[task.kind] ?? task.kind}: ${a.full_name}`,
      crumbs: crumbs(req, ['Tugas', u(req, '/tugas')]),
      task: {
        ...task,
        dueWib: wib(task.dueAt),
        kindLabel: KIND_LABEL[task.kind],
        stageLabel: STAGE_LABEL[task.stage] ?? task.stage,
        note: row.note,
        reviewer: row.reviewer,
      },
      app: applicantView(facts),
      formation: f ? formationView(config, f) : undefined,
      minIpk: f && 'minIpk' in f ? (f as { minIpk?: number }).minIpk : undefined,
      ...documentsView(req, facts),
      canDecide: task.status === 'open' && row.reviewer === user.username,
      reasons: TMS_REASONS,
      next: next && { href: u(req, `/tugas/${encodeURIComponent(next.taskId)}`), name: next.fullName },
      values,
      errors,
      action: u(req, `/tugas/${encodeURIComponent(taskId)}`),
    },
    status,
  );
}

/** The per-document MS/TMS decisions from the form; what is wrong goes into errors. */
function verificationDecisions<K extends string>(
  documents: { kind: K }[],
  values: Record<string, string>,
  errors: Record<string, string>,
) {
  return documents.map((d) => {
    const result = values[`result_${d.kind}`];
    const reason = values[`reason_${d.kind}`] ?? '';
    const note = (values[`note_${d.kind}`] ?? '').trim();
    if (result !== 'MS' && result !== 'TMS') errors[`result_${d.kind}`] = `Pilih MS atau TMS untuk ${d.kind}`;
    if (result === 'TMS' && reason && !(TMS_REASONS as readonly string[]).includes(reason))
      errors[`reason_${d.kind}`] = 'Pilih alasan dari daftar';
    if (result === 'TMS' && !reason && !note)
      errors[`reason_${d.kind}`] = `Pilih alasan TMS untuk ${d.kind} atau tulis keterangan`;
    if (note.length > 500) errors[`note_${d.kind}`] = 'Keterangan paling banyak 500 karakter';
    return result === 'TMS'
      ? { kind: d.kind, result: 'TMS' as const, reason: [reason, note].filter(Boolean).join(' — ') }
      : { kind: d.kind, result: 'MS' as const };
  });
}

async function decide(deps: ServiceDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const user = await requireStaff(deps.db, req, ['reviewer']);
  const taskId = String((req.params as { taskId?: string }).taskId ?? '');
  if (!TASK_ID.test(taskId)) throw notFound('Tugas', taskId.slice(0, 40));
  const { task, status } = await taskDetail(deps, user, taskId);
  const body = (req.body ?? {}) as Body;
  const values: Record<string, string> = Object.fromEntries(
    Object.entries(body)
      .filter(([k, v]) => k !== '_csrf' && typeof v === 'string')
      .map(([k, v]) => [k, String(v).slice(0, 2000)]),
  );
  const errors: Record<string, string> = {};
  if (task.kind === 'verification') {
    const decisions = verificationDecisions(status.documents, values, errors);
    if (Object.keys(errors).length) return taskPage(deps, req, reply, user, taskId, { values, errors }, 422);
    await decideTask(deps, user, taskId, { decisions }, `konsol:${taskId}`);
  } else {
    const accepted = values.accepted;
    const answer = (values.answer ?? '').trim();
    if (accepted !== 'ya' && accepted !== 'tidak') errors.accepted = 'Pilih apakah sanggah diterima atau ditolak';
    if (answer.length < 10) errors.answer = 'Tulis jawaban sanggah, paling sedikit 10 karakter';
    if (answer.length > 2000) errors.answer = 'Jawaban paling banyak 2000 karakter';
    if (Object.keys(errors).length) return taskPage(deps, req, reply, user, taskId, { values, errors }, 422);
    await decideTask(deps, user, taskId, { accepted: accepted === 'ya', answer }, `konsol:${taskId}`);
  }
  // On to the next open task (soonest deadline first), or back to the empty inbox.
  const next = (await inbox(deps.db, user.username)).find((t) => t.taskId !== taskId);
  return reply.redirect(
    next
      ? u(req, `/tugas/${encodeURIComponent(next.taskId)}?info=keputusan-tersimpan`)
      : u(req, '/tugas?info=keputusan-tersimpan-habis'),
    303,
  );
}

function taskRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get(`${CONSOLE}/tugas`, page, async (req, reply) => inboxPage(deps.db, req, reply));
  app.get(`${CONSOLE}/tugas/:taskId`, page, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['reviewer', 'hr', 'auditor']);
    const taskId = String((req.params as { taskId?: string }).taskId ?? '');
    return taskPage(deps, req, reply, user, taskId, { values: {}, errors: {} });
  });
  app.post(`${CONSOLE}/tugas/:taskId`, formOf(app), async (req, reply) => decide(deps, req, reply));
}

// ---- the documents, inline, for the assigned reviewer, HR and auditors ----
function documentRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get(`${CONSOLE}/dokumen/:documentId`, page, async (req, reply) => {
    const user = staffUser(req);
    const doc = await documentContent(deps, user, String((req.params as { documentId?: string }).documentId ?? ''));
    return reply
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header(
        'content-disposition',
        `inline; filename="${doc.kind}-${doc.registrationNo.replace(/[^A-Za-z0-9-]/g, '')}.${doc.fileType === 'jpeg' ? 'jpg' : doc.fileType}"`,
      )
      .header('content-security-policy', "default-src 'none'; frame-ancestors 'self'")
      .header('etag', `"${doc.sha256}"`)
      .type(doc.contentType)
      .send(doc.content);
  });
}

export interface InboxRow {
  taskId: string;
  registrationNo: string;
  kind: string;
  stage: string;
  dueAt: string;
  reviewer: string;
  fullName: string;
  formationId: string;
  note: string | null;
}

/** Open tasks, soonest deadline first (one reviewer's, or everyone's for HR and auditors). No cap: the inbox is what is open. */
async function inbox(db: Db, reviewer: string | undefined): Promise<InboxRow[]> {
  const rows = await db
    .selectFrom('tasks')
    .innerJoin('applications', 'applications.registration_no', 'tasks.registration_no')
    .select([
      'tasks.task_id',
      'tasks.registration_no',
      'tasks.kind',
      'tasks.stage',
      'tasks.due_at',
      'tasks.reviewer',
      'tasks.note',
      'applications.full_name',
      'applications.formation_id',
    ])
    .where('tasks.status', '=', 'open')
    .$if(reviewer !== undefined, (q) => q.where('tasks.reviewer', '=', reviewer!))
    .orderBy('tasks.due_at')
    .orderBy('tasks.task_id')
    .execute();
  return rows.map((r) => ({
    taskId: r.task_id,
    registrationNo: r.registration_no,
    kind: r.kind,
    stage: r.stage,
    dueAt: new Date(r.due_at).toISOString(),
    reviewer: r.reviewer,
    fullName: r.full_name,
    formationId: r.formation_id,
    note: r.note,
  }));
}

async function openCount(db: Db, reviewer: string): Promise<number> {
  const r = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('reviewer', '=', reviewer)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Whole years of age on a date (both YYYY-MM-DD). */
function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.slice(0, 10).split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.slice(0, 10).split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
