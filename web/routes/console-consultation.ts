import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { AppError, notFound, toErrorResponse } from '../../api/errors';
import { isPlainText } from '../../api/schemas/common';
import type { ServiceDeps } from '../../api/services/deps';
import {
  HIDE_REASONS,
  MODERATION_FILTERS,
  commentHistory,
  hideComment,
  moderatedComment,
  moderationCounts,
  moderationPage,
  respondToComment,
  restoreComment,
  type HideReason,
  type ModeratedComment,
  type ModerationFilter,
} from '../../api/services/moderation';
import { loadRoundConfig } from '../../api/services/registrations';
import { adoptCriteria } from '../../api/services/round-ops';
import { scoringOf, type RoundConfig } from '../../domain/round-config';
import { PHASE_LABEL, criterionText, phaseReached, wib } from '../labels';
import { renderPage } from '../render';
import { requireStaff } from '../staff';
import { roundCrumbs, roundParam } from './console-rounds';

/**
 * HR's part of the public consultation in the console (issue 18): the round's comments with their
 * moderation (hide with a standard reason, restore, an official response shown under the comment
 * on the public page; each action audited in the round's chain), and the adoption of the criteria
 * with HR's response to the consultation through the round workflow (adoptCriteria).
 */
const C = '/konsol/seleksi';
const PAGE_SIZE = 20;
export const HIDE_REASON_LABEL: Record<HideReason, string> = {
  offensive: 'Kasar, menghina, atau menyinggung SARA',
  personal_data: 'Memuat data pribadi orang lain',
  spam: 'Spam atau iklan',
  off_topic: 'Tidak berkaitan dengan seleksi atau kriterianya',
  duplicate: 'Mengulang komentar lain',
  other: 'Alasan lain (jelaskan)',
};
const FILTER_LABEL: Record<ModerationFilter, string> = {
  all: 'Semua',
  visible: 'Tampil',
  hidden: 'Disembunyikan',
  responded: 'Sudah ditanggapi',
  unanswered: 'Belum ditanggapi',
};
const ACTION_LABEL: Record<string, string> = {
  'comment.hidden': 'Disembunyikan',
  'comment.restored': 'Ditampilkan kembali',
  'comment.responded': 'Ditanggapi',
};
const CRITERION_NAME: Record<string, string> = {
  experience: 'Pengalaman kerja',
  interview: 'Wawancara',
  priorPerformance: 'Predikat kinerja sebelumnya',
};

