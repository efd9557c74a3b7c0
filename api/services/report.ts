import { sql } from 'kysely';
import type { RoundConfig } from '../../domain';
import { roundChain } from '../../contracts';
import type { ServiceDeps } from './deps';
import { auditTrailHtml, funnel } from './announcements';
import { latestAnchoredHead, type AnchoredHeadView } from './audit';
import { roundWorkflowId } from '../../contracts';
import { loadRoundConfig } from './registrations';

/**
 * The round report: one self-contained HTML page in Bahasa Indonesia (inline SVG, no scripts, no
 * personal data — counts and distributions only), so it can be published, printed or mailed.
 */

export interface RoundReport {
  config: RoundConfig;
  phase: string;
  funnel: Record<string, number>;
  histograms: {
    subtest: 'twk' | 'tiu' | 'tkp' | 'total';
    label: string;
    binWidth: number;
    min: number;
    max: number;
    counts: number[];
    passingGrade: number | null;
  }[];
  phases: { phase: string; at: string; durationMs: number | null }[];
  latencies: { step: string; n: number; p50Ms: number; p95Ms: number; maxMs: number }[];
  formations: {
    formationId: string;
    unit: string;
    jabatan: string;
    quota: number;
    registered: number;
    ms: number;
    skdPassed: number;
    skbSelected: number;
    lulus: number;
    appointed: number;
  }[];
  generatedAt: string;
  /** The latest signed head of the round's audit chain ("Jejak audit"). */
  auditHead: AnchoredHeadView | null;
}

const PHASE_LABEL: Record<string, string> = {
  draft: 'Rancangan',
  consultation: 'Konsultasi publik',
  criteria_adoption: 'Penetapan kriteria',
  registration: 'Pendaftaran',
  administrative_check: 'Verifikasi administrasi',
  announcement: 'Pengumuman dan sanggah',
  skd: 'SKD',
  skb: 'SKB',
  final_announcement: 'Pengumuman akhir dan pemberkasan',
  closed: 'Selesai',
};

export async function roundReport(deps: ServiceDeps, roundId: string): Promise<RoundReport> {
  const { config, phase } = await loadRoundConfig(deps, roundId);
  const f = await funnel(deps, roundId);
  const histograms = await skdHistograms(deps, roundId, config);
  const phases = await phaseTimeline(deps, roundId);
  const latencies = await stepLatencies(deps, roundId);
  const formations = await formationCounts(deps, roundId, config);
  return {
    config,
    phase,
    funnel: f,
    histograms,
    phases,
    latencies,
    formations,
    generatedAt: new Date().toISOString(),
    auditHead: await latestAnchoredHead(deps, roundChain(roundId), roundWorkflowId(roundId)),
  };
}

/** The distribution of the SKD scores, per subtest and total, against the general passing grades. */
async function skdHistograms(
  deps: ServiceDeps,
  roundId: string,
  config: RoundConfig,
): Promise<RoundReport['histograms']> {
  const scores = await deps.db
    .selectFrom('skd_scores as s')
    .innerJoin('applications as a', 'a.registration_no', 's.registration_no')
    .select(['s.twk', 's.tiu', 's.tkp', 's.total'])
    .where('a.round_id', '=', roundId)
    .execute();
  const grades = config.passingGrades.umum;
  const hist = (
    subtest: 'twk' | 'tiu' | 'tkp' | 'total',
    label: string,
    min: number,
    max: number,
    binWidth: number,
  ): RoundReport['histograms'][number] => {
    const counts = new Array<number>(Math.ceil((max - min + 1) / binWidth)).fill(0);
    for (const s of scores) counts[Math.min(counts.length - 1, Math.floor((s[subtest] - min) / binWidth))]! += 1;
    return { subtest, label, binWidth, min, max, counts, passingGrade: grades[subtest] ?? null };
  };
  return [
    hist('twk', 'TWK (Tes Wawasan Kebangsaan)', 0, 150, 5),
    hist('tiu', 'TIU (Tes Intelegensia Umum)', 0, 175, 5),
    hist('tkp', 'TKP (Tes Karakteristik Pribadi)', 45, 225, 5),
    hist('total', 'Total SKD', 0, 550, 10),
  ];
}

/** The round's phases as its audit chain recorded them, each with how long it lasted. */
async function phaseTimeline(deps: ServiceDeps, roundId: string): Promise<RoundReport['phases']> {
  const phaseRows = await deps.db
    .selectFrom('audit_log')
    .select(['payload', 'occurred_at'])
    .where('chain', '=', roundChain(roundId))
    .where('action', '=', 'round.phase')
    .orderBy('seq')
    .execute();
  return phaseRows.map((r, i) => ({
    phase: (r.payload as { phase: string }).phase,
    at: new Date(r.occurred_at).toISOString(),
    durationMs: phaseRows[i + 1]
      ? new Date(phaseRows[i + 1]!.occurred_at).getTime() - new Date(r.occurred_at).getTime()
      : null,
  }));
}

