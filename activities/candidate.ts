import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { appendAuditInTransaction } from '../db/audit';
import {
  buildNip,
  DEFAULT_RETIREMENT_AGE,
  firstOfNextMonth,
  NIP_MAX_SEQUENCE,
  nipPrefix,
  type RoundConfig,
  type RoundSchedule,
  type PassingCheck,
  type SanggahStage,
  type SkdScores,
} from '../domain';
import {
  careerWorkflowId,
  type CandidateOutcome,
  type CandidateStage,
  type DocumentDecision,
  type DocumentRef,
  type FinalResultSignal,
} from '../contracts';
import type { CareerInput } from '../contracts';

/** Until HR names the supervisor and unit head (assignSupervisor). */
export const UNASSIGNED = 'belum-ditetapkan';
import type { ActivityDeps } from './deps';
import { roundChain } from '../contracts';
import { notify, type SanggahStageName } from './notifications';

interface Ctx {
  registrationNo: string;
  roundId: string;
  at: string;
}

/**
 * Candidate activities: each writes one stage outcome and its audit row in one transaction,
 * idempotently (natural keys, ON CONFLICT, audit rows keyed by decision), so a retry after a
 * crash between the write and the completion changes nothing.
 */
export function createCandidateActivities({ db, faults, client }: ActivityDeps) {
  /**
   * The career begins at appointment: started here, idempotently (an existing career is left
   * alone), as `career/<careerId>` — the opaque id stored with the appointment, never the NIP.
   */
  async function startCareer(
    i: Ctx & { formationId: string },
    a: { nip: string; tmt: string; careerId: string },
  ): Promise<void> {
    if (!client) return;
    const row = await db
      .selectFrom('applications as p')
      .innerJoin('formations as f', (j) => j.on('f.round_id', '=', i.roundId).on('f.formation_id', '=', i.formationId))
      .select(['p.birth_date', 'f.unit', 'f.jabatan'])
      .where('p.registration_no', '=', i.registrationNo)
      .executeTakeFirstOrThrow();
    const input: CareerInput = {
      nip: a.nip,
      registrationNo: i.registrationNo,
      roundId: i.roundId,
      unit: row.unit,
      jabatan: row.jabatan,
      birthDate: row.birth_date,
      tmt: a.tmt,
      supervisor: UNASSIGNED,
      unitHead: UNASSIGNED,
      retirementAge: DEFAULT_RETIREMENT_AGE,
      checkInsPerYear: 2,
      summary: {
        year: Number(a.tmt.slice(0, 4)),
        status: 'cpns',
        recentPredikat: [],
        ladderPosition: null,
        reEvaluationDue: null,
      },
    };
    try {
      await client.workflow.start('career', {
        taskQueue: Context.current().info.taskQueue,
        workflowId: careerWorkflowId(a.careerId),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function withAudit(
    c: Ctx,
    action: string,
    key: string,
    actor: string,
    reason: string | null,
    payload: unknown,
    write: (trx: Trx) => Promise<void>,
    stage?: CandidateStage,
    outcome?: CandidateOutcome | null,
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await write(trx);
      if (stage) {
        await trx
          .updateTable('applications')
          .set({ stage, ...(outcome !== undefined ? { outcome } : {}), updated_at: c.at })
          .where('registration_no', '=', c.registrationNo)
          .execute();
      }
      await appendAuditInTransaction(trx, {
        chain: roundChain(c.roundId),
        idempotencyKey: `${c.registrationNo}:${key}`,
        actor,
        action,
        subject: c.registrationNo,
        reason,
        payload,
        occurredAt: c.at,
      });
    });
    await faults?.afterWrite?.(action);
  }

  return {
    /**
     * A deadline as the round has recorded it (rounds.config, written before the round itself
     * changes and long before its notice reaches every candidate): a candidate confirms its own
     * copy with it when its timer fires.
     */
    async roundDeadline(i: { roundId: string; key: keyof RoundSchedule }): Promise<string | null> {
      const row = await db.selectFrom('rounds').select('config').where('round_id', '=', i.roundId).executeTakeFirst();
      const v = (row?.config as RoundConfig | undefined)?.schedule?.[i.key];
      return typeof v === 'string' ? v : null;
    },

    /**
     * A stage reached (or the path ended). A sanggah stage is written once the window is known
     * (`window`, from the announcement its decision was announced with) — and, when the window
     * still waits for its announcement, once before without it.
     */
    async recordStage(
      i: Ctx & {
        stage: CandidateStage;
        outcome?: CandidateOutcome;
        reason?: string;
        window?: { stage: SanggahStage; opensAt: string; closesAt: string };
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
        },
        i.stage,
        i.outcome ?? null,
      );
    },

    async recordDocumentsSubmitted(i: Ctx & { documents: DocumentRef[] }): Promise<void> {
      await withAudit(
        i,
        'documents.submitted',
        `documents:${i.at}`,
        i.registrationNo,
        null,
        { documents: i.documents.map((d) => ({ kind: d.kind, sha256: d.sha256 })) },
        async () => undefined,
      );
    },

    async assignTask(
      i: Ctx & { kind: 'verification' | 'sanggah'; stage: string; attempt: number; exclude: string[]; dueAt: string },
    ): Promise<{ taskId: string; reviewer: string }> {
      let taskId = `${i.registrationNo}:${i.kind}:${i.stage}:${i.attempt}`;
      let reviewer = '';
      let note: string | null = null;
      await db.transaction().execute(async (trx) => {
        // Serialised with the decision's own write (recordVerification, recordSanggahAnswer lock the same row).
        await lockApplication(trx, i.registrationNo);
        const existing = await trx
          .selectFrom('tasks')
          .select(['reviewer'])
          .where('task_id', '=', taskId)
          .executeTakeFirst();
        if (existing) {
          reviewer = existing.reviewer;
          return;
        }
        if (i.attempt > 1 && (await decidedAlready(trx, i.registrationNo, i.kind, i.stage))) {
          // The deadline passed while the reviewer's decision was being written (a workflow that
          // took both in one task after a worker restart): nothing to escalate, no task reopened.
          const previous = await trx
            .selectFrom('tasks')
            .select(['task_id', 'reviewer'])
            .where('task_id', '=', `${i.registrationNo}:${i.kind}:${i.stage}:${i.attempt - 1}`)
            .executeTakeFirst();
          taskId = previous?.task_id ?? taskId;
          reviewer = previous?.reviewer ?? i.exclude.at(-1) ?? '';
          return;
        }
        // One assignment at a time (a transaction-scoped advisory lock, after the application's
        // row lock): simultaneous assignments would otherwise all count the same loads and pick
        // the same reviewer. Released at commit, so the next one counts this task.
        await sql`select pg_advisory_xact_lock(${ASSIGN_LOCK})`.execute(trx);
        const pool = (
          await trx.selectFrom('round_reviewers').select('username').where('round_id', '=', i.roundId).execute()
        ).map((r) => r.username);
        // A sanggah goes to a different reviewer than the one who decided (a second pair of eyes).
        const decider =
          i.kind === 'sanggah'
            ? (
                await trx
                  .selectFrom('verifications')
                  .select('reviewer')
                  .where('registration_no', '=', i.registrationNo)
                  .where('stage', '=', i.stage)
                  .executeTakeFirst()
              )?.reviewer
            : undefined;
        const pick = (exclude: string[]): Promise<string | undefined> => leastLoaded(trx, pool, exclude);
        const withDecider = (xs: string[]): string[] => (decider ? [...new Set([...xs, decider])] : xs);
        // The least-loaded reviewer who has not had this task yet (all of them → anyone but the last);
        // never the decider while the pool has another reviewer.
        reviewer =
          (await pick(withDecider(i.exclude))) ??
          (await pick(withDecider(i.exclude.slice(-1)))) ??
          (await pick(withDecider([]))) ??
          (await pick(i.exclude.slice(-1))) ??
          (await pick([])) ??
          '';
        if (decider && reviewer === decider) note = SAME_REVIEWER_NOTE;
        if (!reviewer)
          throw ApplicationFailure.retryable(
            'no reviewer account exists yet; create one with npm run user:create -- --role reviewer',
            'NO_REVIEWER',
          );
        if (i.attempt > 1) {
          await trx
            .updateTable('tasks')
            .set({ status: 'escalated', closed_at: i.at })
            .where('task_id', '=', `${i.registrationNo}:${i.kind}:${i.stage}:${i.attempt - 1}`)
            .where('status', '=', 'open')
            .execute();
        }
        await trx
          .updateTable('applications')
          .set({ stage: i.kind === 'verification' ? 'verification' : 'sanggah', updated_at: i.at })
          .where('registration_no', '=', i.registrationNo)
          .execute();
        await trx
          .insertInto('tasks')
          .values({
            task_id: taskId,
            registration_no: i.registrationNo,
            round_id: i.roundId,
            kind: i.kind,
            stage: i.stage,
            reviewer,
            status: 'open',
            due_at: i.dueAt,
            created_at: i.at,
            note,
          })
          .execute();
        await appendAuditInTransaction(trx, {
          chain: roundChain(i.roundId),
          idempotencyKey: `${i.registrationNo}:task:${taskId}`,
          actor: 'system',
          action: i.attempt > 1 ? 'task.escalated' : 'task.assigned',
          subject: i.registrationNo,
          reason: i.attempt > 1 ? `${i.exclude.at(-1)} tidak memutus sebelum tenggat` : note,
          payload: { taskId, reviewer, dueAt: i.dueAt, ...(note ? { note } : {}) },
          occurredAt: i.at,
        });
      });
      await faults?.afterWrite?.('assignTask');
      return { taskId, reviewer };
    },

    async recordVerification(
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
    },

    async recordSanggahFiled(i: Ctx & { stage: string; reason: string }): Promise<void> {
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
    },

    async recordSanggahAnswer(
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
    },

    async recordSkd(
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
    },

    async recordSkbSelection(i: Ctx & { selected: boolean; skdRank: number | null }): Promise<void> {
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
    },

    async recordSkbScore(i: Ctx & { score: number }): Promise<void> {
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
    },

    async recordFinal(i: Ctx & { result: FinalResultSignal }): Promise<void> {
      const f = i.result;
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
            .values({
              registration_no: i.registrationNo,
              result: f.result,
              score_scaled: f.scaled,
              score_scale: f.scale,
              score_display: f.display,
              rank: f.rank,
              placement_formation_id: f.placementFormationId,
              breakdown: JSON.stringify(f.breakdown),
              recorded_at: i.at,
            })
            .onConflict((oc) =>
              oc.column('registration_no').doUpdateSet({
                result: f.result,
                score_scaled: f.scaled,
                score_scale: f.scale,
                score_display: f.display,
                rank: f.rank,
                placement_formation_id: f.placementFormationId,
                breakdown: JSON.stringify(f.breakdown),
                recorded_at: i.at,
              }),
            )
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
    },

    async recordDrh(i: Ctx & { drh: Record<string, unknown> }): Promise<void> {
      await withAudit(i, 'drh.submitted', 'drh', i.registrationNo, null, {}, async (trx) => {
        await trx
          .insertInto('appointments')
          .values({ registration_no: i.registrationNo, drh: JSON.stringify(i.drh), drh_submitted_at: i.at })
          .onConflict((oc) => oc.column('registration_no').doNothing())
          .execute();
        await notify.drhSubmitted(trx, i.registrationNo);
      });
    },

    /**
     * Usul NIP → NIP (sequence per 15-digit prefix, TMT the 1st of the next month) → SK CPNS, and
     * the career's opaque id. Idempotent per registration, also when two attempts overlap (a local
     * activity's timeout can pass while the first attempt is still in its transaction): the
     * application row is locked first, so the second attempt waits and then finds the first one's
     * appointment — one NIP, one sequence number, one career.
     */
    async appoint(
      i: Ctx & { formationId: string; usulDate: string },
    ): Promise<{ nip: string; tmt: string; skNumber: string }> {
      let out = { nip: '', tmt: '', skNumber: '' };
      let careerId = '';
      await db.transaction().execute(async (trx) => {
        await lockApplication(trx, i.registrationNo);
        const existing = await trx
          .selectFrom('appointments')
          .select(['nip', 'tmt', 'sk_number', 'career_id'])
          .where('registration_no', '=', i.registrationNo)
          .executeTakeFirst();
        if (existing?.nip && existing.tmt && existing.sk_number) {
          out = { nip: existing.nip, tmt: existing.tmt, skNumber: existing.sk_number };
          careerId = existing.career_id ?? (await keepCareerId(trx, i.registrationNo));
          return;
        }
        const a = await trx
          .selectFrom('applications')
          .select(['birth_date', 'sex', 'budget_year'])
          .where('registration_no', '=', i.registrationNo)
          .executeTakeFirstOrThrow();
        const tmt = firstOfNextMonth(i.usulDate);
        const prefix = nipPrefix({ birthDate: a.birth_date, tmt, sex: a.sex });
        const seqRow = await sql<{ last_seq: number }>`
          insert into nip_sequences (prefix, last_seq) values (${prefix}, 1)
          on conflict (prefix) do update set last_seq = nip_sequences.last_seq + 1
          where nip_sequences.last_seq < ${NIP_MAX_SEQUENCE}
          returning last_seq`.execute(trx);
        const seq = seqRow.rows[0]?.last_seq;
        if (seq === undefined)
          throw ApplicationFailure.nonRetryable(
            `NIP sequence exhausted for prefix ${prefix} (999 used)`,
            'NIP_SEQUENCE_EXHAUSTED',
          );
        const nip = buildNip({ birthDate: a.birth_date, tmt, sex: a.sex, sequence: seq });
        const skNumber = `800/${i.registrationNo}/SK-CPNS/${a.budget_year}`;
        await trx
          .insertInto('appointments')
          .values({
            registration_no: i.registrationNo,
            nip,
            tmt,
            formation_id: i.formationId,
            sk_number: skNumber,
            sk_date: i.usulDate,
          })
          .onConflict((oc) =>
            oc
              .column('registration_no')
              .doUpdateSet({ nip, tmt, formation_id: i.formationId, sk_number: skNumber, sk_date: i.usulDate }),
          )
          .execute();
        careerId = await keepCareerId(trx, i.registrationNo);
        await trx
          .updateTable('applications')
          .set({ stage: 'appointed', outcome: 'appointed', updated_at: i.at })
          .where('registration_no', '=', i.registrationNo)
          .execute();
        await appendAuditInTransaction(trx, {
          chain: roundChain(i.roundId),
          idempotencyKey: `${i.registrationNo}:appointed`,
          actor: 'system',
          action: 'candidate.appointed',
          subject: i.registrationNo,
          reason: null,
          payload: { nip, tmt, skNumber, formationId: i.formationId },
          occurredAt: i.at,
        });
        await notify.appointed(trx, { registrationNo: i.registrationNo, nip, tmt, skNumber });
        out = { nip, tmt, skNumber };
      });
      await faults?.afterWrite?.('appoint');
      await startCareer(i, { ...out, careerId });
      return out;
    },
  };
}

type Trx = Transaction<Database>;

/** The advisory lock key that serialises reviewer assignment (any number unique in this database). */
const ASSIGN_LOCK = 7_300_018;

/** Written on a sanggah task (and its audit row) when the pool has no reviewer but the decider. */
export const SAME_REVIEWER_NOTE =
  'Pool peninjau hanya berisi peninjau yang memutus TMS: sanggah ditugaskan kepada peninjau yang sama. SDM perlu menambah peninjau ke pool seleksi ini untuk pemeriksaan oleh pihak kedua.';

/**
 * The least-loaded active reviewer of the pool (every reviewer when the round names no pool),
 * not in `exclude`: fewest open tasks, then fewest tasks ever assigned (so reviewers who decide
 * quickly still take turns), then the username (deterministic).
 */
export async function leastLoaded(trx: Trx, pool: string[], exclude: string[]): Promise<string | undefined> {
  let q = trx
    .selectFrom('users')
    .leftJoin('tasks', 'tasks.reviewer', 'users.username')
    .select(['users.username'])
    .where('users.role', '=', 'reviewer')
    .where('users.disabled', '=', false)
    .groupBy('users.username')
    .orderBy(sql`count(tasks.task_id) filter (where tasks.status = 'open')`, 'asc')
    .orderBy(sql`count(tasks.task_id)`, 'asc')
    .orderBy('users.username', 'asc')
    .limit(1);
  if (exclude.length) q = q.where('users.username', 'not in', exclude);
  if (pool.length) q = q.where('users.username', 'in', pool);
  return (await q.executeTakeFirst())?.username;
}

/**
 * A career's opaque id: 128 random bits in RFC 4648 base32 (a–z, 2–7), 26 characters. Without
 * the digits 0, 1, 8 and 9 it cannot even by chance spell a date, a NIK or a NIP.
 */
export function newCareerId(): string {
  const bytes = randomBytes(16);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** The appointment's career id: the stored one, else a new one stored now (in the caller's transaction). */
async function keepCareerId(trx: Trx, registrationNo: string): Promise<string> {
  const row = await trx
    .updateTable('appointments')
    .set({ career_id: sql<string>`coalesce(career_id, ${newCareerId()})` })
    .where('registration_no', '=', registrationNo)
    .returning('career_id')
    .executeTakeFirstOrThrow();
  return row.career_id!;
}

/** Row lock on the application: a task assignment and a decision on it never interleave. */
async function lockApplication(trx: Trx, registrationNo: string): Promise<void> {
  await trx
    .selectFrom('applications')
    .select('registration_no')
    .where('registration_no', '=', registrationNo)
    .forUpdate()
    .execute();
}

/** Whether the decision a task asks for is already recorded (a verification, an answered sanggah). */
async function decidedAlready(
  trx: Trx,
  registrationNo: string,
  kind: 'verification' | 'sanggah',
  stage: string,
): Promise<boolean> {
  const row =
    kind === 'verification'
      ? await trx
          .selectFrom('verifications')
          .select('registration_no')
          .where('registration_no', '=', registrationNo)
          .where('stage', '=', stage)
          .executeTakeFirst()
      : await trx
          .selectFrom('sanggah')
          .select('registration_no')
          .where('registration_no', '=', registrationNo)
          .where('stage', '=', stage)
          .where('answered_at', 'is not', null)
          .executeTakeFirst();
  return row !== undefined;
}

async function closeTasks(
  trx: Trx,
  registrationNo: string,
  kind: 'verification' | 'sanggah',
  at: string,
): Promise<void> {
  await trx
    .updateTable('tasks')
    .set({ status: 'done', closed_at: at })
    .where('registration_no', '=', registrationNo)
    .where('kind', '=', kind)
    .where('status', '=', 'open')
    .execute();
}

export type CandidateActivities = ReturnType<typeof createCandidateActivities>;
