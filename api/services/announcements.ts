import type { SelectQueryBuilder } from 'kysely';
import { displayScore, maskNik } from '../../domain';
import { candidateWorkflowId, formationIdAttr, stageAttr, type CandidateStage } from '../../contracts';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { loadRoundConfig } from './registrations';
import { latestAnchoredHead, type AnchoredHeadView } from './audit';
import { roundChain } from '../../contracts';
import { roundWorkflowId } from '../../contracts';

export const ANNOUNCEMENT_PHASES = ['administrasi', 'skd', 'skb_selection', 'final'] as const;
export type AnnouncementPhase = (typeof ANNOUNCEMENT_PHASES)[number];

export interface AnnouncementRow {
  registrationNo: string;
  name: string;
  nik: string;
  formationId: string;
  result: string;
  score: string | null;
  note: string | null;
}

const TITLES: Record<AnnouncementPhase, string> = {
  administrasi: 'Pengumuman Hasil Seleksi Administrasi',
  skd: 'Pengumuman Hasil Seleksi Kompetensi Dasar (SKD)',
  skb_selection: 'Pengumuman Peserta Seleksi Kompetensi Bidang (SKB)',
  final: 'Pengumuman Hasil Akhir Seleksi',
};

export const RESULT_LABEL: Record<string, string> = {
  MS: 'Memenuhi Syarat',
  TMS: 'Tidak Memenuhi Syarat',
  passed: 'Memenuhi Nilai Ambang Batas',
  failed: 'Tidak Memenuhi Nilai Ambang Batas',
  selected: 'Lolos ke SKB',
  not_selected: 'Tidak Lolos ke SKB',
  lulus: 'Lulus',
  lulus_optimalisasi: 'Lulus (Optimalisasi)',
  tidak_lulus: 'Tidak Lulus',
};

/** The round's applications (of one formation when given), the base of every announcement. */
const applicationsOf = (deps: ServiceDeps, roundId: string, formationId: string | undefined) =>
  deps.db
    .selectFrom('applications as a')
    .where('a.round_id', '=', roundId)
    .$if(!!formationId, (q) => q.where('a.formation_id', '=', formationId!));
type Applications = ReturnType<typeof applicationsOf>;

/** The columns of the candidate every announcement row shows. */
const CANDIDATE = ['a.registration_no', 'a.full_name', 'a.nik', 'a.formation_id'] as const;

/** An announcement row: the candidate (NIK masked) and what the phase says of them. */
function rowOf(
  r: { registration_no: string; full_name: string; nik: string; formation_id: string },
  says: Pick<AnnouncementRow, 'result' | 'score' | 'note'>,
): AnnouncementRow {
  return {
    registrationNo: r.registration_no,
    name: r.full_name,
    nik: maskNik(r.nik),
    formationId: r.formation_id,
    ...says,
  };
}

/** The administrasi result of each candidate (MS/TMS; a re-announcement after an accepted sanggah). */
async function administrasiRows(base: Applications): Promise<AnnouncementRow[]> {
  return (
    await base
      .innerJoin('verifications as v', (j) =>
        j.onRef('v.registration_no', '=', 'a.registration_no').on('v.stage', '=', 'administrasi'),
      )
      .select([...CANDIDATE, 'v.result', 'v.reannounce'])
      .orderBy('a.formation_id')
      .orderBy('a.registration_no')
      .execute()
  ).map((r) =>
    rowOf(r, {
      result: r.result,
      score: null,
      note: r.reannounce ? 'Sanggah diterima (pengumuman ulang)' : null,
    }),
  );
}

/** The SKD scores, best first in each formation. */
async function skdRows(base: Applications): Promise<AnnouncementRow[]> {
  return (
    await base
      .innerJoin('skd_scores as s', 's.registration_no', 'a.registration_no')
      .select([...CANDIDATE, 's.total', 's.passed', 's.twk', 's.tiu', 's.tkp', 's.reused_from_year'])
      .orderBy('a.formation_id')
      .orderBy('s.total', 'desc')
      .orderBy('a.registration_no')
      .execute()
  ).map((r) =>
    rowOf(r, {
      result: r.passed ? 'passed' : 'failed',
      score: `${r.total} (TWK ${r.twk}, TIU ${r.tiu}, TKP ${r.tkp})`,
      note: r.reused_from_year ? `Nilai SKD ${r.reused_from_year}` : null,
    }),
  );
}

