import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../api/errors';
import { isPlainText } from '../../api/schemas/common';
import { addComment, criteriaVersions, listComments, type CommentTarget } from '../../api/services/consultation';
import type { ServiceDeps } from '../../api/services/deps';
import { loadRoundConfig } from '../../api/services/registrations';
import { getRoundState } from '../../api/services/rounds';
import { scoringOf, type RoundConfig } from '../../domain/round-config';
import { PHASE_LABEL, criterionText, wib } from '../labels';
import { renderPage } from '../render';
import { idParam } from './public';

type Body = Record<string, unknown>;
const field = (b: unknown, k: string, max: number): string => {
  const v = (b as Body | undefined)?.[k];
  return typeof v === 'string' ? v.replace(/\r\n?/g, '\n').slice(0, max) : '';
};

/** A target as the form's <select> encodes it: '' (the round), `f:<formationId>`, `c:<formationId>:<criterion kind>`. */
function parseTarget(v: string): CommentTarget | undefined {
  if (v === '') return {};
  const m =
    /^f:([A-Za-z0-9._-]{1,64})$/.exec(v) ??
    /^c:([A-Za-z0-9._-]{1,64}):(experience|interview|priorPerformance)$/.exec(v);
  if (!m) return undefined;
  return m[2] ? { formationId: m[1], criterion: m[2] } : { formationId: m[1] };
}
const targetKey = (t: CommentTarget): string =>
  t.criterion ? `c:${t.formationId}:${t.criterion}` : t.formationId ? `f:${t.formationId}` : '';

/** Each formation's current (and draft) criteria with the comments on it and on each criterion. */
function formationsView(
  config: RoundConfig,
  versions: Awaited<ReturnType<typeof criteriaVersions>>,
  comments: Awaited<ReturnType<typeof listComments>>,
) {
  const byTarget = new Map<string, typeof comments>();
  for (const c of comments) byTarget.set(targetKey(c), [...(byTarget.get(targetKey(c)) ?? []), c]);
  const shown = (list: typeof comments | undefined) =>
    (list ?? []).map((c) => ({ ...c, at: wib(c.createdAt), responseAt: c.response ? wib(c.response.at) : null }));
  const draft = versions.find((v) => v.status === 'draft');
  const draftScoring = new Map(
    ((draft?.formations ?? []) as { formationId: string; scoring: ReturnType<typeof scoringOf> | null }[]).map((f) => [
      f.formationId,
      f.scoring,
    ]),
  );
  const formations = config.formations.map((f) => {
    const { formationId, jabatan, unit } = f;
    const { skdWeight, skbWeight, criteria } = scoringOf(config, f);
    const d = draftScoring.get(formationId);
    return {
      formationId,
      jabatan,
      unit,
      skdWeight,
      skbWeight,
      criteria: criteria.map((c) => ({
        kind: c.kind,
        ...criterionText(c),
        comments: shown(byTarget.get(`c:${formationId}:${c.kind}`)),
      })),
      draftCriteria: d ? d.criteria.map(criterionText) : null,
      comments: shown(byTarget.get(`f:${formationId}`)),
    };
  });
  return { byTarget, shown, formations };
}

