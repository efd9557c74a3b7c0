import type { RoundConfig, RoundSchedule, SanggahStage } from '../domain';
import type { CandidateOutcome, CandidateStage, DocumentDecision, DocumentRef } from '../contracts';
import { type CandidateDeps, closeTasks, type Ctx, lockApplication, undoLeftovers } from './candidate-audit';
import { notify, type SanggahStageName } from './notifications';

/**
 * A deadline as the round has recorded it (rounds.config, written before the round itself
 * changes and long before its notice reaches every candidate): a candidate confirms its own
 * copy with it when its timer fires.
 */
export async function roundDeadline(
  { db }: CandidateDeps,
  i: { roundId: string; key: keyof RoundSchedule },
): Promise<string | null> {
  const row = await db.selectFrom('rounds').select('config').where('round_id', '=', i.roundId).executeTakeFirst();
  const v = (row?.config as RoundConfig | undefined)?.schedule?.[i.key];
  return typeof v === 'string' ? v : null;
}

/**
 * A stage reached (or the path ended). A sanggah stage is written once the window is known
 * (`window`, from the announcement its decision was announced with) — and, when the window
 * still waits for its announcement, once before without it.
 */
export async function recordStage(
  { withAudit }: CandidateDeps,
  i: Ctx & {
    stage: CandidateStage;
    outcome?: CandidateOutcome;
    reason?: string;
    window?: { stage: SanggahStage; opensAt: string; closesAt: string };
    /** At the end: the sanggah window the process was in, with no appeal the workflow accepted. */
    voidSanggah?: SanggahStage;
  },
): Promise<void> {
  const w = i.window;
  await withAudit(
    i,
    i.outcome ? 'candidate.ended' : 'candidate.stage',
    i.outcome ? 'ended' : `stage:${i.stage}:${i.at}`,
    'system',
    i.reason ?? null,
    { stage: i.stage, outcome: i.outcome ?? null, ...(w ? { window: w } : {}) },
    async (trx) => {
      if (w) await notify.sanggahOpened(trx, { registrationNo: i.registrationNo, at: i.at, ...w });
      if (i.outcome) await undoLeftovers(trx, i);
    },
    i.stage,
    i.outcome ?? null,
  );
}

export async function recordDocumentsSubmitted(
  { withAudit }: CandidateDeps,
  i: Ctx & { documents: DocumentRef[] },
): Promise<void> {
  await withAudit(
    i,
    'documents.submitted',
    `documents:${i.at}`,
    i.registrationNo,
    null,
    { documents: i.documents.map((d) => ({ kind: d.kind, sha256: d.sha256 })) },
    async () => undefined,
  );
}

export async function recordVerification(
  { withAudit }: CandidateDeps,
  i: Ctx & { stage: string; result: 'MS' | 'TMS'; reviewer: string; decisions: DocumentDecision[] },
): Promise<void> {
  await withAudit(
    i,
    'verification.decided',
    `verification:${i.stage}`,
    i.reviewer,
    i.decisions
      .filter((d) => d.result === 'TMS')
      .map((d) => `${d.kind}: ${d.reason}`)
      .join('; ') || null,
    { result: i.result, decisions: i.decisions },
    async (trx) => {
      await lockApplication(trx, i.registrationNo);
      await trx
        .insertInto('verifications')
        .values({
          registration_no: i.registrationNo,
          stage: i.stage,
          result: i.result,
          reviewer: i.reviewer,
          decisions: JSON.stringify(i.decisions),
          decided_at: i.at,
        })
        .onConflict((oc) => oc.columns(['registration_no', 'stage']).doNothing())
        .execute();
      await closeTasks(trx, i.registrationNo, 'verification', i.at);
      await notify.administrasi(trx, {
        registrationNo: i.registrationNo,
        result: i.result,
        reasons: i.decisions.filter((d) => d.result === 'TMS').map((d) => `${d.kind}: ${d.reason ?? ''}`),
        at: i.at,
      });
    },
    i.result === 'MS' ? 'awaiting_skd' : undefined,
  );
}

export async function recordSanggahFiled(
  { withAudit }: CandidateDeps,
  i: Ctx & { stage: string; reason: string },
): Promise<void> {
  await withAudit(
    i,
    'sanggah.filed',
    `sanggah:${i.stage}`,
    i.registrationNo,
    i.reason,
    { stage: i.stage },
    async (trx) => {
      await trx
        .insertInto('sanggah')
        .values({ registration_no: i.registrationNo, stage: i.stage, reason: i.reason, filed_at: i.at })
        .onConflict((oc) => oc.columns(['registration_no', 'stage']).doNothing())
        .execute();
    },
  );
}

export async function recordSanggahAnswer(
  { withAudit }: CandidateDeps,
  i: Ctx & { stage: string; reviewer: string; accepted: boolean; answer: string },
): Promise<void> {
  await withAudit(
    i,
    'sanggah.answered',
    `sanggah-answer:${i.stage}`,
    i.reviewer,
    i.answer,
    { stage: i.stage, accepted: i.accepted },
    async (trx) => {
      await lockApplication(trx, i.registrationNo);
      await trx
        .updateTable('sanggah')
        .set({ answered_by: i.reviewer, accepted: i.accepted, answer: i.answer, answered_at: i.at })
        .where('registration_no', '=', i.registrationNo)
        .where('stage', '=', i.stage)
        .execute();
      await closeTasks(trx, i.registrationNo, 'sanggah', i.at);
      if (i.accepted && i.stage === 'administrasi') {
        // Accepted → MS, marked for the re-announcement.
        await trx
          .updateTable('verifications')
          .set({ result: 'MS', reannounce: true })
          .where('registration_no', '=', i.registrationNo)
          .where('stage', '=', 'administrasi')
          .execute();
      }
      await notify.sanggahAnswered(trx, {
        registrationNo: i.registrationNo,
        stage: i.stage as SanggahStageName,
        accepted: i.accepted,
        answer: i.answer,
      });
    },
    i.accepted ? (i.stage === 'final' ? 'awaiting_final' : 'awaiting_skd') : undefined,
  );
}
