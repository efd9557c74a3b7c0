import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { sql, type SelectQueryBuilder } from 'kysely';
import { appendAudit, appendAuditInTransaction } from '../db/audit';
import { rankFinal, rankSkbSelection } from '../db/ranking';
import type { Db } from '../db/connection';
import { displayScore, type RoundConfig } from '../domain';
import {
  candidateWorkflowId,
  finalResultSignal,
  roundAnnouncedSignal,
  scheduleChangedSignal,
  skbScoreSignal,
  skbSelectionSignal,
  skdResultSignal,
  type AdoptCriteriaInput,
  type FinalResultSignal,
  type RoundJob,
} from '../contracts';
import { workflowGone, type ActivityDeps } from './deps';
import { roundChain } from '../contracts';

const DEFAULT_PAGE = 500;
const CONCURRENCY = 50;

type Send = (client: Client, registrationNo: string) => Promise<void>;
interface Part {
  name: string;
  /** One page of (registration number, signal sender), after `after`, in registration order. */
  page: (db: Db, after: string) => Promise<{ registrationNo: string; send: Send }[]>;
}

const signalOf =
  <T>(def: Parameters<ReturnType<Client['workflow']['getHandle']>['signal']>[0], payload: T): Send =>
  async (client, no) => {
    await client.workflow.getHandle(candidateWorkflowId(no)).signal(def as never, payload as never);
  };

/** The candidate messages a round job sends, part by part. Each part pages through PostgreSQL. */
function partsOf(roundId: string, job: RoundJob, phaseKey: string, PAGE: number): Part[] {
  switch (job.kind) {
    case 'import':
      return [job.exam === 'skd' ? skdScores(job, phaseKey, PAGE) : skbScores(job, phaseKey, PAGE)];
    case 'rank':
      return job.ranking === 'skb_selection'
        ? [skdAbsent(roundId, phaseKey, PAGE), skbSelection(roundId, phaseKey, PAGE)]
        : [skbAbsent(roundId, phaseKey, PAGE), finalResults(roundId, phaseKey, PAGE)];
    case 'announcement':
      return [announcementPart(roundId, job, phaseKey, PAGE)];
    case 'schedule':
      return [schedulePart(roundId, job, phaseKey, PAGE)];
  }
}

/** A part paged by `rows`, each row signalled by what `send` makes of it. */
function part<R extends { registration_no: string }>(
  name: string,
  rows: (db: Db, after: string) => Promise<R[]>,
  send: (r: R) => Send,
): Part {
  return {
    name,
    page: async (db, after) =>
      (await rows(db, after)).map((r) => ({ registrationNo: r.registration_no, send: send(r) })),
  };
}

/** Keyset paging: one page of the rows whose `column` comes after `key`, in that column's order. */
const pageAfter =
  (column: string, key: string, limit: number) =>
  <DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>) =>
    qb.where(sql.ref(column), '>', key).orderBy(sql.ref(column)).limit(limit);

/** The SKD scores of an import. */
function skdScores(job: Extract<RoundJob, { kind: 'import' }>, phaseKey: string, PAGE: number): Part {
  return part(
    'skd',
    (db, after) =>
      db
        .selectFrom('exam_scores')
        .select(['registration_no', 'twk', 'tiu', 'tkp'])
        .where('import_id', '=', job.importId)
        .where('kind', '=', 'skd')
        .$call(pageAfter('registration_no', after, PAGE))
        .execute(),
    (r) =>
      signalOf(skdResultSignal, {
        phaseKey,
        scores: { twk: r.twk!, tiu: r.tiu!, tkp: r.tkp! },
        correction: job.correction,
      }),
  );
}

