/**
 * The one place a candidate's decisions are worded: the candidate workflow keeps them in its
 * status, the read model (api/services/candidate-read.ts) words its audit rows with the same
 * functions, so both say the same thing. Pure: no clock, no I/O (the workflow imports it).
 */
import type { PassingCheck } from './skd';
import type { SanggahStage } from './round-config';

/** What was decided and why (absent: nothing to add). */
export interface Wording {
  what: string;
  why?: string;
}

const withWhy = (what: string, why: string | null | undefined): Wording => (why ? { what, why } : { what });

/** The minima an SKD score was judged by, e.g. `TWK 100/65, TIU 120/80, TKP 200/166`. */
export function skdChecksText(checks: readonly PassingCheck[]): string {
  return checks.map((c) => `${c.rule.toUpperCase()} ${c.value}/${c.minimum}`).join(', ');
}

/** The TMS reasons of a verification, `kind: reason; …` (empty when every document is MS). */
export function tmsReasons(decisions: readonly { kind: string; result: 'MS' | 'TMS'; reason?: string }[]): string {
  return decisions
    .filter((d) => d.result === 'TMS')
    .map((d) => `${d.kind}: ${d.reason}`)
    .join('; ');
}

export const wording = {
  documentsSubmitted: (kinds: readonly string[]): Wording => withWhy('unggah dokumen', kinds.join(', ')),
  verification: (
    result: 'MS' | 'TMS',
    decisions: readonly { kind: string; result: 'MS' | 'TMS'; reason?: string }[],
  ): Wording => withWhy(`verifikasi administrasi: ${result}`, tmsReasons(decisions)),
  escalation: (kind: string, reviewer: string): Wording => ({
    what: `eskalasi ${kind} ke ${reviewer}`,
    why: 'peninjau sebelumnya tidak memutus sebelum tenggat',
  }),
  sanggahFiled: (stage: SanggahStage, reason: string): Wording => withWhy(`sanggah ${stage} diajukan`, reason),
  sanggahAnswered: (stage: SanggahStage, accepted: boolean, answer: string): Wording =>
    withWhy(`jawab sanggah ${stage}: ${accepted ? 'diterima' : 'ditolak'}`, answer),
  skd: (passed: boolean, checks: readonly PassingCheck[]): Wording =>
    withWhy(`SKD ${passed ? 'memenuhi' : 'tidak memenuhi'} nilai ambang batas`, skdChecksText(checks)),
  skbSelection: (selected: boolean, skdRank: number | null): Wording =>
    withWhy(selected ? 'lolos ke SKB' : 'tidak lolos ke SKB', skdRank ? `peringkat SKD ${skdRank}` : undefined),
  final: (result: string, display: string, rank: number): Wording => ({
    what: `hasil akhir: ${result}`,
    why: `nilai integrasi ${display}, peringkat ${rank}`,
  }),
  drhSubmitted: (): Wording => ({ what: 'DRH diisi' }),
  appointed: (nip: string, skNumber: string, tmt: string): Wording => ({
    what: `NIP ditetapkan ${nip}, SK CPNS ${skNumber}`,
    why: `TMT ${tmt}`,
  }),
  ended: (outcome: string, why: string | null | undefined): Wording => withWhy(`selesai: ${outcome}`, why),
};