/** A ranking (SKB selection or final), by rank in each formation. */
async function rankingRows(base: Applications, p: 'skb_selection' | 'final'): Promise<AnnouncementRow[]> {
  return (
    await base
      .innerJoin('rankings as r', (j) => j.onRef('r.registration_no', '=', 'a.registration_no').on('r.kind', '=', p))
      .select([...CANDIDATE, 'r.rank', 'r.result', 'r.placement_formation_id', 'r.score_scaled', 'r.score_scale'])
      .orderBy('a.formation_id')
      .orderBy('r.rank')
      .orderBy('a.registration_no')
      .execute()
  ).map((r) =>
    rowOf(r, {
      result: r.result,
      score:
        r.score_scaled !== null && r.score_scale !== null
          ? displayScore(Number(r.score_scaled), Number(r.score_scale))
          : `peringkat ${r.rank}`,
      note: r.placement_formation_id ? `Ditempatkan pada formasi ${r.placement_formation_id}` : null,
    }),
  );
}

/** An announcement per phase and formation: registration number, name, masked NIK, result. */
export async function announcement(
  deps: ServiceDeps,
  roundId: string,
  phase: string,
  formationId?: string,
): Promise<{
  roundId: string;
  agency: string;
  roundName: string;
  phase: AnnouncementPhase;
  title: string;
  rows: AnnouncementRow[];
  auditHead: AnchoredHeadView | null;
}> {
  if (!(ANNOUNCEMENT_PHASES as readonly string[]).includes(phase))
    throw new AppError(404, 'NOT_FOUND', `Tidak ada pengumuman ${phase}`, { allowed: ANNOUNCEMENT_PHASES });
  const p = phase as AnnouncementPhase;
  const { config } = await loadRoundConfig(deps, roundId);
  const base = applicationsOf(deps, roundId, formationId);
  const rows =
    p === 'administrasi'
      ? await administrasiRows(base)
      : p === 'skd'
        ? await skdRows(base)
        : await rankingRows(base, p);
  return {
    roundId,
    agency: config.agency,
    roundName: config.name,
    phase: p,
    title: TITLES[p],
    rows,
    auditHead: await latestAnchoredHead(deps, roundChain(roundId), roundWorkflowId(roundId)),
  };
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The "Jejak audit" block of every announcement and report: the latest signed head of the
 * round's audit chain, printed so copies of it exist outside the system. Anyone can check it
 * with the public keys (GET /audit/keys) and `asn audit verify`.
 */
export function auditTrailHtml(a: AnchoredHeadView | null): string {
  if (!a)
    return '<section class="jejak-audit"><h2>Jejak audit</h2><p>Belum ada kepala rantai log audit yang ditandatangani untuk seleksi ini.</p></section>';
  const h = a.head;
  const row = (k: string, v: string): string => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`;
  return `<section class="jejak-audit"><h2>Jejak audit</h2>
<p>Kepala rantai log audit terakhir yang ditandatangani (Ed25519) dan tercatat di riwayat alur kerja Temporal. Simpan salinan halaman ini: perubahan atau pemotongan log audit setelahnya akan terdeteksi oleh pemeriksaan (<code>asn audit verify</code>; kunci publik di <code>/audit/keys</code>).</p>
${a.signatureValid ? '' : '<p><strong>PERINGATAN: tanda tangan kepala rantai ini tidak sah.</strong></p>'}
<table>${row('Rantai', h.chain)}${row('Baris terakhir (seq)', String(h.seq))}${row('Hash', h.hash)}${row('Ditandatangani', h.signedAt)}${row('Kunci', h.keyId)}${row('Tanda tangan', h.signature)}</table>
</section>`;
}

/** A printable page in Bahasa Indonesia. */
export function announcementHtml(a: Awaited<ReturnType<typeof announcement>>): string {
  const groups = new Map<string, AnnouncementRow[]>();
  for (const r of a.rows) groups.set(r.formationId, [...(groups.get(r.formationId) ?? []), r]);
  const tables = [...groups]
    .map(
      ([f, rows]) => `
  <h2>Formasi ${esc(f)}</h2>
  <table><thead><tr><th>No</th><th>Nomor Pendaftaran</th><th>Nama</th><th>NIK</th><th>Nilai</th><th>Hasil</th><th>Keterangan</th></tr></thead><tbody>
  ${rows.map((r, i) => `<tr><td>${i + 1}</td><td>${esc(r.registrationNo)}</td><td>${esc(r.name)}</td><td>${esc(r.nik)}</td><td>${esc(r.score ?? '-')}</td><td>${esc(RESULT_LABEL[r.result] ?? r.result)}</td><td>${esc(r.note ?? '')}</td></tr>`).join('\n  ')}
  </tbody></table>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>${esc(a.title)} — ${esc(a.roundName)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;margin-bottom:2rem}th,td{border:1px solid #999;padding:.3rem .5rem;font-size:.9rem;text-align:left}th{background:#eee}@media print{body{margin:0}}</style>
</head><body>
<h1>${esc(a.title)}</h1>
<p>${esc(a.roundName)} — ${esc(a.agency)}</p>
<p>NIK ditampilkan tersamar untuk melindungi data pribadi. Jumlah peserta: ${a.rows.length}.</p>
${tables || '<p>Belum ada data untuk pengumuman ini.</p>'}
${auditTrailHtml(a.auditHead)}
</body></html>`;
}

/** How many rows a query selects. */
async function countRows<DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>): Promise<number> {
  const row = (await qb.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst()) as { n?: unknown } | undefined;
  return Number(row?.n ?? 0);
}

/** Counts per stage from PostgreSQL (the funnel). */
export async function funnel(deps: ServiceDeps, roundId: string): Promise<Record<string, number>> {
  await loadRoundConfig(deps, roundId);
  const db = deps.db;
  const ranked = (kind: 'skb_selection' | 'final') =>
    db.selectFrom('rankings').where((eb) => eb.and({ round_id: roundId, kind }));
  const [registered, ms, skdPassed, skbSelected, lulus, appointed] = await Promise.all([
    countRows(db.selectFrom('applications').where('round_id', '=', roundId)),
    countRows(
      db
        .selectFrom('verifications as v')
        .innerJoin('applications as a', 'a.registration_no', 'v.registration_no')
        .where((eb) => eb.and({ 'a.round_id': roundId, 'v.result': 'MS' })),
    ),
    countRows(
      db
        .selectFrom('skd_scores as s')
        .innerJoin('applications as a', 'a.registration_no', 's.registration_no')
        .where((eb) => eb.and({ 'a.round_id': roundId, 's.passed': true })),
    ),
    countRows(ranked('skb_selection').where('result', '=', 'selected')),
    countRows(ranked('final').where('result', 'in', ['lulus', 'lulus_optimalisasi'])),
    countRows(
      db
        .selectFrom('appointments as p')
        .innerJoin('applications as a', 'a.registration_no', 'p.registration_no')
        .where('a.round_id', '=', roundId)
        .where('p.nip', 'is not', null),
    ),
  ]);
  return { registered, ms, skdPassed, skbSelected, lulus, appointed };
}

/** HR's list by stage/formation, from Temporal visibility (search attributes): every match, by registration number. */
export async function listCandidates(
  deps: ServiceDeps,
  roundId: string,
  filter: { stage?: CandidateStage; formationId?: string },
): Promise<{ registrationNo: string; stage: string | null; formationId: string | null; status: string }[]> {
  await loadRoundConfig(deps, roundId);
  const q = [`RoundId = "${roundId}"`, `WorkflowType = "candidate"`];
  if (filter.stage) q.push(`Stage = "${filter.stage}"`);
  if (filter.formationId) q.push(`FormationId = "${filter.formationId}"`);
  const out: { registrationNo: string; stage: string | null; formationId: string | null; status: string }[] = [];
  for await (const wf of deps.client.workflow.list({ query: q.join(' AND ') })) {
    const sa = wf.typedSearchAttributes;
    out.push({
      registrationNo: wf.workflowId.replace(candidateWorkflowId(''), ''),
      stage: sa.get(stageAttr) ?? null,
      formationId: sa.get(formationIdAttr) ?? null,
      status: wf.status.name,
    });
  }
  // Every match (visibility has no stable order of its own), then sorted: pages are cut after this.
  return out.sort((a, b) => (a.registrationNo < b.registrationNo ? -1 : a.registrationNo > b.registrationNo ? 1 : 0));
}
