import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { notFound, toErrorResponse } from '../../api/errors';
import type { ServiceDeps } from '../../api/services/deps';
import { importFormatOf, importResults, requestRanking } from '../../api/services/imports';
import { loadRoundConfig } from '../../api/services/registrations';
import { PHASE_LABEL } from '../labels';
import { multipartCsrf } from '../multipart-csrf';
import { renderPage } from '../render';
import { requireStaff } from '../staff';
import { roundCrumbs, roundParam } from './console-rounds';

/**
 * HR's exam results page of a round: an SKD and an SKB file (CSV as Excel saves it, or XLSX)
 * through importResults, each line-numbered error listed when the file is refused; the rankings
 * requested through requestRanking; links to the rankings and announcements.
 */
const C = '/konsol/seleksi';
const MAX_FILE = 16 * 1024 * 1024;
const EXAMS = {
  skd: { label: 'SKD', columns: 'registration_no, twk, tiu, tkp' },
  skb: { label: 'SKB', columns: 'registration_no, skb (dan interview bila formasi memakai wawancara)' },
} as const;
const RANKINGS = {
  skb_selection: { label: 'Penetapan peserta SKB', button: 'Minta penetapan peserta SKB' },
  final: { label: 'Peringkat hasil akhir', button: 'Minta peringkat hasil akhir' },
} as const;
type Exam = keyof typeof EXAMS;
type Ranking = keyof typeof RANKINGS;

/** What the last form did: a success line, or a refusal with its line-numbered errors, beside that form. */
interface Outcome {
  target?: string;
  ok?: string;
  error?: string;
  lines?: string[];
}

const page = { config: { access: 'public' as const }, schema: { hide: true } };

function keyOf<T extends object>(table: T, req: FastifyRequest, param: string, what: string): keyof T {
  const v = String((req.params as Record<string, string>)[param] ?? '');
  if (!Object.hasOwn(table, v)) throw notFound(what, v.slice(0, 40));
  return v as keyof T;
}

/** The notice after a redirect, from fixed words and a validated count (no reflected text). */
function noticeOf(query: Record<string, string | undefined>): Outcome {
  const rows = /^\d{1,7}$/.test(query.baris ?? '') ? Number(query.baris) : undefined;
  const exam = query.impor;
  if (exam && Object.hasOwn(EXAMS, exam) && rows !== undefined)
    return {
      target: exam,
      ok:
        query.ulang === '1'
          ? `Berkas ${EXAMS[exam as Exam].label} ini sudah pernah diimpor (${rows} baris); tidak ada yang berubah.`
          : `${rows} baris nilai ${EXAMS[exam as Exam].label} diimpor dan dikirim ke alur kerja seleksi.`,
    };
  const kind = query.peringkat;
  if (kind && Object.hasOwn(RANKINGS, kind))
    return {
      target: kind,
      ok: `${RANKINGS[kind as Ranking].label} diminta. Hasilnya tampil di halaman peringkat setelah pekerjaan selesai.`,
    };
  return {};
}

/** A refusal (4xx) for the page: the phase said in words, an invalid file's errors one per line. */
function refusalOf(err: unknown, phase: string): { status: number; outcome: Outcome } | undefined {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) return undefined;
  const e = body.error as { code: string; message: string; details?: unknown };
  const lines = Array.isArray(e.details)
    ? e.details.map((d) => String((d as { message?: unknown })?.message ?? '')).filter(Boolean)
    : [];
  const error =
    e.code === 'WRONG_PHASE'
      ? `Ditolak pada tahap ini (${PHASE_LABEL[phase] ?? phase}): ${e.message}`
      : e.code === 'IMPORT_INVALID'
        ? `Berkas ditolak dan tidak ada nilai yang diterapkan: ${lines.length} kesalahan. Perbaiki baris berikut lalu unggah lagi.`
        : e.message;
  return { status, outcome: { error, lines } };
}

async function importsPage(
  deps: ServiceDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  outcome: Outcome,
  status = 200,
): Promise<FastifyReply> {
  await requireStaff(deps.db, req, ['hr']);
  const roundId = roundParam(req);
  const { config, phase } = await loadRoundConfig(deps, roundId);
  const base = `${req.site.prefix}${C}/${encodeURIComponent(roundId)}`;
  return renderPage(
    req,
    reply,
    'console/imports',
    {
      title: 'Impor nilai dan pemeringkatan',
      crumbs: roundCrumbs(req, roundId, config.name),
      phaseLabel: PHASE_LABEL[phase] ?? phase,
      base,
      exams: Object.entries(EXAMS).map(([exam, e]) => ({ exam, ...e })),
      rankings: Object.entries(RANKINGS).map(([kind, r]) => ({ kind, ...r })),
      outcome,
    },
    status,
  );
}

/** The uploaded file (multipart, field "file") and its format, or the words of why there is none. */
async function uploaded(req: FastifyRequest): Promise<{ content: Buffer; format: 'csv' | 'xlsx' } | string> {
  if (!req.isMultipart()) return 'Unggah berkas melalui formulir ini';
  const file = await req.file({ limits: { fileSize: MAX_FILE, files: 1 } });
  if (!file || !file.filename) return 'Pilih berkas CSV atau XLSX terlebih dahulu';
  let content: Buffer;
  try {
    content = await file.toBuffer();
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return 'Berkas melebihi 16 MiB';
    throw err;
  }
  if (!content.length) return 'Berkas yang dipilih kosong';
  return { content, format: importFormatOf(file.mimetype, file.filename) };
}

function importRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const form = { ...page, preHandler: app.csrfProtection };
  const upload = { ...page, preHandler: multipartCsrf(app) };
  app.get(`${C}/:roundId/impor`, page, async (req, reply) =>
    importsPage(deps, req, reply, noticeOf(req.query as Record<string, string>)),
  );

  app.post(`${C}/:roundId/impor/:exam`, upload, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['hr']);
    const roundId = roundParam(req);
    const exam = keyOf(EXAMS, req, 'exam', 'Ujian');
    const file = await uploaded(req);
    if (typeof file === 'string') return importsPage(deps, req, reply, { target: exam, error: file }, 400);
    try {
      const r = await importResults(deps, roundId, exam, file.content, user.username, undefined, file.format);
      const again = r.alreadyImported ? '&ulang=1' : '';
      return reply.redirect(
        `${req.site.prefix}${C}/${encodeURIComponent(roundId)}/impor?impor=${exam}&baris=${r.rows}${again}`,
        303,
      );
    } catch (err) {
      const refused = refusalOf(err, (await loadRoundConfig(deps, roundId)).phase);
      if (!refused) throw err;
      return importsPage(deps, req, reply, { target: exam, ...refused.outcome }, refused.status);
    }
  });

  app.post(`${C}/:roundId/impor/peringkat/:kind`, form, async (req, reply) => {
    const user = await requireStaff(deps.db, req, ['hr']);
    const roundId = roundParam(req);
    const kind = keyOf(RANKINGS, req, 'kind', 'Peringkat');
    try {
      await requestRanking(deps, roundId, kind, user.username);
    } catch (err) {
      const refused = refusalOf(err, (await loadRoundConfig(deps, roundId)).phase);
      if (!refused) throw err;
      return importsPage(deps, req, reply, { target: kind, ...refused.outcome }, refused.status);
    }
    return reply.redirect(`${req.site.prefix}${C}/${encodeURIComponent(roundId)}/impor?peringkat=${kind}`, 303);
  });
}

export const consoleImportRoutes: FastifyPluginAsync<{ deps: ServiceDeps }> = async (app, { deps }) => {
  importRoutes(app, deps);
};