type Form = { values: Record<string, string>; errors: Record<string, string> };
const noForm = (): Form => ({ values: {}, errors: {} });
const text = (body: unknown, k: string, max: number): string => {
  const v = (body as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'string'
    ? v
        .replace(/\r\n?/g, '\n')
        .trim()
        .slice(0, max + 1)
    : '';
};
/** An error message when `v` is not 'min'–'max' characters of plain text (line breaks allowed). */
const checkText = (v: string, min: number, max: number, what: string): string | undefined =>
  v.length < min || v.length > max
    ? `${what} ${min}–${max.toLocaleString('id-ID')} karakter`
    : isPlainText(v, true)
      ? undefined
      : `${what} berisi karakter yang tidak diizinkan`;

/** A form of one text field `name` (kept as `key`), its error said beside the element `field`. */
const oneText =
  (key: string, name: string, field: string, min: number, max: number, what: string) =>
  (body: unknown): Form => {
    const v = text(body, name, max);
    const bad = checkText(v, min, max, what);
    return { values: { [key]: v }, errors: bad ? { [field]: bad } : {} };
  };

function commentParam(req: FastifyRequest): string {
  const id = String((req.params as { commentId?: string }).commentId ?? '');
  if (!/^[1-9][0-9]{0,17}$/.test(id)) throw notFound('Komentar', id.slice(0, 20));
  return id;
}

/** What a comment is about, in words: the round, a formation, or one of its criteria. */
function targetLabel(config: RoundConfig, c: { formationId?: string; criterion?: string }): string {
  if (!c.formationId) return 'Seleksi secara umum';
  const f = config.formations.find((x) => x.formationId === c.formationId);
  const name = f ? `${f.jabatan} — ${f.unit}` : c.formationId;
  return c.criterion ? `Kriteria ${CRITERION_NAME[c.criterion] ?? c.criterion}, formasi ${name}` : `Formasi ${name}`;
}

function commentLocals(config: RoundConfig, c: ModeratedComment) {
  return {
    ...c,
    at: wib(c.createdAt),
    about: targetLabel(config, c),
    hiddenText: c.hidden
      ? `${HIDE_REASON_LABEL[c.hidden.reasonCode] ?? c.hidden.reasonCode}, oleh ${c.hidden.by}, ${wib(c.hidden.at)}`
      : null,
    responseAt: c.response ? wib(c.response.at) : null,
  };
}

/** The workflow's refusal in words: its message with the phase's name instead of its code. */
export function refusalText(err: unknown): string {
  const { body } = toErrorResponse(err);
  return body.error.message.replace(/\(sekarang: ([a-z_]+)\)/, (_, p: string) => `(sekarang: ${PHASE_LABEL[p] ?? p})`);
}

type App = Parameters<FastifyPluginAsync>[0];
/** The options of a page (GET) and of a form (POST, CSRF-checked): access is checked by requireStaff. */
const routeOptions = (app: App) => ({
  page: { config: { access: 'public' as const }, schema: { hide: true } },
  form: { config: { access: 'public' as const }, schema: { hide: true }, preHandler: app.csrfProtection },
});

const base = (req: FastifyRequest, roundId: string) => `${req.site.prefix}${C}/${encodeURIComponent(roundId)}`;

export const consoleConsultationRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.get(`${C}/:roundId/konsultasi`, routeOptions(app).page, async (req, reply) => {
    await requireStaff(deps.db, req, ['hr']);
    const roundId = roundParam(req);
    const q = req.query as { status?: string; halaman?: string };
    const status = (MODERATION_FILTERS as readonly string[]).includes(q.status ?? '')
      ? (q.status as ModerationFilter)
      : 'all';
    const [{ config, phase }, list] = await Promise.all([
      loadRoundConfig(deps, roundId),
      moderationPage(deps, roundId, status, { page: q.halaman, pageSize: PAGE_SIZE }),
    ]);
    const here = `${base(req, roundId)}/konsultasi`;
    return renderPage(req, reply, 'console/consultation', {
      title: `Konsultasi publik: ${config.name}`,
      crumbs: roundCrumbs(req, roundId, config.name),
      phaseLabel: PHASE_LABEL[phase] ?? phase,
      publicHref: `${req.site.prefix}/seleksi/${encodeURIComponent(roundId)}/konsultasi`,
      adoptHref: `${base(req, roundId)}/kriteria/tetapkan`,
      filters: MODERATION_FILTERS.map((f) => ({
        label: FILTER_LABEL[f],
        count: list.counts[f],
        href: `${here}?status=${f}`,
        current: f === status,
      })),
      statusLabel: FILTER_LABEL[status],
      list: { ...list, items: list.items.map((c) => commentLocals(config, c)) },
      commentHref: (id: string) => `${here}/${id}`,
      page: list.page,
      pages: Math.max(1, Math.ceil(list.total / list.pageSize)),
      base: `${here}?status=${status}&halaman=`,
    });
  });
  moderationRoutes(app, deps);
  adoptionRoutes(app, deps);
};

/** One comment with its moderation history and the forms to hide, restore and respond. */
async function commentPage(deps: ServiceDeps, req: FastifyRequest, reply: FastifyReply, f: Form, status = 200) {
  await requireStaff(deps.db, req, ['hr']);
  const roundId = roundParam(req);
  const commentId = commentParam(req);
  const [{ config }, comment, history] = await Promise.all([
    loadRoundConfig(deps, roundId),
    moderatedComment(deps, roundId, commentId),
    commentHistory(deps, roundId, commentId),
  ]);
  const here = `${base(req, roundId)}/konsultasi/${commentId}`;
  return renderPage(
    req,
    reply,
    'console/consultation-comment',
    {
      title: `Komentar nomor ${commentId}`,
      crumbs: [...roundCrumbs(req, roundId, config.name), ['Konsultasi publik', `${base(req, roundId)}/konsultasi`]],
      comment: commentLocals(config, comment),
      history: history.map((h) => ({
        ...h,
        at: wib(h.at),
        label: ACTION_LABEL[h.action] ?? h.action,
        reasonLabel: h.reasonCode ? (HIDE_REASON_LABEL[h.reasonCode as HideReason] ?? h.reasonCode) : null,
      })),
      reasons: HIDE_REASONS.map((r) => [r, HIDE_REASON_LABEL[r]]),
      action: (a: string) => `${here}/${a}`,
      values: f.values,
      errors: f.errors,
    },
    status,
  );
}

/**
 * A moderation form at `path`: `read` gives the values and the errors beside their fields; when
 * none, `run` acts and the comment's page shows `info`. A refusal (409: already hidden, …) is said
 * beside `field`.
 */
function moderationForm(
  app: App,
  deps: ServiceDeps,
  path: string,
  field: string,
  info: string,
  read: (body: unknown) => Form,
  run: (roundId: string, commentId: string, values: Record<string, string>, actor: string) => Promise<unknown>,
): void {
  app.post(`${C}/:roundId/konsultasi/:commentId/${path}`, routeOptions(app).form, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['hr']);
    const roundId = roundParam(req);
    const commentId = commentParam(req);
    const f = read(req.body);
    if (Object.keys(f.errors).length) return commentPage(deps, req, reply, f, 422);
    try {
      await run(roundId, commentId, f.values, user.username);
    } catch (err) {
      if (err instanceof AppError && err.statusCode === 409)
        return commentPage(deps, req, reply, { values: f.values, errors: { [field]: err.message } }, 409);
      throw err;
    }
    return reply.redirect(`${base(req, roundId)}/konsultasi/${commentId}?info=${info}`, 303);
  });
}

