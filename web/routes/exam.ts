import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toErrorResponse } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { proctorSessions } from '../../api/services/exam-proctor';
import {
  examSummary,
  openExam,
  saveExamAnswers,
  submitExam,
  type ExamSummary,
  type ExamView,
} from '../../api/services/exam';
import { listRounds } from '../../api/services/rounds';
import { loadRoundConfig } from '../../api/services/registrations';
import { EXAM_BATCH_MAX, INTEGRITY_KINDS, type IntegrityEventInput } from '../../contracts';
import { wib } from '../labels';
import { NOTICES, renderPage } from '../render';
import { requireCandidate } from '../session';
import { requireStaff } from '../staff';

/**
 * The online SKD exam (issue 19, docs/exam.md): the candidate's exam page at /ujian (one item per
 * screen, the grid, flags, the server's clock, batched autosave through /ujian/simpan by
 * static/exam.js, one plain form without it), the second-device refusal and the explicit
 * takeover, the score at the end as CAT shows it; the proctor's page at /konsol/ujian. Every rule
 * is the exam service's and the session workflow's. The device is a random id in an HttpOnly
 * cookie of this browser (so the page works without script and a reload keeps the device).
 */
Object.assign(NOTICES, {
  'jawaban-tersimpan': 'Jawaban tersimpan.',
  'ujian-dipindahkan': 'Ujian dipindahkan ke perangkat ini; perangkat sebelumnya dikunci.',
});

export const DEVICE_COOKIE = 'asn_exam_device';
const SUBTESTS = ['twk', 'tiu', 'tkp'] as const;
const SUBTEST_LABEL: Record<string, string> = { twk: 'TWK', tiu: 'TIU', tkp: 'TKP' };
export const EXAM_STATE_LABEL: Record<string, string> = {
  waiting: 'Belum dimulai',
  in_progress: 'Sedang berlangsung',
  scoring: 'Sedang dinilai',
  submitted: 'Selesai (diakhiri peserta)',
  expired: 'Selesai (waktu habis)',
  absent: 'Tidak hadir',
};
/** The clock has run out and the server's timer has not ended the session yet (a moment, on a busy server). */
const TIME_UP_PENDING = 'Waktu ujian sudah berakhir; server sedang mengakhiri sesi dan menilai jawaban yang tersimpan.';
const ENDED_TEXT: Record<string, string> = {
  submit: 'Anda telah mengakhiri ujian. Jawaban Anda tersimpan dan sudah dinilai.',
  timer: 'Waktu ujian habis; ujian diakhiri otomatis oleh server. Jawaban yang tersimpan sudah dinilai.',
  slot_closed: 'Jadwal ujian Anda sudah berakhir.',
};
export const INTEGRITY_LABEL: Record<string, string> = {
  focus_lost: 'meninggalkan halaman ujian',
  focus_returned: 'kembali ke halaman ujian',
  fullscreen_exit: 'keluar dari layar penuh',
  fullscreen_enter: 'masuk layar penuh',
  copy: 'mencoba menyalin',
  cut: 'mencoba memotong teks',
  paste: 'mencoba menempel',
  context_menu: 'membuka menu konteks',
  offline: 'koneksi terputus',
  online: 'koneksi kembali',
};

