import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema';
import { SAME_REVIEWER_NOTE } from '../../activities/candidate';
import type { ServiceDeps } from '../../api/services/deps';
import { candidateWorkflowStatus, submitDocuments } from '../../api/services/documents';
import type { Db } from '../../db/connection';
import type { RoundConfig } from '../../domain';
import type { candidate } from '../../workflows/candidate';
import {
  answerSanggahUpdate,
  candidateWorkflowId,
  fileSanggahUpdate,
  roundAnnouncedSignal,
  verifyDocumentsUpdate,
  type CandidateStatus,
  type DocumentDecision,
} from '../../contracts';
import { DAY, openRound, PERAWAT_DOCS, registerCandidate, reviewers, uploadAll } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * Reviewer assignment (activities/candidate.ts assignTask): the least-loaded reviewer of the
 * round's pool, simultaneous assignments included; a sanggah to another reviewer than the one who
 * decided TMS. Every round here names its own pool of fresh reviewers, so other tests' tasks do
 * not count.
 */
let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let deps: ServiceDeps;
const taskQueue = uniqueTaskQueue('assignment');

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db, deps } = h);
});
afterAll(async () => {
  await h?.stop();
});

let roundCounter = 0;
async function roundWithPool(pool: string[]): Promise<RoundConfig> {
  roundCounter += 1;
  const config = await openRound(
    db,
    await env.currentTimeMs(),
    `asg-${process.pid}-${roundCounter}-${Date.now().toString(36)}`,
  );
  await db
    .insertInto('round_reviewers')
    .values(pool.map((username) => ({ round_id: config.roundId, username })))
    .execute();
  return config;
}
const handleOf = (registrationNo: string) =>
  env.client.workflow.getHandle<typeof candidate>(candidateWorkflowId(registrationNo));
const status = (registrationNo: string): Promise<CandidateStatus> => candidateWorkflowStatus(deps, registrationNo);
const sleepUntil = async (instant: string, plusMs = 60_000): Promise<void> => {
  const ms = Date.parse(instant) + plusMs - (await env.currentTimeMs());
  if (ms > 0) await env.sleep(ms);
};
async function registered(config: RoundConfig, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const { registrationNo } = await registerCandidate(deps, config.roundId);
    await submitDocuments(deps, registrationNo, await uploadAll(deps, registrationNo, PERAWAT_DOCS));
    out.push(registrationNo);
  }
  return out;
}
const openTasks = async (roundId: string, kind: 'verification' | 'sanggah' = 'verification') =>
  db
    .selectFrom('tasks')
    .select(['registration_no', 'reviewer', 'note'])
    .where('round_id', '=', roundId)
    .where('kind', '=', kind)
    .where('status', '=', 'open')
    .orderBy('registration_no')
    .execute();
const allMs = (s: CandidateStatus): DocumentDecision[] =>
  s.documents.map((d) => ({ kind: d.kind, result: 'MS' as const }));
const tms = (s: CandidateStatus): DocumentDecision[] =>
  s.documents.map((d) =>
    d.kind === 'ijazah'
      ? { kind: d.kind, result: 'TMS', reason: 'Ijazah tidak sesuai kualifikasi pendidikan formasi' }
      : { kind: d.kind, result: 'MS' },
  );
const REASON = 'Ijazah saya S1 Keperawatan sesuai formasi, mohon diperiksa kembali oleh verifikator lain';

/** Registration closes: every candidate of the round gets a task; waits until they all have one. */
async function closeRegistration(
  config: RoundConfig,
  n: number,
): Promise<{ registration_no: string; reviewer: string; note: string | null }[]> {
  await sleepUntil(config.schedule.registrationCloses);
  await expect.poll(async () => (await openTasks(config.roundId)).length, { timeout: 60_000 }).toBe(n);
  return openTasks(config.roundId);
}

