import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { sql, type Transaction } from 'kysely';
import { appendAuditInTransaction, type AuditEntry } from '../db/audit';
import type { Db } from '../db/connection';
import type { Database } from '../db/schema';
import { checkDistribution, type FollowUp, type LadderStep, type Predikat, type UnitRating } from '../domain';
import { careerChain, careerWorkflowId } from '../contracts';
import { unitSetDecidedSignal } from '../contracts';
import type { ActivityDeps } from './deps';

interface Ctx {
  nip: string;
  year: number;
  at: string;
}

type Trx = Transaction<Database>;
type OpenInput = Ctx & { registrationNo: string; unit: string; jabatan: string };
type EventInput = Ctx & {
  seq: number;
  kind: string;
  actor: string;
  reason: string | null;
  detail: Record<string, unknown>;
};
type EvaluationInput = Ctx & {
  attempt: number;
  unit: string;
  evaluator: string;
  hasilKerja: string;
  perilaku: string;
  predikat: Predikat;
  kind: 'annual' | 're-evaluation';
};
type EvaluationStatus = 'accepted' | 'submitted' | 'returned';
type FollowUpInput = Ctx & { seq: number; predikat: Predikat; followUp: FollowUp };
type DecisionInput = Ctx & { seq: number; step: LadderStep; official: string; approved: boolean; reason: string };
type EndInput = Ctx & { reason: string; stage: 'retired' | 'dismissed' };
/** A career audit row: on the career's chain, about the NIP unless it names another subject, at the write's time. */
type CareerAudit = Omit<AuditEntry, 'chain' | 'subject' | 'occurredAt'> & { subject?: string };

/** Career activities: idempotent writes keyed by (nip, year, seq/attempt), each with its audit row. */
export function createCareerActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    openCareer: (i: OpenInput) => openCareer(db, i),
    recordCareerEvent: (i: EventInput) => recordCareerEvent(db, i),
    recordPns: (i: Ctx & { pnsDate: string }) => recordPns(db, i),
    submitEvaluation: (i: EvaluationInput) => submitEvaluation(deps, i),
    recordFollowUp: (i: FollowUpInput) => recordFollowUp(db, i),
    recordDecision: (i: DecisionInput) => recordDecision(db, i),
    endCareer: (i: EndInput) => endCareer(db, i),
  };
}

async function openCareer(db: Db, i: OpenInput): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // The career id is the one its workflow runs under (career/<careerId>): the API finds the workflow by NIP through it.
    const careerId = runningCareerId();
    await trx
      .insertInto('careers')
      .values({
        nip: i.nip,
        career_id: careerId,
        registration_no: i.registrationNo,
        unit: i.unit,
        jabatan: i.jabatan,
        status: 'cpns',
      })
      .onConflict((oc) =>
        oc
          .column('nip')
          .doUpdateSet({ career_id: sql<string | null>`coalesce(careers.career_id, excluded.career_id)` }),
      )
      .execute();
    await careerAudit(trx, i, {
      idempotencyKey: 'career.opened',
      actor: 'system',
      action: 'career.opened',
      payload: { registrationNo: i.registrationNo, unit: i.unit },
    });
  });
}

async function recordCareerEvent(db: Db, i: EventInput): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('career_events')
      .values({
        nip: i.nip,
        year: i.year,
        seq: i.seq,
        kind: i.kind,
        actor: i.actor,
        reason: i.reason,
        detail: JSON.stringify(i.detail),
        at: i.at,
      })
      .onConflict((oc) => oc.columns(['nip', 'year', 'seq']).doNothing())
      .execute();
    await careerAudit(trx, i, {
      idempotencyKey: `event:${i.year}:${i.seq}`,
      actor: i.actor,
      action: 'career.event',
      reason: i.reason ?? i.kind,
      payload: { kind: i.kind, ...i.detail },
    });
  });
}

async function recordPns(db: Db, i: Ctx & { pnsDate: string }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('careers').set({ status: 'pns', pns_at: i.pnsDate }).where('nip', '=', i.nip).execute();
    await careerAudit(trx, i, {
      idempotencyKey: 'career.pns',
      actor: 'system',
      action: 'career.pns',
      payload: { pnsDate: i.pnsDate },
    });
  });
}