const page = { config: { access: 'public' as const }, schema: { hide: true } };
type Body = Record<string, unknown>;
/** HR (the exam's proctors) and auditors watch sessions; reviewers and supervisors do not. */
const PROCTORS = ['hr', 'auditor'] as const;
const BATCH_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** "1:39:58" / "09:58" from milliseconds. */
export function remainingText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const two = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  return `${h ? `${h}:` : ''}${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

/** The proctor's state: a finished session is "submitted" or "expired" by how it ended. */
export function displayState(status: string, endedBy: string | null | undefined): string {
  if (status !== 'finished') return status;
  return endedBy === 'submit' ? 'submitted' : 'expired';
}

const invalid = (what: string): AppError => new AppError(400, 'INVALID_BATCH', `Kiriman jawaban tidak valid (${what})`);

/** The page's JSON batch, shape-checked here (ids and options are the workflow's to check). */
export function jsonBatch(body: unknown): {
  batchId: string;
  answers: { itemId: string; option: string | null }[];
  flags: { itemId: string; flagged: boolean }[];
  events: IntegrityEventInput[];
} {
  const b = (body ?? {}) as Body;
  const list = (k: string): Body[] => {
    const v = b[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.length > EXAM_BATCH_MAX || v.some((x) => typeof x !== 'object' || x === null))
      throw invalid(`${k}: paling banyak ${EXAM_BATCH_MAX}`);
    return v as Body[];
  };
  const id = (x: unknown): string => {
    if (typeof x !== 'string' || !x || x.length > 64) throw invalid('itemId');
    return x;
  };
  if (typeof b.batchId !== 'string' || !BATCH_ID.test(b.batchId)) throw invalid('batchId');
  const answers = list('answers').map((a) => {
    if (a.option !== null && (typeof a.option !== 'string' || !a.option || a.option.length > 8))
      throw invalid('option');
    return { itemId: id(a.itemId), option: a.option };
  });
  const flags = list('flags').map((f) => {
    if (typeof f.flagged !== 'boolean') throw invalid('flagged');
    return { itemId: id(f.itemId), flagged: f.flagged };
  });
  const events = list('events').map((e): IntegrityEventInput => {
    const kind = String(e.kind);
    if (!(INTEGRITY_KINDS as readonly string[]).includes(kind) || typeof e.at !== 'string' || !Date.parse(e.at))
      throw invalid('events');
    return { kind: kind as IntegrityEventInput['kind'], at: e.at.slice(0, 40) };
  });
  return { batchId: b.batchId, answers, flags, events };
}

/** The plain form (`a:<itemId>` = option, `f:<itemId>` = 1): every item of the sheet as one batch. */
function formBatch(body: unknown, view: ExamView) {
  const b = (body ?? {}) as Body;
  const answers = view.items
    .map((q) => ({
      itemId: q.itemId,
      option: typeof b[`a:${q.itemId}`] === 'string' ? String(b[`a:${q.itemId}`]) : null,
    }))
    .filter((a) => a.option !== null || view.answers[a.itemId] !== undefined);
  const flags = view.items.map((q) => ({ itemId: q.itemId, flagged: b[`f:${q.itemId}`] === '1' }));
  return { batchId: randomUUID(), answers, flags };
}

/** The exam page's locals from the session's view. */
function sessionLocals(view: ExamView) {
  return {
    sessionId: view.sessionId,
    total: view.items.length,
    answered: view.answered,
    remainingMs: view.remainingMs ?? 0,
    remainingText: remainingText(view.remainingMs ?? 0),
    items: view.items.map((q, i) => ({
      itemId: q.itemId,
      index: i + 1,
      text: q.text,
      subtestLabel: SUBTEST_LABEL[q.subtest] ?? q.subtest,
      options: q.options.map((o, j) => ({ id: o.id, text: o.text, label: String.fromCharCode(65 + j) })),
      answer: view.answers[q.itemId] ?? null,
      flagged: view.flags.includes(q.itemId),
    })),
  };
}

/** The result's locals (the score as CAT shows it at the end). */
function resultLocals(s: ExamSummary) {
  const r = s.result;
  const total = SUBTESTS.reduce((n, k) => n + s.items[k], 0);
  return {
    total,
    answered: s.answered,
    endedText:
      s.status === 'absent'
        ? 'Anda tidak hadir pada jadwal ujian.'
        : s.status === 'in_progress'
          ? TIME_UP_PENDING
          : (ENDED_TEXT[s.endedBy ?? ''] ?? ''),
    score: r && {
      rows: SUBTESTS.map((k) => ({ key: k, label: SUBTEST_LABEL[k], value: r[k], max: s.items[k] * 5 })),
      total: r.total,
      max: total * 5,
    },
  };
}

const u = (req: FastifyRequest, p = ''): string => `${req.site.prefix}/ujian${p}`;
const crumbs = (req: FastifyRequest): [string, string][] => [['Akun saya', `${req.site.prefix}/akun`]];

/** This browser's device id: made once, HttpOnly, sent only to the exam pages. */
const deviceOf = (req: FastifyRequest, reply: FastifyReply): string => {
  const have = req.cookies[DEVICE_COOKIE];
  if (have && /^[A-Za-z0-9_-]{16,64}$/.test(have)) return have;
  const id = randomUUID();
  reply.setCookie(DEVICE_COOKIE, id, {
    path: u(req),
    httpOnly: true,
    sameSite: 'strict',
    secure: req.site.secureCookies,
    maxAge: 30 * 86_400,
  });
  req.cookies[DEVICE_COOKIE] = id;
  return id;
};
/** The candidate's own registration: the exam service acts on that one only. */
const registered = (req: FastifyRequest): { no: string } => {
  const user = requireCandidate(req);
  if (!user.registrationNo) throw new AppError(404, 'NOT_REGISTERED', 'Anda belum mendaftar ke formasi mana pun');
  return { no: user.registrationNo };
};
const confirmed = (req: FastifyRequest, code: string, message: string): void => {
  if ((req.body as Body | undefined)?.yakin !== '1') throw new AppError(422, code, message);
};

/** The exam page: the start page, the running session (this device) or the result. */
async function examPage(deps: ServiceDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { no } = registered(req);
  let summary: ExamSummary;
  try {
    summary = await examSummary(deps, no);
  } catch (err) {
    if (toErrorResponse(err).body.error.code !== 'EXAM_NOT_ONLINE') throw err;
    return renderPage(req, reply, 'exam/start', {
      title: 'Ujian SKD',
      crumbs: crumbs(req),
      summary: { online: false },
    });
  }
  const title = 'Ujian SKD';
  if (!summary.online || summary.status === 'none' || summary.status === 'waiting')
    return renderPage(req, reply, 'exam/start', {
      title,
      crumbs: crumbs(req),
      summary: {
        online: summary.online,
        total: summary.items ? SUBTESTS.reduce((n, k) => n + summary.items[k], 0) : 0,
        parts: summary.items ? SUBTESTS.map((k) => `${SUBTEST_LABEL[k]} ${summary.items[k]}`).join(', ') : '',
        minutes: Math.round(summary.durationMs / 60_000),
        slot: summary.slot && { opens: wib(summary.slot.opensAt), closes: wib(summary.slot.closesAt) },
        open:
          !!summary.slot &&
          Date.parse(summary.slot.opensAt) <= Date.now() &&
          Date.now() < Date.parse(summary.slot.closesAt),
        closed: !!summary.slot && Date.now() >= Date.parse(summary.slot.closesAt),
      },
      actions: { start: u(req, '/mulai') },
    });
  const result = (): FastifyReply =>
    renderPage(req, reply, 'exam/result', {
      title: `Hasil ${title}`,
      crumbs: crumbs(req),
      exam: resultLocals(summary),
    });
  // Time is up but the session is still running: the server's timer ends it in a moment. The
  // result page waits for the score (and reloads), where opening the session would be refused.
  const timeUp = summary.status === 'in_progress' && summary.remainingMs === 0;
  if (summary.status !== 'in_progress' || timeUp) return result();
  let view: ExamView;
  try {
    view = await openExam(deps, no, { deviceId: deviceOf(req, reply) });
  } catch (err) {
    const code = toErrorResponse(err).body.error.code;
    if (code === 'EXAM_CLOSED') return result(); // the deadline passed since the summary was read
    if (code !== 'DEVICE_CONFLICT') throw err;
    return renderPage(
      req,
      reply,
      'exam/device',
      { title: 'Ujian dibuka di perangkat lain', crumbs: crumbs(req), actions: { takeover: u(req, '/ambil-alih') } },
      409,
    );
  }
  return renderPage(req, reply, 'exam/session', {
    title,
    crumbs: crumbs(req),
    scripts: ['exam.js'],
    exam: sessionLocals(view),
    actions: { save: u(req, '/simpan'), answers: u(req, '/jawab'), finish: u(req, '/selesai') },
  });
}

export const examRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  const form = { ...page, preHandler: app.csrfProtection };
  app.get('/ujian', page, (req, reply) => examPage(deps, req, reply));

  app.post('/ujian/mulai', form, async (req, reply) => {
    const { no } = registered(req);
    await openExam(deps, no, { deviceId: deviceOf(req, reply) });
    return reply.redirect(u(req), 303);
  });

  app.post('/ujian/ambil-alih', form, async (req, reply) => {
    const { no } = registered(req);
    confirmed(req, 'TAKEOVER_NOT_CONFIRMED', 'Centang konfirmasi untuk memindahkan ujian ke perangkat ini');
    await openExam(deps, no, { deviceId: deviceOf(req, reply), takeover: true });
    return reply.redirect(u(req, '?info=ujian-dipindahkan'), 303);
  });

  // The page's batches (static/exam.js): JSON in and out, the server's remaining time in every answer.
  app.post('/ujian/simpan', form, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      const { no } = registered(req);
      const ack = await saveExamAnswers(deps, no, { deviceId: deviceOf(req, reply), ...jsonBatch(req.body) });
      return reply.send({
        revision: ack.revision,
        answered: ack.answered,
        remainingMs: ack.remainingMs,
        state: 'in_progress',
      });
    } catch (err) {
      const { status, body } = toErrorResponse(err);
      if (status >= 500) req.log.error({ err }, 'exam save failed');
      return reply.status(status).send(body);
    }
  });

  // Without JavaScript: the whole sheet in one form.
  app.post('/ujian/jawab', form, async (req, reply) => {
    const { no } = registered(req);
    const deviceId = deviceOf(req, reply);
    const view = await openExam(deps, no, { deviceId });
    await saveExamAnswers(deps, no, { deviceId, ...formBatch(req.body, view) });
    return reply.redirect(u(req, '?info=jawaban-tersimpan'), 303);
  });

  app.post('/ujian/selesai', form, async (req, reply) => {
    const { no } = registered(req);
    confirmed(req, 'SUBMIT_NOT_CONFIRMED', 'Centang konfirmasi untuk mengakhiri ujian');
    await submitExam(deps, no, { deviceId: deviceOf(req, reply), batchId: randomUUID(), answers: [] });
    return reply.redirect(u(req), 303);
  });

  app.get('/konsol/ujian', page, async (req, reply) => proctorPage(deps, req, reply));
};

type RoundListItem = Awaited<ReturnType<typeof listRounds>>[number];

/** Rounds whose SKD is online, newest first. */
async function onlineRounds(deps: ServiceDeps): Promise<RoundListItem[]> {
  const out: RoundListItem[] = [];
  for (const r of await listRounds(deps)) {
    const { config } = await loadRoundConfig(deps, r.roundId);
    if (config.exam?.skd?.mode === 'online') out.push(r);
  }
  return out;
}

/** One round's sessions as the proctor reads them: the service's rows, the candidate's name and how each ended. */
async function proctorRows(deps: ServiceDeps, roundId: string) {
  const list = (await proctorSessions(deps, roundId, { pageSize: '500' })).items;
  if (!list.length) return [];
  const nos = list.map((s) => s.registrationNo);
  const [apps, ended] = await Promise.all([
    deps.db
      .selectFrom('applications')
      .select(['registration_no', 'full_name'])
      .where('registration_no', 'in', nos)
      .execute(),
    deps.db.selectFrom('exam_sessions').select(['session_id', 'ended_by']).where('round_id', '=', roundId).execute(),
  ]);
  const names = new Map(apps.map((a) => [a.registration_no, a.full_name]));
  const endedBy = new Map(ended.map((e) => [e.session_id, e.ended_by]));
  return list.map((s) => {
    const state = displayState(s.status, endedBy.get(s.sessionId));
    return {
      sessionId: s.sessionId,
      registrationNo: s.registrationNo,
      slotId: s.slotId,
      name: names.get(s.registrationNo),
      state,
      stateLabel: EXAM_STATE_LABEL[state] ?? state,
      remainingText: state === 'in_progress' ? remainingText(s.remainingMs ?? 0) : state === 'waiting' ? '—' : '00:00',
      answered: s.answered,
      total: s.itemCount,
      takeovers: s.takeovers,
      eventCount: Object.values(s.integrity).reduce((n, c) => n + c, 0),
      events: [...s.lastEvents]
        .reverse()
        .map((e) => ({ when: wib(e.receivedAt), label: INTEGRITY_LABEL[e.kind] ?? e.kind })),
    };
  });
}

/** The proctor's page: one round's sessions with their state, remaining time, answers and integrity events. */
async function proctorPage(deps: ServiceDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireStaff(deps.db, req, PROCTORS);
  const q = (req.query ?? {}) as Body;
  const rounds = await onlineRounds(deps);
  const roundId = rounds.some((r) => r.roundId === q.seleksi) ? String(q.seleksi) : rounds[0]?.roundId;
  const filter = typeof q.status === 'string' && q.status in EXAM_STATE_LABEL ? q.status : '';
  const all = roundId ? await proctorRows(deps, roundId) : [];
  const counts: Record<string, number> = {};
  for (const r of all) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return renderPage(req, reply, 'console/exam', {
    title: 'Pengawasan ujian',
    crumbs: [['Konsol', `${req.site.prefix}/konsol`]],
    scripts: ['proctor.js'],
    rounds: rounds.map((r) => [r.roundId, r.name]),
    roundId,
    rows: filter ? all.filter((r) => r.state === filter) : all,
    filter,
    states: Object.entries(EXAM_STATE_LABEL).filter(([k]) => k !== 'scoring'),
    counts,
    refreshMs: 5_000,
    asOf: wib(new Date().toISOString()),
  });
}