/** The SKB scores of an import. */
function skbScores(job: Extract<RoundJob, { kind: 'import' }>, phaseKey: string, PAGE: number): Part {
  return part(
    'skb',
    (db, after) =>
      db
        .selectFrom('exam_scores')
        .select(['registration_no', 'skb'])
        .where((eb) => eb.and({ import_id: job.importId, kind: 'skb' }))
        .$call(pageAfter('registration_no', after, PAGE))
        .execute(),
    (r) => signalOf(skbScoreSignal, { phaseKey, score: r.skb! }),
  );
}

/** Those who may sit the SKD and have no score (at the SKB selection): absent. */
function skdAbsent(roundId: string, phaseKey: string, PAGE: number): Part {
  // Everyone who may sit the SKD (MS at the administrative check, or after an accepted
  // sanggah) and has no score: chosen as the import's eligibility is, not by the stage
  // column, which a task escalated while the decision was written could leave behind.
  return part(
    'skd-absent',
    (db, after) =>
      db
        .selectFrom('applications as a')
        .innerJoin('verifications as v', (j) =>
          j.onRef('v.registration_no', '=', 'a.registration_no').on('v.stage', '=', 'administrasi'),
        )
        .leftJoin('exam_scores as e', (j) =>
          j.onRef('e.registration_no', '=', 'a.registration_no').on('e.kind', '=', 'skd'),
        )
        .select('a.registration_no')
        .where('a.round_id', '=', roundId)
        .where('v.result', '=', 'MS')
        .where('a.outcome', 'is', null)
        .where('e.registration_no', 'is', null)
        .$call(pageAfter('a.registration_no', after, PAGE))
        .execute(),
    () =>
      signalOf(skdResultSignal, { phaseKey: `${phaseKey}-absent`, scores: { twk: 0, tiu: 0, tkp: 0 }, absent: true }),
  );
}

/** The SKB selection (3 × formasi) of the ranking. */
function skbSelection(roundId: string, phaseKey: string, PAGE: number): Part {
  return part(
    'skb-selection',
    (db, after) =>
      db
        .selectFrom('rankings')
        .select(['registration_no', 'rank', 'result'])
        .where((eb) => eb.and({ round_id: roundId, kind: 'skb_selection' }))
        .$call(pageAfter('registration_no', after, PAGE))
        .execute(),
    (r) => signalOf(skbSelectionSignal, { phaseKey, selected: r.result === 'selected', skdRank: r.rank }),
  );
}

/** Those selected for SKB with no SKB score (at the final ranking): absent. */
function skbAbsent(roundId: string, phaseKey: string, PAGE: number): Part {
  return part(
    'skb-absent',
    (db, after) =>
      db
        .selectFrom('rankings as r')
        .leftJoin('exam_scores as e', (j) =>
          j.onRef('e.registration_no', '=', 'r.registration_no').on('e.kind', '=', 'skb'),
        )
        .select('r.registration_no')
        .where((eb) => eb.and({ 'r.round_id': roundId, 'r.kind': 'skb_selection', 'r.result': 'selected' }))
        .where('e.registration_no', 'is', null)
        .$call(pageAfter('r.registration_no', after, PAGE))
        .execute(),
    () => signalOf(skbScoreSignal, { phaseKey: `${phaseKey}-skb-absent`, score: 0, absent: true }),
  );
}

/** The final results of the ranking. */
function finalResults(roundId: string, phaseKey: string, PAGE: number): Part {
  return part(
    'final',
    (db, after) =>
      db
        .selectFrom('rankings')
        .select([
          'registration_no',
          'rank',
          'result',
          'placement_formation_id',
          'score_scaled',
          'score_scale',
          'breakdown',
        ])
        .where('round_id', '=', roundId)
        .where('kind', '=', 'final')
        .$call(pageAfter('registration_no', after, PAGE))
        .execute(),
    (r) => {
      const scaled = Number(r.score_scaled);
      const scale = Number(r.score_scale);
      const payload: FinalResultSignal = {
        phaseKey,
        result: r.result as FinalResultSignal['result'],
        scaled,
        scale,
        display: displayScore(scaled, scale),
        rank: r.rank,
        placementFormationId: r.placement_formation_id,
        breakdown: r.breakdown as FinalResultSignal['breakdown'],
      };
      return signalOf(finalResultSignal, payload);
    },
  );
}