/** How long after each panel action the candidates' own records followed (the fan-out at work). */
async function stepLatencies(deps: ServiceDeps, roundId: string): Promise<RoundReport['latencies']> {
  const lat = (step: string, from: string, to: string, fromRound: boolean) =>
    latency(deps, roundId, { step, from, to, fromRound });
  return (
    await Promise.all([
      lat('Dokumen dikirim → keputusan verifikasi', 'documents.submitted', 'verification.decided', false),
      lat('Sanggah diajukan → dijawab', 'sanggah.filed', 'sanggah.answered', false),
      lat('Impor SKD → nilai tercatat per peserta', 'import.skd', 'skd.recorded', true),
      lat('Penetapan peserta SKB → tercatat per peserta', 'ranking.skb_selection', 'skb.selection', true),
      lat('Impor SKB → nilai tercatat per peserta', 'import.skb', 'skb.score', true),
      lat('Pemeringkatan akhir → hasil tercatat per peserta', 'ranking.final', 'final.recorded', true),
      lat('DRH diisi → NIP ditetapkan', 'drh.submitted', 'candidate.appointed', false),
    ])
  ).filter((x): x is NonNullable<typeof x> => x !== null);
}

/** From the action `from` (the round's, or the candidate's own) to each candidate's `to`: none when nothing followed. */
async function latency(
  deps: ServiceDeps,
  roundId: string,
  { step, from, to, fromRound }: { step: string; from: string; to: string; fromRound: boolean },
): Promise<RoundReport['latencies'][number] | null> {
  const r = await sql<{ n: string; p50: number | null; p95: number | null; mx: number | null }>`
      with src as (
        select ${fromRound ? sql`null::text` : sql`subject`} as subject, max(occurred_at) as at from audit_log
        where chain = ${roundChain(roundId)} and action = ${from} group by 1
      ), dst as (
        select subject, min(occurred_at) as at from audit_log where chain = ${roundChain(roundId)} and action = ${to} group by subject
      ), d as (
        select extract(epoch from (dst.at - src.at)) * 1000 as ms from dst join src on ${fromRound ? sql`true` : sql`src.subject = dst.subject`} where dst.at >= src.at
      )
      select count(*) as n, percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.95) within group (order by ms) as p95, max(ms) as mx from d`.execute(
    deps.db,
  );
  const row = r.rows[0];
  if (!row || Number(row.n) === 0) return null;
  return {
    step,
    n: Number(row.n),
    p50Ms: Math.round(row.p50 ?? 0),
    p95Ms: Math.round(row.p95 ?? 0),
    maxMs: Math.round(row.mx ?? 0),
  };
}

/** The funnel per formation, in the order of the round's formations. */
async function formationCounts(
  deps: ServiceDeps,
  roundId: string,
  config: RoundConfig,
): Promise<RoundReport['formations']> {
  const perFormation = await sql<{
    formation_id: string;
    registered: string;
    ms: string;
    skd_passed: string;
    skb_selected: string;
    lulus: string;
    appointed: string;
  }>`
    select a.formation_id,
      count(*) as registered,
      count(*) filter (where v.result = 'MS') as ms,
      count(*) filter (where s.passed) as skd_passed,
      count(*) filter (where sel.result = 'selected') as skb_selected,
      (select count(*) from rankings r where r.round_id = ${roundId} and r.kind = 'final' and r.result in ('lulus', 'lulus_optimalisasi') and coalesce(r.placement_formation_id, r.formation_id) = a.formation_id) as lulus,
      (select count(*) from appointments p where p.formation_id = a.formation_id and p.nip is not null and p.registration_no in (select registration_no from applications where round_id = ${roundId})) as appointed
    from applications a
    left join verifications v on v.registration_no = a.registration_no and v.stage = 'administrasi'
    left join skd_scores s on s.registration_no = a.registration_no
    left join rankings sel on sel.registration_no = a.registration_no and sel.kind = 'skb_selection'
    where a.round_id = ${roundId}
    group by a.formation_id`.execute(deps.db);
  const pf = new Map(perFormation.rows.map((r) => [r.formation_id, r]));
  return config.formations.map((fm) => {
    const r = pf.get(fm.formationId);
    return {
      formationId: fm.formationId,
      unit: fm.unit,
      jabatan: fm.jabatan,
      quota: fm.quota,
      registered: Number(r?.registered ?? 0),
      ms: Number(r?.ms ?? 0),
      skdPassed: Number(r?.skd_passed ?? 0),
      skbSelected: Number(r?.skb_selected ?? 0),
      lulus: Number(r?.lulus ?? 0),
      appointed: Number(r?.appointed ?? 0),
    };
  });
}

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (n: number): string => n.toLocaleString('id-ID');
export function durasi(ms: number): string {
  if (ms < 1000) return `${ms} md`;
  const s = ms / 1000;
  if (s < 120) return `${s.toLocaleString('id-ID', { maximumFractionDigits: 1 })} dtk`;
  const m = s / 60;
  if (m < 120) return `${m.toLocaleString('id-ID', { maximumFractionDigits: 1 })} mnt`;
  const h = m / 60;
  if (h < 48) return `${h.toLocaleString('id-ID', { maximumFractionDigits: 1 })} jam`;
  return `${(h / 24).toLocaleString('id-ID', { maximumFractionDigits: 1 })} hari`;
}

