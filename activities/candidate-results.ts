import type { PassingCheck, SkdScores } from '../domain';
import type { FinalResultSignal } from '../contracts';
import type { CandidateDeps, Ctx } from './candidate-audit';
import { notify } from './notifications';

export async function recordSkd(
  { withAudit }: CandidateDeps,
  i: Ctx & {
    scores: SkdScores;
    passed: boolean;
    passingGroup: string;
    reusedFromYear: number | null;
    checks?: PassingCheck[];
  },
): Promise<void> {
  const total = i.scores.twk + i.scores.tiu + i.scores.tkp;
  await withAudit(
    i,
    'skd.recorded',
    `skd:${total}:${i.at}`,
    'system',
    null,
    { ...i.scores, total, passed: i.passed, reusedFromYear: i.reusedFromYear, checks: i.checks ?? [] },
    async (trx) => {
      await trx
        .insertInto('skd_scores')
        .values({
          registration_no: i.registrationNo,
          ...i.scores,
          total,
          passed: i.passed,
          passing_group: i.passingGroup,
          reused_from_year: i.reusedFromYear,
          recorded_at: i.at,
        })
        .onConflict((oc) =>
          oc.column('registration_no').doUpdateSet({
            twk: i.scores.twk,
            tiu: i.scores.tiu,
            tkp: i.scores.tkp,
            total,
            passed: i.passed,
            recorded_at: i.at,
          }),
        )
        .execute();
      await notify.skd(trx, {
        registrationNo: i.registrationNo,
        ...i.scores,
        passed: i.passed,
        reusedFromYear: i.reusedFromYear,
        at: i.at,
      });
    },
    i.passed ? 'awaiting_skb_selection' : undefined,
  );
}

export async function recordSkbSelection(
  { withAudit }: CandidateDeps,
  i: Ctx & { selected: boolean; skdRank: number | null },
): Promise<void> {
  await withAudit(
    i,
    'skb.selection',
    'skb-selection',
    'system',
    null,
    { selected: i.selected, skdRank: i.skdRank },
    async (trx) => {
      await trx
        .insertInto('skb_results')
        .values({ registration_no: i.registrationNo, selected: i.selected, skd_rank: i.skdRank, recorded_at: i.at })
        .onConflict((oc) => oc.column('registration_no').doNothing())
        .execute();
      await notify.skbSelection(trx, { registrationNo: i.registrationNo, selected: i.selected, rank: i.skdRank });
    },
    i.selected ? 'awaiting_skb_score' : undefined,
  );
}

export async function recordSkbScore({ withAudit }: CandidateDeps, i: Ctx & { score: number }): Promise<void> {
  await withAudit(
    i,
    'skb.score',
    'skb-score',
    'system',
    null,
    { score: i.score },
    async (trx) => {
      await trx
        .updateTable('skb_results')
        .set({ score: i.score, recorded_at: i.at })
        .where('registration_no', '=', i.registrationNo)
        .execute();
    },
    'awaiting_final',
  );
}

/** The final result (a correction after an accepted final sanggah replaces it). */
export async function recordFinal({ withAudit }: CandidateDeps, i: Ctx & { result: FinalResultSignal }): Promise<void> {
  const f = i.result;
  const row = {
    result: f.result,
    score_scaled: f.scaled,
    score_scale: f.scale,
    score_display: f.display,
    rank: f.rank,
    placement_formation_id: f.placementFormationId,
    breakdown: JSON.stringify(f.breakdown),
    recorded_at: i.at,
  };
  await withAudit(
    i,
    'final.recorded',
    `final:${f.phaseKey}`,
    'system',
    null,
    { result: f.result, score: f.display, rank: f.rank, placementFormationId: f.placementFormationId },
    async (trx) => {
      await trx
        .insertInto('final_results')
        .values({ registration_no: i.registrationNo, ...row })
        .onConflict((oc) => oc.column('registration_no').doUpdateSet(row))
        .execute();
      await notify.final(trx, {
        registrationNo: i.registrationNo,
        result: f.result,
        score: f.display,
        rank: f.rank,
        phaseKey: f.phaseKey,
        at: i.at,
      });
    },
    f.result === 'tidak_lulus' ? undefined : 'appointment',
  );
}

export async function recordDrh(
  { withAudit }: CandidateDeps,
  i: Ctx & { drh: Record<string, unknown> },
): Promise<void> {
  await withAudit(i, 'drh.submitted', 'drh', i.registrationNo, null, {}, async (trx) => {
    await trx
      .insertInto('appointments')
      .values({ registration_no: i.registrationNo, drh: JSON.stringify(i.drh), drh_submitted_at: i.at })
      .onConflict((oc) => oc.column('registration_no').doNothing())
      .execute();
    await notify.drhSubmitted(trx, i.registrationNo);
  });
}
