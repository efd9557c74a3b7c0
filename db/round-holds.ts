import type { Db } from './connection';

/** What a held phase waits for: the open decisions of one kind and stage (contracts HeldTask, without importing it). */
export interface OpenDecision {
  taskId: string | null;
  kind: 'verification' | 'sanggah';
  stage: string;
  reviewer: string | null;
  registrationNo: string;
}
export interface OpenDecisions {
  openTasks: number;
  awaitingAssignment: number;
  tasks: OpenDecision[];
}

/**
 * How many candidates of the round got a decision of `stage` they may appeal: TMS at the
 * administrasi check, or SKD below the passing grade. Without any, no sanggah window of that
 * stage exists to wait for.
 */
export async function appealable(db: Db, roundId: string, stage: 'administrasi' | 'skd'): Promise<number> {
  const q =
    stage === 'administrasi'
      ? db
          .selectFrom('verifications as v')
          .innerJoin('applications as a', 'a.registration_no', 'v.registration_no')
          .where('v.stage', '=', 'administrasi')
          .where('v.result', '=', 'TMS')
      : db
          .selectFrom('skd_scores as v')
          .innerJoin('applications as a', 'a.registration_no', 'v.registration_no')
          .where('v.passed', '=', false);
  const row = await q
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('a.round_id', '=', roundId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** At most this many decisions are listed; the counts are complete. */
export const LISTED_DECISIONS = 50;

/**
 * The open decisions of a round that an announcement rests on, read from PostgreSQL — the one
 * definition used by the round workflow (through a local activity) to hold a phase and by the API
 * to show HR why it is held:
 * - `verification` (administrasi): open verification tasks, and candidates still in the
 *   documents stage (the registration closed; their task or their end is not recorded yet);
 * - `sanggah` of a stage: appeals filed and not answered, with their open task when assigned.
 * No personal data: registration numbers and reviewer usernames only.
 */
export async function openDecisions(
  db: Db,
  roundId: string,
  kind: 'verification' | 'sanggah',
  stage: string,
): Promise<OpenDecisions> {
  const rows =
    kind === 'verification' ? await openVerifications(db, roundId, stage) : await openSanggah(db, roundId, stage);
  const tasks = rows.map((r) => ({
    taskId: r.task_id,
    kind,
    stage,
    reviewer: r.reviewer,
    registrationNo: r.registration_no,
  }));
  const openTasks = tasks.filter((t) => t.taskId !== null).length;
  return { openTasks, awaitingAssignment: tasks.length - openTasks, tasks: tasks.slice(0, LISTED_DECISIONS) };
}

type Row = { task_id: string | null; reviewer: string | null; registration_no: string };

async function openVerifications(db: Db, roundId: string, stage: string): Promise<Row[]> {
  const open = await db
    .selectFrom('tasks')
    .select(['task_id', 'reviewer', 'registration_no'])
    .where('round_id', '=', roundId)
    .where('kind', '=', 'verification')
    .where('stage', '=', stage)
    .where('status', '=', 'open')
    .orderBy('registration_no')
    .execute();
  const unassigned = await db
    .selectFrom('applications')
    .select('registration_no')
    .where('round_id', '=', roundId)
    .where('stage', '=', 'documents')
    .where('outcome', 'is', null)
    .orderBy('registration_no')
    .execute();
  return [...open, ...unassigned.map((u) => ({ task_id: null, reviewer: null, registration_no: u.registration_no }))];
}

async function openSanggah(db: Db, roundId: string, stage: string): Promise<Row[]> {
  return db
    .selectFrom('sanggah as s')
    .innerJoin('applications as a', 'a.registration_no', 's.registration_no')
    .leftJoin('tasks as t', (j) =>
      j
        .onRef('t.registration_no', '=', 's.registration_no')
        .on('t.kind', '=', 'sanggah')
        .onRef('t.stage', '=', 's.stage')
        .on('t.status', '=', 'open'),
    )
    .select(['t.task_id', 't.reviewer', 's.registration_no'])
    .where('a.round_id', '=', roundId)
    .where('s.stage', '=', stage)
    .where('s.answered_at', 'is', null)
    .orderBy('s.registration_no')
    .execute();
}