/** A round announcement, to every candidate still in the selection. */
function announcementPart(
  roundId: string,
  job: Extract<RoundJob, { kind: 'announcement' }>,
  phaseKey: string,
  PAGE: number,
): Part {
  return part(`announcement-${job.announcement}`, activeCandidates(roundId, PAGE), () =>
    signalOf(roundAnnouncedSignal, { phaseKey, announcement: job.announcement, at: job.at }),
  );
}

/** A deadline change, to every candidate still in the selection. */
function schedulePart(
  roundId: string,
  job: Extract<RoundJob, { kind: 'schedule' }>,
  phaseKey: string,
  PAGE: number,
): Part {
  return part('schedule', activeCandidates(roundId, PAGE), () =>
    signalOf(scheduleChangedSignal, { phaseKey, key: job.key, to: job.to }),
  );
}

/** Pages of the round's candidates still in the selection (no outcome yet), in registration order. */
const activeCandidates = (roundId: string, limit: number) => (db: Db, after: string) =>
  db
    .selectFrom('applications')
    .select('registration_no')
    .where('round_id', '=', roundId)
    .where('outcome', 'is', null)
    .$call(pageAfter('registration_no', after, limit))
    .execute();

export function createRoundOpsActivities(deps: ActivityDeps) {
  return {
    notifyCandidates: (i: Parameters<typeof notifyCandidates>[1]) => notifyCandidates(deps, i),
    runRanking: (i: Parameters<typeof runRanking>[1]) => runRanking(deps, i),
    adoptCriteria: (i: Parameters<typeof adoptCriteria>[1]) => adoptCriteria(deps, i),
  };
}

export type RoundOpsActivities = ReturnType<typeof createRoundOpsActivities>;

/**
 * Signals the candidates of a job page by page, heartbeating the last registration number
 * done; a retried attempt resumes from there. Candidates ignore a phase key they have seen,
 * so whatever a crashed attempt sent twice changes nothing.
 */
async function notifyCandidates(
  { db, client, faults, notifyPageSize }: ActivityDeps,
  i: {
    roundId: string;
    job: RoundJob;
    phaseKey: string;
    seq?: number;
    requestedAt?: string;
  },
): Promise<{ signalled: number; skipped: number }> {
  if (!client) throw ApplicationFailure.nonRetryable('notifyCandidates needs a Temporal client', 'MISCONFIGURED');
  const ctx = Context.current();
  const resume = (ctx.info.heartbeatDetails as
    { part: number; after: string; signalled: number; skipped: number } | undefined) ?? {
    part: 0,
    after: '',
    signalled: 0,
    skipped: 0,
  };
  let { signalled, skipped } = resume;
  const parts = partsOf(i.roundId, i.job, i.phaseKey, notifyPageSize ?? DEFAULT_PAGE);
  let pageNo = 0;
  for (let p = resume.part; p < parts.length; p++) {
    let after = p === resume.part ? resume.after : '';
    for (;;) {
      const page = await parts[p]!.page(db, after);
      if (page.length === 0) break;
      for (let k = 0; k < page.length; k += CONCURRENCY) {
        const results = await Promise.allSettled(
          page.slice(k, k + CONCURRENCY).map((x) => x.send(client, x.registrationNo)),
        );
        for (const r of results) {
          if (r.status === 'fulfilled') signalled += 1;
          else if (workflowGone(r.reason)) skipped += 1;
          else throw r.reason;
        }
      }
      pageNo += 1;
      await faults?.afterWrite?.(`notify:${i.phaseKey}:${pageNo}`);
      after = page[page.length - 1]!.registrationNo;
      ctx.heartbeat({ part: p, after, signalled, skipped });
    }
  }
  // The job's row for the API's read of the round (rounds started before it pass no seq).
  if (i.seq !== undefined) {
    await db
      .insertInto('round_jobs')
      .values({
        round_id: i.roundId,
        seq: i.seq,
        phase_key: i.phaseKey,
        job: JSON.stringify(i.job),
        requested_at: i.requestedAt ?? new Date().toISOString(),
        signalled,
        skipped,
      })
      .onConflict((oc) => oc.columns(['round_id', 'seq']).doUpdateSet({ signalled, skipped }))
      .execute();
  }
  return { signalled, skipped };
}