/** The consultation page for a round, with the form's values and errors. */
async function view(
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  roundId: string,
  form: { values: Record<string, string>; errors: Record<string, string> },
  status = 200,
): Promise<FastifyReply> {
  const [state, { config }, versions, comments] = await Promise.all([
    getRoundState(deps, roundId),
    loadRoundConfig(deps, roundId),
    criteriaVersions(deps, roundId),
    listComments(deps, roundId),
  ]);
  const { byTarget, shown, formations } = formationsView(config, versions, comments);
  const targets = [
    { value: '', label: 'Seleksi ini secara umum' },
    ...formations.flatMap((f) => [
      { value: `f:${f.formationId}`, label: `Formasi ${f.jabatan} — ${f.unit}` },
      ...f.criteria.map((c) => ({
        value: `c:${f.formationId}:${c.kind}`,
        label: `Kriteria "${c.label}" — ${f.jabatan}, ${f.unit}`,
      })),
    ]),
  ];
  return renderPage(
    req,
    reply,
    'consultation',
    {
      title: `Konsultasi publik kriteria — ${state.name}`,
      crumbs: [
        ['Seleksi', req.site.prefix + '/'],
        [state.name, `${req.site.prefix}/seleksi/${encodeURIComponent(roundId)}`],
      ],
      roundId,
      phaseLabel: PHASE_LABEL[state.phase] ?? state.phase,
      open: state.phase === 'consultation',
      closes: wib(config.schedule.consultationCloses),
      opens: wib(config.schedule.consultationOpens),
      responses: versions
        .filter((v) => v.status === 'adopted' && v.response)
        .map((v) => ({ version: v.version, response: v.response, at: wib(v.createdAt) })),
      adopted: versions.some((v) => v.status === 'adopted'),
      general: shown(byTarget.get('')),
      formations,
      targets,
      values: form.values,
      errors: form.errors,
      total: comments.length,
    },
    status,
  );
}

/** A comment from the form: kept, or the form again with what to fix. */
async function postComment(
  deps: ServiceDeps,
  duplicateWindowMs: number | undefined,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const roundId = idParam((req.params as { roundId?: string }).roundId, 'Seleksi');
  const values = {
    author: field(req.body, 'author', 200).trim(),
    body: field(req.body, 'body', 4000).trim(),
    target: field(req.body, 'target', 200),
  };
  const errors: Record<string, string> = {};
  if (!values.author || values.author.length > 120 || !isPlainText(values.author))
    errors.author = 'Tulis nama Anda (paling banyak 120 karakter, satu baris)';
  if (values.body.length < 10 || values.body.length > 2000) errors.body = 'Tanggapan 10–2.000 karakter';
  else if (!isPlainText(values.body, true)) errors.body = 'Tanggapan berisi karakter yang tidak diizinkan';
  const target = parseTarget(values.target);
  if (!target) errors.target = 'Pilih hal yang Anda tanggapi dari daftar';
  if (Object.keys(errors).length) return view(deps, req, reply, roundId, { values, errors }, 422);
  try {
    await addComment(
      deps,
      roundId,
      { author: values.author, body: values.body, ...target },
      { key: req.user ? `user:${req.user.userId}` : `ip:${req.ip}`, duplicateWindowMs },
    );
  } catch (err) {
    if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 404)
      return view(
        deps,
        req,
        reply,
        roundId,
        { values, errors: { [err.code === 'COMMENT_TARGET_INVALID' ? 'target' : 'body']: err.message } },
        err.statusCode,
      );
    throw err;
  }
  return reply.redirect(
    `${req.site.prefix}/seleksi/${encodeURIComponent(roundId)}/konsultasi?info=komentar-terkirim#tanggapan`,
    303,
  );
}

/**
 * The public consultation: the draft (and adopted) criteria per formation, the comments on each
 * formation and criterion, HR's responses, and — while the consultation is open — a form.
 */
export const consultationRoutes: FastifyPluginAsync<{
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
  duplicateWindowMs?: number;
}> = async (app, { deps, rateLimit, duplicateWindowMs }) => {
  app.get(
    '/seleksi/:roundId/konsultasi',
    { config: { access: 'public' }, schema: { hide: true } },
    async (req, reply) => {
      const roundId = idParam((req.params as { roundId?: string }).roundId, 'Seleksi');
      const about = field(req.query, 'tentang', 200);
      return view(deps, req, reply, roundId, { values: { target: parseTarget(about) ? about : '' }, errors: {} });
    },
  );

  app.post(
    '/seleksi/:roundId/konsultasi',
    { config: { access: 'public', rateLimit }, schema: { hide: true }, preHandler: app.csrfProtection },
    async (req, reply) => postComment(deps, duplicateWindowMs, req, reply),
  );
};
