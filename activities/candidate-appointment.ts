import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { auditedTransaction } from '../db/audit';
import { buildNip, DEFAULT_RETIREMENT_AGE, firstOfNextMonth, NIP_MAX_SEQUENCE, nipPrefix } from '../domain';
import { careerWorkflowId, roundChain, type CareerInput } from '../contracts';
import { type Ctx, lockApplication, type Trx } from './candidate-audit';
import type { ActivityDeps } from './deps';
import { notify } from './notifications';

/** Until HR names the supervisor and unit head (assignSupervisor). */
export const UNASSIGNED = 'belum-ditetapkan';

export type AppointInput = Ctx & { formationId: string; usulDate: string };
type Appointment = { nip: string; tmt: string; skNumber: string };

/**
 * Usul NIP → NIP (sequence per 15-digit prefix, TMT the 1st of the next month) → SK CPNS, and
 * the career's opaque id. Idempotent per registration, also when two attempts overlap (a local
 * activity's timeout can pass while the first attempt is still in its transaction): the
 * application row is locked first, so the second attempt waits and then finds the first one's
 * appointment — one NIP, one sequence number, one career.
 */
export async function appoint(deps: ActivityDeps, i: AppointInput): Promise<Appointment> {
  const { db, faults } = deps;
  let careerId = '';
  // The audit row goes last, with the COMMIT (auditedTransaction): the round's chain lock is not
  // held over the mail's round trips.
  const out = await auditedTransaction(db, async (trx) => {
    await lockApplication(trx, i.registrationNo);
    const existing = await trx
      .selectFrom('appointments')
      .select(['nip', 'tmt', 'sk_number', 'career_id'])
      .where('registration_no', '=', i.registrationNo)
      .executeTakeFirst();
    if (existing?.nip && existing.tmt && existing.sk_number) {
      careerId = existing.career_id ?? (await keepCareerId(trx, i.registrationNo));
      return { value: { nip: existing.nip, tmt: existing.tmt, skNumber: existing.sk_number }, audit: null };
    }
    const a = await newAppointment(trx, i);
    careerId = await keepCareerId(trx, i.registrationNo);
    await trx
      .updateTable('applications')
      .set({ stage: 'appointed', outcome: 'appointed', updated_at: i.at })
      .where('registration_no', '=', i.registrationNo)
      .execute();
    await notify.appointed(trx, { registrationNo: i.registrationNo, ...a });
    const audit = {
      chain: roundChain(i.roundId),
      idempotencyKey: `${i.registrationNo}:appointed`,
      actor: 'system',
      action: 'candidate.appointed',
      subject: i.registrationNo,
      reason: null,
      payload: { ...a, formationId: i.formationId },
      occurredAt: i.at,
    };
    return { value: a, audit };
  });
  await faults?.afterWrite?.('appoint');
  await startCareer(deps, i, { ...out, careerId });
  return out;
}

/** The next NIP of the candidate's prefix, its TMT and SK number, written as the appointment. */
async function newAppointment(trx: Trx, i: AppointInput): Promise<Appointment> {
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
  const row = { nip, tmt, formation_id: i.formationId, sk_number: skNumber, sk_date: i.usulDate };
  await trx
    .insertInto('appointments')
    .values({ registration_no: i.registrationNo, ...row })
    .onConflict((oc) => oc.column('registration_no').doUpdateSet(row))
    .execute();
  return { nip, tmt, skNumber };
}

/**
 * The career begins at appointment: started here, idempotently (an existing career is left
 * alone), as `career/<careerId>` — the opaque id stored with the appointment, never the NIP.
 */
async function startCareer(
  { db, client }: ActivityDeps,
  i: AppointInput,
  a: Appointment & { careerId: string },
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