describe('assignment to the least-loaded reviewer', { timeout: 240_000 }, () => {
  it('simultaneous assignments spread evenly over a pool of three (2 tasks each of 6)', async () => {
    const pool = await reviewers(db, 3);
    const config = await roundWithPool(pool);
    await registered(config, 6);
    const tasks = await closeRegistration(config, 6);
    const load = Object.fromEntries(pool.map((r) => [r, tasks.filter((t) => t.reviewer === r).length]));
    expect(load).toEqual(Object.fromEntries(pool.map((r) => [r, 2])));
  });

  it('a reviewer who decided quickly does not get every next task: turns alternate by tasks assigned', async () => {
    const pool = await reviewers(db, 2);
    const seen: string[] = [];
    for (let k = 0; k < 4; k++) {
      const config = await roundWithPool(pool);
      const [registrationNo] = await registered(config, 1);
      const [task] = await closeRegistration(config, 1);
      seen.push(task!.reviewer);
      await handleOf(registrationNo!).executeUpdate(verifyDocumentsUpdate, {
        args: [{ reviewer: task!.reviewer, decisions: allMs(await status(registrationNo!)) }],
      });
      await expect.poll(async () => (await openTasks(config.roundId)).length, { timeout: 30_000 }).toBe(0);
    }
    // Ties broken by the username: the first one first, then turns.
    const [a, b] = [...pool].sort();
    expect(seen).toEqual([a, b, a, b]);
  });
});

describe('the sanggah goes to a second reviewer', { timeout: 240_000 }, () => {
  /** A TMS decision in a round with this pool; `busy` gets an open task in a second round closing at the same time. */
  async function tmsThenSanggah(
    pool: string[],
    busy?: string,
  ): Promise<{ config: RoundConfig; registrationNo: string; decider: string }> {
    const config = await roundWithPool(pool);
    const [registrationNo] = await registered(config, 1);
    const side = busy ? await roundWithPool([busy]) : undefined;
    if (side) await registered(side, 1);
    const [task] = await closeRegistration(config, 1);
    if (side)
      await expect
        .poll(async () => (await openTasks(side.roundId)).map((t) => t.reviewer), { timeout: 60_000 })
        .toEqual([busy]);
    await handleOf(registrationNo!).executeUpdate(verifyDocumentsUpdate, {
      args: [{ reviewer: task!.reviewer, decisions: tms(await status(registrationNo!)) }],
    });
    return { config, registrationNo: registrationNo!, decider: task!.reviewer };
  }
  async function fileAndWait(
    config: RoundConfig,
    registrationNo: string,
  ): Promise<{ reviewer: string; note: string | null }> {
    await sleepUntil(config.schedule.announcementAt);
    // As the round does once the administrasi result is announced: the window starts then.
    await handleOf(registrationNo).signal(roundAnnouncedSignal, {
      announcement: 'administrasi',
      at: config.schedule.announcementAt,
      phaseKey: 'announce-administrasi',
    });
    await handleOf(registrationNo).executeUpdate(fileSanggahUpdate, { args: [{ reason: REASON }] });
    await sleepUntil(
      new Date(Date.parse(config.schedule.announcementAt) + config.schedule.sanggahDays * DAY).toISOString(),
    );
    await expect.poll(async () => (await openTasks(config.roundId, 'sanggah')).length, { timeout: 60_000 }).toBe(1);
    return (await openTasks(config.roundId, 'sanggah'))[0]!;
  }

  it('to the other reviewer of the pool, even when the decider has less to do; the other one answers', async () => {
    const pool = await reviewers(db, 2);
    // The second reviewer is busier (an open task in another round), so the first one (the lesser
    // load, and the username at a tie) decides TMS, and least-loaded alone would pick it again.
    const [first, second] = [...pool].sort();
    const { config, registrationNo, decider } = await tmsThenSanggah(pool, second);
    expect(decider).toBe(first);
    const other = second!;
    const sanggahTask = await fileAndWait(config, registrationNo);
    expect(sanggahTask).toEqual({ registration_no: registrationNo, reviewer: other, note: null });
    expect((await status(registrationNo)).reviewer).toBe(other);
    // The decider can no longer answer; the second reviewer can.
    await expect(
      handleOf(registrationNo).executeUpdate(answerSanggahUpdate, {
        args: [{ reviewer: decider, accepted: true, answer: 'diterima' }],
      }),
    ).rejects.toThrow();
    const answered = await handleOf(registrationNo).executeUpdate(answerSanggahUpdate, {
      args: [{ reviewer: other, accepted: true, answer: 'Ijazah sesuai kualifikasi; keputusan TMS dikoreksi' }],
    });
    expect(answered.sanggah).toMatchObject({ accepted: true });
    expect(
      await db
        .selectFrom('sanggah')
        .select('answered_by')
        .where('registration_no', '=', registrationNo)
        .executeTakeFirst(),
    ).toEqual({ answered_by: other });
  });

  it('a pool of one: the same reviewer, with a note on the task and in the audit log for HR', async () => {
    const pool = await reviewers(db, 1);
    const { config, registrationNo, decider } = await tmsThenSanggah(pool);
    const sanggahTask = await fileAndWait(config, registrationNo);
    expect(sanggahTask).toEqual({ registration_no: registrationNo, reviewer: decider, note: SAME_REVIEWER_NOTE });
    const audit = await db
      .selectFrom('audit_log')
      .select(['reason'])
      .where('subject', '=', registrationNo)
      .where('action', '=', 'task.assigned')
      .orderBy('seq')
      .execute();
    expect(audit.map((r) => r.reason)).toEqual([null, SAME_REVIEWER_NOTE]);
  });
});