async function runRanking(
  { db }: ActivityDeps,
  i: {
    roundId: string;
    config: RoundConfig;
    ranking: 'skb_selection' | 'final';
    version: number;
    actor: string;
    at: string;
  },
): Promise<{ rows: number }> {
  if (i.ranking === 'skb_selection') {
    const rows = await rankSkbSelection(db, i.config);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('rankings').where('round_id', '=', i.roundId).where('kind', '=', 'skb_selection').execute();
      for (let k = 0; k < rows.length; k += 1000) {
        await trx
          .insertInto('rankings')
          .values(
            rows.slice(k, k + 1000).map((r) => ({
              round_id: i.roundId,
              kind: 'skb_selection' as const,
              registration_no: r.registrationNo,
              formation_id: r.formationId,
              rank: r.rank,
              result: r.selected ? 'selected' : 'not_selected',
              breakdown: JSON.stringify({ twk: r.twk, tiu: r.tiu, tkp: r.tkp, total: r.total }),
              version: i.version,
            })),
          )
          .execute();
      }
      await appendAuditInTransaction(trx, {
        chain: roundChain(i.roundId),
        idempotencyKey: `ranking:skb_selection:${i.version}`,
        actor: i.actor,
        action: 'ranking.skb_selection',
        subject: i.roundId,
        payload: { rows: rows.length, selected: rows.filter((r) => r.selected).length },
        occurredAt: i.at,
      });
    });
    return { rows: rows.length };
  }
  const rows = await rankFinal(db, i.config, i.version);
  await appendAudit(db, {
    chain: roundChain(i.roundId),
    idempotencyKey: `ranking:final:${i.version}`,
    actor: i.actor,
    action: 'ranking.final',
    subject: i.roundId,
    payload: {
      rows: rows.length,
      lulus: rows.filter((r) => r.result === 'lulus').length,
      optimalisasi: rows.filter((r) => r.result === 'lulus_optimalisasi').length,
    },
    occurredAt: i.at,
  });
  return { rows: rows.length };
}

async function adoptCriteria(
  { db }: ActivityDeps,
  i: {
    roundId: string;
    version: number;
    input: AdoptCriteriaInput;
    config: RoundConfig;
    automatic: boolean;
    at: string;
  },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('criteria_versions')
      .values({
        round_id: i.roundId,
        version: i.version,
        status: 'adopted',
        formations: JSON.stringify(i.input.formations),
        response: i.input.response,
        actor: i.input.actor,
        created_at: i.at,
      })
      .onConflict((oc) => oc.columns(['round_id', 'version']).doNothing())
      .execute();
    // Only the formations (their scoring): the schedule in rounds.config has one writer,
    // recordDeadlineChange, and an extension recorded meanwhile must not be overwritten.
    await trx
      .updateTable('rounds')
      .set({
        config: sql`jsonb_set(config, '{formations}', ${JSON.stringify(i.config.formations)}::jsonb)`,
        updated_at: i.at,
      })
      .where('round_id', '=', i.roundId)
      .execute();
    await appendAuditInTransaction(trx, {
      chain: roundChain(i.roundId),
      idempotencyKey: `criteria:${i.version}`,
      actor: i.input.actor,
      action: i.automatic ? 'criteria.adopted_unchanged' : 'criteria.adopted',
      subject: i.roundId,
      reason: i.input.response,
      payload: { version: i.version },
      occurredAt: i.at,
    });
  });
}