function readHide(body: unknown): Form {
  const values = { reasonCode: text(body, 'reasonCode', 40), reason: text(body, 'reason', 500) };
  const errors: Record<string, string> = {};
  if (!(HIDE_REASONS as readonly string[]).includes(values.reasonCode))
    errors['hide-code'] = 'Pilih alasan dari daftar';
  const bad = checkText(values.reason, 5, 500, 'Penjelasan');
  if (bad) errors['hide-reason'] = bad;
  return { values, errors };
}

function moderationRoutes(app: App, deps: ServiceDeps): void {
  app.get(`${C}/:roundId/konsultasi/:commentId`, routeOptions(app).page, async (req, reply) =>
    commentPage(deps, req, reply, noForm()),
  );
  moderationForm(app, deps, 'sembunyikan', 'hide-code', 'komentar-disembunyikan', readHide, (r, c, v, actor) =>
    hideComment(deps, r, c, { reasonCode: v.reasonCode as HideReason, reason: v.reason! }, actor),
  );
  moderationForm(
    app,
    deps,
    'tampilkan',
    'restore-reason',
    'komentar-ditampilkan',
    oneText('restoreReason', 'reason', 'restore-reason', 5, 500, 'Alasan'),
    (r, c, v, actor) => restoreComment(deps, r, c, { reason: v.restoreReason! }, actor),
  );
  moderationForm(
    app,
    deps,
    'tanggapan',
    'response-body',
    'tanggapan-tersimpan',
    oneText('response', 'response', 'response-body', 10, 2000, 'Tanggapan'),
    (r, c, v, actor) => respondToComment(deps, r, c, v.response!, actor),
  );
}

/** The criteria adoption form: the round's current criteria, the consultation in numbers, HR's response. */
function adoptionRoutes(app: App, deps: ServiceDeps): void {
  const db = deps.db;
  const { page, form } = routeOptions(app);
  async function view(req: FastifyRequest, reply: FastifyReply, f: Form, status = 200) {
    await requireStaff(db, req, ['hr']);
    const roundId = roundParam(req);
    const [{ config, phase }, counts] = await Promise.all([
      loadRoundConfig(deps, roundId),
      moderationCounts(deps, roundId),
    ]);
    const here = `${req.site.prefix}${C}/${encodeURIComponent(roundId)}`;
    return renderPage(
      req,
      reply,
      'console/criteria-adopt',
      {
        title: `Penetapan kriteria: ${config.name}`,
        crumbs: [...roundCrumbs(req, roundId, config.name), ['Kriteria', `${here}/kriteria`]],
        phase,
        phaseLabel: PHASE_LABEL[phase] ?? phase,
        accepting: phase === 'criteria_adoption',
        frozen: phaseReached(phase, 'registration'),
        counts,
        moderationHref: `${here}/konsultasi`,
        action: `${here}/kriteria/tetapkan`,
        formations: config.formations.map((fm) => {
          const s = scoringOf(config, fm);
          return { ...fm, skdWeight: s.skdWeight, skbWeight: s.skbWeight, criteria: s.criteria.map(criterionText) };
        }),
        once: f.values.once || randomUUID(),
        values: f.values,
        errors: f.errors,
      },
      status,
    );
  }

  app.get(`${C}/:roundId/kriteria/tetapkan`, page, async (req, reply) => view(req, reply, noForm()));

  app.post(`${C}/:roundId/kriteria/tetapkan`, form, async (req, reply) => {
    const user = await requireStaff(db, req, ['hr']);
    const roundId = roundParam(req);
    const values = { response: text(req.body, 'response', 4000), once: text(req.body, 'once', 36) };
    if (!/^[0-9a-f-]{36}$/.test(values.once)) values.once = randomUUID();
    const bad = checkText(values.response, 10, 4000, 'Tanggapan atas konsultasi');
    if (bad) return view(req, reply, { values, errors: { 'adopt-response': bad } }, 422);
    const { config } = await loadRoundConfig(deps, roundId);
    try {
      await adoptCriteria(
        deps,
        roundId,
        {
          actor: user.username,
          response: values.response,
          formations: config.formations.map((f) => ({ formationId: f.formationId, scoring: scoringOf(config, f) })),
        },
        { updateId: `adoptCriteria:console:${user.userId}:${values.once}` },
      );
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      // A new key for the next try: the refused one is not recorded by the workflow.
      const again = { ...values, once: '' };
      return view(
        req,
        reply,
        { values: again, errors: { 'adopt-response': `Penetapan ditolak: ${refusalText(err)}` } },
        409,
      );
    }
    return reply.redirect(
      `${req.site.prefix}${C}/${encodeURIComponent(roundId)}/kriteria?info=kriteria-ditetapkan`,
      303,
    );
  });
}