function funnelSvg(f: Record<string, number>): string {
  const steps: [string, number][] = [
    ['Mendaftar', f.registered ?? 0],
    ['Memenuhi syarat (MS)', f.ms ?? 0],
    ['Lulus nilai ambang SKD', f.skdPassed ?? 0],
    ['Peserta SKB', f.skbSelected ?? 0],
    ['Lulus akhir', f.lulus ?? 0],
    ['Diangkat (NIP)', f.appointed ?? 0],
  ];
  const max = Math.max(1, ...steps.map((s) => s[1]));
  const W = 560;
  const rows = steps
    .map(([label, n], i) => {
      const w = Math.max(2, Math.round((n / max) * (W - 220)));
      return `<g transform="translate(0,${i * 34})"><text x="0" y="20" class="lbl">${esc(label)}</text><rect x="180" y="4" width="${w}" height="24" class="bar"/><text x="${186 + w}" y="21" class="val">${num(n)}</text></g>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${steps.length * 34}" role="img" aria-label="Corong seleksi">${rows}</svg>`;
}

function histogramSvg(h: RoundReport['histograms'][number]): string {
  const W = 560;
  const H = 180;
  const padL = 34;
  const padB = 26;
  const max = Math.max(1, ...h.counts);
  const bw = (W - padL) / h.counts.length;
  const x = (v: number): number => padL + ((v - h.min) / (h.max - h.min + 1)) * (W - padL);
  const bars = h.counts
    .map((c, i) => {
      const bh = Math.round((c / max) * (H - padB - 10));
      const lo = h.min + i * h.binWidth;
      const pass = h.passingGrade !== null && lo >= h.passingGrade;
      return `<rect x="${(padL + i * bw).toFixed(1)}" y="${H - padB - bh}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh}" class="${pass ? 'bar' : 'bar dim'}"><title>${lo}–${lo + h.binWidth - 1}: ${c} peserta</title></rect>`;
    })
    .join('');
  const ticks = [h.min, Math.round((h.min + h.max) / 2), h.max]
    .map((v) => `<text x="${x(v).toFixed(1)}" y="${H - 8}" class="tick" text-anchor="middle">${v}</text>`)
    .join('');
  const line =
    h.passingGrade !== null
      ? `<line x1="${x(h.passingGrade).toFixed(1)}" x2="${x(h.passingGrade).toFixed(1)}" y1="4" y2="${H - padB}" class="grade"/><text x="${(x(h.passingGrade) + 4).toFixed(1)}" y="14" class="gradelbl">ambang ${h.passingGrade}</text>`
      : '';
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Sebaran nilai ${esc(h.label)}"><text x="0" y="12" class="tick">${max}</text><line x1="${padL}" x2="${W}" y1="${H - padB}" y2="${H - padB}" class="axis"/>${bars}${line}${ticks}</svg>`;
}

function phasesSvg(phases: RoundReport['phases']): string {
  const timed = phases.filter((p) => p.durationMs !== null);
  if (!timed.length) return '';
  const total = timed.reduce((s, p) => s + p.durationMs!, 0) || 1;
  const W = 560;
  let x = 0;
  const segs = timed
    .map((p, i) => {
      const w = Math.max(1, (p.durationMs! / total) * W);
      const seg = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="26" class="seg s${i % 4}"><title>${esc(PHASE_LABEL[p.phase] ?? p.phase)}: ${durasi(p.durationMs!)}</title></rect>`;
      x += w;
      return seg;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} 26" role="img" aria-label="Lini masa tahapan">${segs}</svg>`;
}

export function reportHtml(r: RoundReport): string {
  const c = r.config;
  const phaseRows = r.phases
    .map(
      (p) =>
        `<tr><td>${esc(PHASE_LABEL[p.phase] ?? p.phase)}</td><td>${esc(new Date(p.at).toLocaleString('id-ID', { timeZone: 'Asia/Jakarta' }))} WIB</td><td class="n">${p.durationMs === null ? '—' : durasi(p.durationMs)}</td></tr>`,
    )
    .join('');
  const latRows = r.latencies
    .map(
      (l) =>
        `<tr><td>${esc(l.step)}</td><td class="n">${num(l.n)}</td><td class="n">${durasi(l.p50Ms)}</td><td class="n">${durasi(l.p95Ms)}</td><td class="n">${durasi(l.maxMs)}</td></tr>`,
    )
    .join('');
  const fRows = r.formations
    .map(
      (f) =>
        `<tr><td>${esc(f.unit)}</td><td>${esc(f.jabatan)}</td><td class="n">${f.quota}</td><td class="n">${num(f.registered)}</td><td class="n">${num(f.ms)}</td><td class="n">${num(f.skdPassed)}</td><td class="n">${num(f.skbSelected)}</td><td class="n">${num(f.lulus)}</td><td class="n">${num(f.appointed)}</td><td class="n">${Math.max(0, f.quota - f.lulus)}</td></tr>`,
    )
    .join('');
  const tot = r.formations.reduce(
    (s, f) => ({
      quota: s.quota + f.quota,
      registered: s.registered + f.registered,
      lulus: s.lulus + f.lulus,
      appointed: s.appointed + f.appointed,
    }),
    { quota: 0, registered: 0, lulus: 0, appointed: 0 },
  );
  const hists = r.histograms
    .map(
      (h) =>
        `<figure><figcaption>${esc(h.label)}${h.passingGrade !== null ? ` — nilai ambang batas ${h.passingGrade}` : ''}</figcaption>${histogramSvg(h)}</figure>`,
    )
    .join('');
  return `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Laporan ${esc(c.name)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2733}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:2px solid #c8102e;padding-bottom:.2rem}
.meta{color:#586574}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #d5dbe1;padding:.3rem .45rem;text-align:left}th{background:#f1f4f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}svg{width:100%;height:auto;max-width:560px;display:block}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
.bar{fill:#1f6fb2}.bar.dim{fill:#a9c3da}.lbl,.val,.tick,.gradelbl{font-size:12px;fill:#1d2733}.grade{stroke:#c8102e;stroke-width:2;stroke-dasharray:4 3}.gradelbl{fill:#c8102e}.axis{stroke:#8a96a3}
.seg.s0{fill:#1f6fb2}.seg.s1{fill:#4f97d1}.seg.s2{fill:#87b9e3}.seg.s3{fill:#c3dcf1}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(26rem,1fr));gap:1rem}
@media print{body{margin:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
</style></head><body>
<h1>Laporan ${esc(c.name)}</h1>
<p class="meta">${esc(c.agency)} · Tahun anggaran ${c.budgetYear} · Tahap saat ini: ${esc(PHASE_LABEL[r.phase] ?? r.phase)} · Dibuat ${esc(new Date(r.generatedAt).toLocaleString('id-ID', { timeZone: 'Asia/Jakarta' }))} WIB${c.simulation ? ' · <strong>SIMULASI</strong> (satu hari jendela waktu = ' + durasi(c.simulation.dayMs) + ')' : ''}</p>
<p>Laporan ini hanya memuat jumlah dan sebaran nilai; tidak ada data pribadi pelamar.</p>

<h2>Corong seleksi</h2>
${funnelSvg(r.funnel)}
<p>Formasi: ${r.formations.length} · Kebutuhan: ${num(tot.quota)} · Pendaftar: ${num(tot.registered)} · Lulus akhir: ${num(tot.lulus)} · Diangkat: ${num(tot.appointed)}</p>

<h2>Sebaran nilai SKD</h2>
<p>Batang gelap berada pada atau di atas nilai ambang batas kelompok umum (garis merah putus-putus). Kelulusan SKD mensyaratkan ketiga subtes memenuhi ambang batas.</p>
<div class="grid">${hists}</div>

<h2>Waktu per tahap</h2>
${phasesSvg(r.phases)}
<table><thead><tr><th>Tahap</th><th>Mulai</th><th>Lama</th></tr></thead><tbody>${phaseRows}</tbody></table>
<h3>Waktu proses per peserta</h3>
<table><thead><tr><th>Langkah</th><th>Peserta</th><th>Median</th><th>Persentil 95</th><th>Terlama</th></tr></thead><tbody>${latRows || '<tr><td colspan="5">Belum ada data</td></tr>'}</tbody></table>

<h2>Rekapitulasi per formasi</h2>
<table><thead><tr><th>Unit kerja</th><th>Jabatan</th><th>Kuota</th><th>Pendaftar</th><th>MS</th><th>Lulus SKD</th><th>Peserta SKB</th><th>Lulus akhir</th><th>Diangkat</th><th>Kosong</th></tr></thead><tbody>${fRows}</tbody></table>
${auditTrailHtml(r.auditHead)}
<p class="meta">Lulus akhir dihitung pada formasi penempatan (termasuk optimalisasi). Sumber: basis data seleksi dan log audit berantai hash.</p>
</body></html>`;
}