/**
 * Stores an evaluation. An annual one joins the unit's set for the year; when the set is
 * complete it is checked against the unit's rating: accepted, or returned to every
 * evaluator with the reason (never changed). The other members are told by signal.
 */
async function submitEvaluation(
  { db, client }: ActivityDeps,
  i: EvaluationInput,
): Promise<{ status: EvaluationStatus; reason: string | null }> {
  const year = i.kind === 'annual' ? i.year : -i.year; // re-evaluations are kept apart from the unit's annual set
  const decided = await db.transaction().execute(async (trx) => {
    await insertEvaluation(trx, i, year);
    const current = await trx
      .selectFrom('evaluations')
      .select(['status', 'return_reason'])
      .where('nip', '=', i.nip)
      .where('year', '=', year)
      .where('attempt', '=', i.attempt)
      .executeTakeFirstOrThrow();
    if (current.status !== 'submitted') return { status: current.status, reason: current.return_reason, others: [] };
    const rating =
      i.kind === 'annual'
        ? await trx
            .selectFrom('unit_ratings')
            .select(['rating', 'headcount'])
            .where('unit', '=', i.unit)
            .where('year', '=', i.year)
            .executeTakeFirst()
        : undefined;
    if (rating) return decideUnitSet(trx, i, rating);
    await trx
      .updateTable('evaluations')
      .set({ status: 'accepted' })
      .where('nip', '=', i.nip)
      .where('year', '=', year)
      .where('attempt', '=', i.attempt)
      .execute();
    return { status: 'accepted' as const, reason: null, others: [] };
  });
  if (decided.others.length && client)
    await tellOthers(db, client, decided.others, i.year, decided.status === 'accepted', decided.reason);
  return { status: decided.status as EvaluationStatus, reason: decided.reason };
}

async function insertEvaluation(trx: Trx, i: EvaluationInput, year: number): Promise<void> {
  await trx
    .insertInto('evaluations')
    .values({
      nip: i.nip,
      year,
      attempt: i.attempt,
      unit: i.unit,
      supervisor: i.evaluator,
      hasil_kerja: i.hasilKerja,
      perilaku: i.perilaku,
      predikat: i.predikat,
      status: 'submitted',
      at: i.at,
    })
    .onConflict((oc) => oc.columns(['nip', 'year', 'attempt']).doNothing())
    .execute();
  await careerAudit(trx, i, {
    idempotencyKey: `evaluation:${year}:${i.attempt}`,
    actor: i.evaluator,
    action: 'evaluation.submitted',
    payload: { year: i.year, kind: i.kind, hasilKerja: i.hasilKerja, perilaku: i.perilaku, predikat: i.predikat },
  });
}

/** The unit's annual set, once complete, against the unit's rating: every member accepted, or every one returned with the reason. */
async function decideUnitSet(
  trx: Trx,
  i: EvaluationInput,
  rating: { rating: string; headcount: number },
): Promise<{ status: EvaluationStatus; reason: string | null; others: { nip: string; attempt: number }[] }> {
  // Serialise the unit's set so two last evaluations cannot both miss completeness.
  await trx
    .selectFrom('unit_ratings')
    .select('unit')
    .where((eb) => eb.and({ unit: i.unit, year: i.year }))
    .forUpdate()
    .execute();
  const set = await trx
    .selectFrom('evaluations')
    .select(['nip', 'attempt', 'predikat'])
    .where('unit', '=', i.unit)
    .where('year', '=', i.year)
    .where('status', '=', 'submitted')
    .execute();
  if (set.length < rating.headcount) return { status: 'submitted', reason: null, others: [] };
  const violations = checkDistribution(
    rating.rating as UnitRating,
    set.map((e) => e.predikat as Predikat),
  );
  const reason = violations.length ? violations.map((v) => v.message).join('; ') : null;
  for (const e of set) {
    await trx
      .updateTable('evaluations')
      .set({ status: reason ? 'returned' : 'accepted', return_reason: reason })
      .where('nip', '=', e.nip)
      .where('year', '=', i.year)
      .where('attempt', '=', e.attempt)
      .execute();
  }
  await careerAudit(trx, i, {
    idempotencyKey: `unit-set:${i.year}:${i.attempt}`,
    actor: 'system',
    action: reason ? 'evaluation.set_returned' : 'evaluation.set_accepted',
    subject: i.unit,
    reason,
    payload: { unit: i.unit, size: set.length, rating: rating.rating },
  });
  return { status: reason ? 'returned' : 'accepted', reason, others: set.filter((e) => e.nip !== i.nip) };
}

