/**
 * Which round phases allow which exam action: one definition, used by the round workflow's
 * update validators and by the API before it stores a file (issue 16, one source for each fact).
 * Phase names are those of contracts/round.ts ROUND_PHASES.
 */
export type ExamKind = 'skd' | 'skb';

/** The phases in which results of each exam may be imported (a correction included). */
export const EXAM_IMPORT_PHASES: Record<ExamKind, readonly string[]> = {
  skd: ['skd', 'skb'],
  skb: ['skb', 'final_announcement'],
};

/** Why results of `exam` cannot be imported in `phase` (a message for people), or null when they can. */
export function examImportRefusal(exam: ExamKind, phase: string): string | null {
  if (EXAM_IMPORT_PHASES[exam].includes(phase)) return null;
  const stage = exam === 'skd' ? 'SKD' : 'SKB';
  return `Nilai ${stage} hanya dapat diimpor pada tahap ${stage} (sekarang: ${phase})`;
}

/**
 * The decisions each announcing phase rests on (issue 16, fair announcements): the phase is not
 * begun while one of them is open. The round workflow holds the phase by it; the API lists the
 * open ones by it (db/round-holds.ts reads them).
 */
export const PHASE_RESTS_ON: Readonly<
  Record<string, { kind: 'verification' | 'sanggah'; stage: 'administrasi' | 'skd' } | undefined>
> = {
  announcement: { kind: 'verification', stage: 'administrasi' },
  skd: { kind: 'sanggah', stage: 'administrasi' },
  final_announcement: { kind: 'sanggah', stage: 'skd' },
};