describe('the loads the database keeps (reviewer_loads, migration 0020)', { timeout: 60_000 }, () => {
  /** Every reviewer's counts as a recount of the tasks gives them, beside the kept ones. */
  async function keptAndRecounted(trx: Db | Transaction<Database>): Promise<{ kept: unknown; recounted: unknown }> {
    const kept = await sql<{ username: string; open: number; assigned: number }>`
      select username, open_tasks as open, assigned_tasks as assigned from reviewer_loads
      where assigned_tasks > 0 or open_tasks > 0 order by username`.execute(trx);
    const recounted = await sql<{ username: string; open: number; assigned: number }>`
      select reviewer as username, (count(*) filter (where status = 'open'))::int as open, count(*)::int as assigned
      from tasks group by reviewer order by reviewer`.execute(trx);
    return { kept: kept.rows, recounted: recounted.rows };
  }

  it('equal a recount of the tasks after every assignment, decision and escalation above', async () => {
    // One snapshot for both reads: other test files write tasks into this database meanwhile.
    const { kept, recounted } = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute((trx) => keptAndRecounted(trx));
    expect((recounted as unknown[]).length).toBeGreaterThan(0);
    expect(kept).toEqual(recounted);
  });

  it('follow a task that is reopened, handed to another reviewer, deleted and put back, each at its commit', async () => {
    // Disabled, so that no round of another test assigns it a task meanwhile.
    const [to] = await reviewers(db, 1);
    await db.updateTable('users').set({ disabled: true }).where('username', '=', to!).execute();
    const task = await db
      .selectFrom('tasks')
      .selectAll()
      .where('status', '<>', 'open')
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirstOrThrow();
    const load = async (u: string) =>
      await db.selectFrom('reviewer_loads').selectAll().where('username', '=', u).executeTakeFirst();
    const before = (await load(task.reviewer))!;
    const byId = db.updateTable('tasks').where('task_id', '=', task.task_id);
    await byId.set({ status: 'open' }).execute();
    expect(await load(task.reviewer)).toEqual({ ...before, open_tasks: before.open_tasks + 1 });
    await byId.set({ reviewer: to! }).execute();
    expect(await load(to!)).toEqual({ username: to, open_tasks: 1, assigned_tasks: 1 });
    expect(await load(task.reviewer)).toEqual({ ...before, assigned_tasks: before.assigned_tasks - 1 });
    await db.deleteFrom('tasks').where('task_id', '=', task.task_id).execute();
    expect(await load(to!)).toEqual({ username: to, open_tasks: 0, assigned_tasks: 0 });
    await db.insertInto('tasks').values(task).execute();
    expect(await load(task.reviewer)).toEqual(before);
  });
});