async function recordFollowUp(db: Db, i: FollowUpInput): Promise<void> {
  const f = i.followUp;
  await db.transaction().execute(async (trx) => {
    await insertFollowUp(trx, i, {
      kind: f.recommendation ?? (f.award ? 'award_training' : f.coachingPlan ? 'coaching' : 'none'),
      detail: JSON.stringify({ predikat: i.predikat, ...f }),
    });
    await careerAudit(trx, i, {
      idempotencyKey: `follow-up:${i.year}:${i.seq}`,
      actor: 'system',
      action: 'career.follow_up',
      reason: f.message,
      payload: { predikat: i.predikat, recommendation: f.recommendation },
    });
  });
}

async function recordDecision(db: Db, i: DecisionInput): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await insertFollowUp(trx, i, {
      kind: `decision:${i.step}`,
      detail: JSON.stringify({ step: i.step }),
      decided_by: i.official,
      decision: i.approved ? 'approved' : 'rejected',
    });
    if (i.approved)
      await trx.updateTable('careers').set({ ladder_position: i.step }).where('nip', '=', i.nip).execute();
    await careerAudit(trx, i, {
      idempotencyKey: `decision:${i.year}:${i.seq}`,
      actor: i.official,
      action: 'career.ladder_decision',
      reason: i.reason,
      payload: { step: i.step, approved: i.approved },
    });
  });
}

/** A follow-up row, once per (nip, year, seq): a retried activity writes nothing more. */
async function insertFollowUp(
  trx: Trx,
  i: Ctx & { seq: number },
  row: { kind: string; detail: string; decided_by?: string; decision?: 'approved' | 'rejected' },
): Promise<void> {
  await trx
    .insertInto('follow_ups')
    .values({ nip: i.nip, year: i.year, seq: i.seq, ...row, at: i.at })
    .onConflict((oc) => oc.columns(['nip', 'year', 'seq']).doNothing())
    .execute();
}

async function careerAudit(trx: Trx, i: Ctx, row: CareerAudit): Promise<void> {
  await appendAuditInTransaction(trx, { chain: careerChain(i.nip), subject: i.nip, occurredAt: i.at, ...row });
}

async function endCareer(db: Db, i: EndInput): Promise<void> {
  await db
    .updateTable('careers')
    .set({ status: i.stage, ended_at: i.at, end_reason: i.reason })
    .where('nip', '=', i.nip)
    .execute();
  await db.transaction().execute((trx) =>
    careerAudit(trx, i, {
      idempotencyKey: `career.${i.stage}`,
      actor: 'system',
      action: `career.${i.stage}`,
      reason: i.reason,
      payload: {},
    }),
  );
}

/** The career id of the workflow running this activity (`career/<careerId>`), if it is a career's. */
function runningCareerId(): string | null {
  let workflowId: string | undefined;
  try {
    workflowId = Context.current().info.workflowExecution?.workflowId;
  } catch {
    return null; // called outside an activity (a direct call in a test)
  }
  return workflowId?.startsWith('career/') ? workflowId.slice('career/'.length) : null;
}

async function tellOthers(
  db: Db,
  client: Client,
  others: { nip: string; attempt: number }[],
  year: number,
  accepted: boolean,
  reason: string | null,
): Promise<void> {
  const ids = new Map(
    (
      await db
        .selectFrom('careers')
        .select(['nip', 'career_id'])
        .where(
          'nip',
          'in',
          others.map((o) => o.nip),
        )
        .execute()
    ).map((r) => [r.nip, r.career_id]),
  );
  await Promise.all(
    others.map(async (o) => {
      const careerId = ids.get(o.nip);
      if (careerId)
        await client.workflow
          .getHandle(careerWorkflowId(careerId))
          .signal(unitSetDecidedSignal, { year, attempt: o.attempt, accepted, reason })
          .catch(() => undefined);
    }),
  );
}

export type CareerActivities = ReturnType<typeof createCareerActivities>;
export type { Db };
