import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../api/errors';
import { ANNOUNCEMENT_PHASES, announcement, funnel } from '../../api/services/announcements';
import type { ServiceDeps } from '../../api/services/deps';
import { loadRoundConfig } from '../../api/services/registrations';
import { FUNNEL_STAGES, funnelByFormation, rankingPage } from '../../api/services/round-board';
import { displayScore } from '../../domain';
import { ROOT } from '../../config';
import { announcementPdf, groupsOf, LETTER_FIELDS, readLetter } from '../announcement-letter';
import { ANNOUNCEMENT_LABEL, CATEGORY_LABEL, PHASE_LABEL, tanggal } from '../labels';
import { renderPage } from '../render';
import { requireStaff } from '../staff';
import { roundCrumbs, roundParam } from './console-rounds';

/**
 * The console's result pages of a round: rankings with each breakdown, announcements with the
 * letterhead (HTML and PDF), and the pipeline board (the funnel and each formation by stage, as
 * Chart.js charts drawn from the tables beside them, which stay the accessible alternative).
 */
const C = '/konsol/seleksi';
export const STAGE_WORDS: Record<string, string> = {
  registered: 'Mendaftar',
  ms: 'Memenuhi syarat administrasi',
  skdPassed: 'Lulus ambang batas SKD',
  skbSelected: 'Peserta SKB',
  lulus: 'Lulus hasil akhir',
  appointed: 'Diangkat (NIP)',
};
const RANKING_TITLE: Record<string, string> = { skb_selection: 'Peserta SKB', final: 'Hasil akhir' };
const RESULT_WORDS: Record<string, string> = {
  selected: 'Lolos ke SKB',
  not_selected: 'Tidak lolos ke SKB',
  lulus: 'Lulus',
  lulus_optimalisasi: 'Lulus (optimalisasi)',
  tidak_lulus: 'Tidak lulus',
};

/** Chart.js (MIT, maintained) served from node_modules at a hashed URL: same origin, so the CSP holds. */
const CHART_FILE = join(ROOT, 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js');
let chartJs: { body: Buffer; hash: string } | undefined;
/** Undefined when chart.js is not installed: the board then shows its tables only. */
function chartAsset(): { body: Buffer; hash: string } | undefined {
  if (!chartJs && existsSync(CHART_FILE)) {
    const body = readFileSync(CHART_FILE);
    chartJs = { body, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) };
  }
  return chartJs;
}

function announcementPhase(req: FastifyRequest): (typeof ANNOUNCEMENT_PHASES)[number] {
  const p = String((req.params as { phase?: string }).phase ?? '');
  if (!(ANNOUNCEMENT_PHASES as readonly string[]).includes(p)) throw notFound('Pengumuman', p.slice(0, 40));
  return p as (typeof ANNOUNCEMENT_PHASES)[number];
}

const page = { config: { access: 'public' as const }, schema: { hide: true } };

export const consoleResultRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  rankingRoutes(app, deps);
  announcementRoutes(app, deps);
  boardRoutes(app, deps);
};

/** The chart script and the ranking pages. */
function rankingRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get('/konsol/vendor/chart.umd.min.js', page, async (req, reply) => {
    const a = chartAsset();
    if (!a) throw notFound('Berkas', 'chart.umd.min.js');
    const versioned = (req.query as { v?: string }).v === a.hash;
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
      .send(a.body);
  });

  app.get(`${C}/:roundId/peringkat/:kind`, page, async (req, reply) => {
    await requireStaff(deps.db, req, ['hr', 'auditor']);
    const roundId = roundParam(req);
    const kind = String((req.params as { kind?: string }).kind ?? '');
    if (kind !== 'final' && kind !== 'skb_selection') throw notFound('Peringkat', kind.slice(0, 40));
    const { config } = await loadRoundConfig(deps, roundId);
    const q = req.query as { halaman?: string };
    const list = await rankingPage(deps, roundId, kind, { page: q.halaman, pageSize: 50 });
    const jabatan = new Map(config.formations.map((f) => [f.formationId, `${f.jabatan} — ${f.unit}`]));
    return renderPage(req, reply, 'console/ranking', {
      title: `Peringkat ${RANKING_TITLE[kind]}: ${config.name}`,
      crumbs: roundCrumbs(req, roundId, config.name),
      kind,
      other: kind === 'final' ? ['skb_selection', 'Peserta SKB'] : ['final', 'Hasil akhir'],
      base: `${req.site.prefix}${C}/${encodeURIComponent(roundId)}`,
      list,
      pages: Math.max(1, Math.ceil(list.total / list.pageSize)),
      rows: list.items.map((r) => ({
        ...r,
        formation: jabatan.get(r.formationId) ?? r.formationId,
        resultLabel: RESULT_WORDS[r.result] ?? r.result,
        score:
          r.scoreScaled !== null && r.scoreScale !== null
            ? displayScore(Number(r.scoreScaled), Number(r.scoreScale))
            : '—',
      })),
    });
  });
}

/** The announcement of the route's phase with the letterhead read from the query. */
async function letterOf(deps: ServiceDeps, req: FastifyRequest) {
  await requireStaff(deps.db, req, ['hr', 'auditor']);
  const roundId = roundParam(req);
  const phase = announcementPhase(req);
  const { config } = await loadRoundConfig(deps, roundId);
  const a = await announcement(deps, roundId, phase);
  const { letter, errors } = readLetter(req.query as Record<string, unknown>);
  return { roundId, phase, config, a, letter, errors, groups: groupsOf(a, config) };
}

/** The announcements: the letterhead form, each announcement as a page and as a PDF. */
function announcementRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get(`${C}/:roundId/pengumuman`, page, async (req, reply) => {
    await requireStaff(deps.db, req, ['hr', 'auditor']);
    const roundId = roundParam(req);
    const { config, phase } = await loadRoundConfig(deps, roundId);
    return renderPage(req, reply, 'console/announcements', {
      title: `Pengumuman: ${config.name}`,
      crumbs: roundCrumbs(req, roundId, config.name),
      phases: ANNOUNCEMENT_PHASES.map((p) => [p, ANNOUNCEMENT_LABEL[p] ?? p]),
      phaseLabel: PHASE_LABEL[phase] ?? phase,
      base: `${req.site.prefix}${C}/${encodeURIComponent(roundId)}/pengumuman`,
      today: new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10),
      agencyCity: /Kota (\w+)/.exec(config.agency)?.[1] ?? '',
    });
  });

  app.get(`${C}/:roundId/pengumuman/:phase`, page, async (req, reply) => {
    const l = await letterOf(deps, req);
    const query = new URLSearchParams(LETTER_FIELDS.map((k): [string, string] => [k, l.letter[k]])).toString();
    return renderPage(
      req,
      reply,
      'console/announcement',
      {
        title: l.a.title,
        crumbs: [
          ...roundCrumbs(req, l.roundId, l.config.name),
          ['Pengumuman', `${req.site.prefix}${C}/${encodeURIComponent(l.roundId)}/pengumuman`],
        ],
        a: l.a,
        letter: l.letter,
        tanggalText: l.errors['l-tanggal'] ? '' : tanggal(l.letter.tanggal),
        errors: l.errors,
        groups: l.groups,
        pdfHref: `${req.site.prefix}${C}/${encodeURIComponent(l.roundId)}/pengumuman/${l.phase}/pdf?${query}`,
        formHref: `${req.site.prefix}${C}/${encodeURIComponent(l.roundId)}/pengumuman`,
      },
      Object.keys(l.errors).length ? 422 : 200,
    );
  });

  app.get(`${C}/:roundId/pengumuman/:phase/pdf`, page, async (req, reply: FastifyReply) => {
    const l = await letterOf(deps, req);
    if (Object.keys(l.errors).length)
      return renderPage(
        req,
        reply,
        'error',
        {
          title: 'Kop pengumuman belum lengkap',
          message: 'Lengkapi isian kop pengumuman sebelum mengunduh PDF.',
          details: Object.values(l.errors),
          status: 422,
          code: 'LETTER_INCOMPLETE',
        },
        422,
      );
    const pdf = await announcementPdf(l.a, l.groups, l.letter);
    return reply
      .type('application/pdf')
      .header('cache-control', 'no-store')
      .header('content-disposition', `inline; filename="pengumuman-${l.phase}-${l.roundId}.pdf"`)
      .send(pdf);
  });
}

/** The pipeline board: the funnel and each formation by stage. */
function boardRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get(`${C}/:roundId/alur`, page, async (req, reply) => {
    await requireStaff(deps.db, req, ['hr', 'auditor']);
    const roundId = roundParam(req);
    const { config, phase } = await loadRoundConfig(deps, roundId);
    const [total, perFormation] = await Promise.all([funnel(deps, roundId), funnelByFormation(deps, roundId)]);
    const a = chartAsset();
    return renderPage(req, reply, 'console/board', {
      title: `Papan alur: ${config.name}`,
      crumbs: roundCrumbs(req, roundId, config.name),
      phaseLabel: PHASE_LABEL[phase] ?? phase,
      stages: FUNNEL_STAGES.map((s) => [s, STAGE_WORDS[s]]),
      total,
      formations: perFormation.map((p) => {
        const f = config.formations.find((x) => x.formationId === p.formationId)!;
        return {
          ...p,
          jabatan: f.jabatan,
          unit: f.unit,
          quota: f.quota,
          category: CATEGORY_LABEL[f.category] ?? f.category,
        };
      }),
      vendorScripts: a ? [`${req.site.prefix}/konsol/vendor/chart.umd.min.js?v=${a.hash}`] : [],
      scripts: ['board.js'],
    });
  });
}
