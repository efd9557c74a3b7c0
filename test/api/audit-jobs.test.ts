import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidateWorkflowId, roundWorkflowId } from '../../contracts';
import { insertAuditJob } from '../../db/audit-jobs';
import { testApp, testUsers } from '../helpers/api';
import { roundWithCandidates } from '../helpers/audit-round';
import { nikFor } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * The auditor's background jobs (POST/GET /audit/jobs) against PostgreSQL and a Temporal dev
 * server with a worker: a round with real candidate workflows verifies, replays (the round and
 * every candidate, on worker threads) and re-derives clean; a candidate without a workflow and a
 * wrongly published SKD result are found; HR and auditors only; unknown rounds and jobs are 404s;
 * a job left running by a process that is gone, or queued when the API closes, is `interrupted`.
 */
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('audit-jobs');
const tag = `${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  h = await startHarness(taskQueue, { server: 'dev' });
  app = await testApp(h.env, h.db, taskQueue);
  users = await testUsers(h.db);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

type Job = {
  jobId: string;
  status: string;
  ok: boolean | null;
  findings: number | null;
  done: number;
  total: number;
  result: Record<string, unknown> & { results?: { workflowId: string; ok: boolean }[] };
};

const post = (payload: object, who: keyof typeof users = 'auditor', on: FastifyInstance = app) =>
  on.inject({ method: 'POST', url: '/audit/jobs', headers: users[who].headers, payload });
const get = (url: string, who: keyof typeof users = 'auditor') => app.inject({ url, headers: users[who].headers });

async function start(kind: string, roundId: string, who: 'auditor' | 'hr' = 'auditor'): Promise<string> {
  const res = await post({ kind, roundId }, who);
  expect(res.statusCode, res.body).toBe(202);
  expect(['queued', 'running']).toContain(res.json().status);
  return res.json().jobId as string;
}

async function finished(jobId: string): Promise<Job> {
  let job: Job | undefined;
  await expect
    .poll(
      async () => {
        job = (await get(`/audit/jobs/${jobId}`)).json() as Job;
        return job.status;
      },
      { timeout: 120_000, interval: 250 },
    )
    .not.toMatch(/^(queued|running)$/);
  return job!;
}

describe('audit jobs', () => {
  it('a round with candidates: verify, replay (every workflow, both threads) and rederive run in the background, clean', async () => {
    const { roundId, registrationNos } = await roundWithCandidates(h.deps, `audit-job-${tag}`, 3);
    const replay = await finished(await start('replay', roundId));
    expect(replay).toMatchObject({ status: 'succeeded', ok: true, findings: 0, done: 4, total: 4 });
    expect(replay.result.results!.map((r) => r.workflowId).sort()).toEqual(
      [roundWorkflowId(roundId), ...registrationNos.map(candidateWorkflowId)].sort(),
    );
    expect(replay.result.results!.every((r) => r.ok)).toBe(true);

    const verify = await finished(await start('verify', roundId, 'hr'));
    expect(verify).toMatchObject({ status: 'succeeded', ok: true, findings: 0, done: 1, total: 1 });
    expect(verify.result).toMatchObject({ allOk: true, round: { chain: `round:${roundId}`, ok: true }, careers: [] });

    const rederive = await finished(await start('rederive', roundId));
    expect(rederive).toMatchObject({ status: 'succeeded', ok: true, findings: 0, result: { differences: [] } });

    const list = await get(`/audit/jobs?roundId=${roundId}&pageSize=2`, 'hr');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(list.json().items.map((j: { kind: string }) => j.kind)).toEqual(['rederive', 'verify']);
    expect(list.json().items[0]).not.toHaveProperty('result');
  }, 240_000);

  it('finds a candidate without a workflow (replay) and a wrongly published SKD result (rederive)', async () => {
    const { roundId, registrationNos } = await roundWithCandidates(h.deps, `audit-job-bad-${tag}`, 1);
    // A second application copied from the first, written without its workflow.
    const no = `8${String(Date.now() % 10_000_000_000).padStart(10, '0')}`;
    const fields = JSON.stringify({ registration_no: no, nik: nikFor('1995-03-02', 'L'), idempotency_key_hash: null });
    await sql`insert into applications select (jsonb_populate_record(a, ${fields}::jsonb)).* from applications a
              where registration_no = ${registrationNos[0]!}`.execute(h.db);
    // 60 + 80 + 150 is below every passing grade: published as passed, it is a difference.
    await h.db
      .insertInto('skd_scores')
      .values({
        registration_no: no,
        twk: 60,
        tiu: 80,
        tkp: 150,
        total: 290,
        passed: true,
        passing_group: 'umum',
        recorded_at: new Date(),
      })
      .execute();

    const replay = await finished(await start('replay', roundId));
    expect(replay).toMatchObject({ status: 'succeeded', ok: false, findings: 1, done: 3, total: 3 });
    expect(replay.result.failed).toEqual([expect.objectContaining({ workflowId: candidateWorkflowId(no), ok: false })]);
    const rederive = await finished(await start('rederive', roundId));
    // The published pass also counts it into the SKB cut, where no selection was published.
    expect(rederive).toMatchObject({ status: 'succeeded', ok: false, findings: 2 });
    expect(rederive.result.differences).toEqual([
      { what: 'SKD lulus/tidak', registrationNo: no, published: true, rederived: false },
      expect.objectContaining({ what: 'Penetapan peserta SKB', registrationNo: no, published: null }),
    ]);
  }, 240_000);

  it('POST /audit/replay answers at once, over the cores: a round, one workflow, an unknown round, nothing asked', async () => {
    const { roundId, registrationNos } = await roundWithCandidates(h.deps, `audit-replay-${tag}`, 2);
    const replay = (payload: object, who: keyof typeof users = 'auditor') =>
      app.inject({ method: 'POST', url: '/audit/replay', headers: users[who].headers, payload });
    const round = await replay({ roundId });
    expect(round.statusCode, round.body).toBe(200);
    expect(round.json()).toMatchObject({ total: 3, ok: 3, failed: [] });
    expect(
      round
        .json()
        .results.map((r: { workflowId: string }) => r.workflowId)
        .sort(),
    ).toEqual([roundWorkflowId(roundId), ...registrationNos.map(candidateWorkflowId)].sort());
    const one = await replay({ workflowId: candidateWorkflowId(registrationNos[0]!) });
    expect(one.json()).toMatchObject({ total: 1, ok: 1, failed: [] });
    expect([(await replay({ roundId: 'tidak-ada' })).statusCode, (await replay({})).statusCode]).toEqual([404, 400]);
    expect((await replay({ roundId }, 'reviewer')).statusCode).toBe(403);
  }, 240_000);

  it('HR and auditors only; an unknown round or job is a 404; a bad kind or id a 400', async () => {
    for (const role of ['reviewer', 'supervisor', 'candidate'] as const) {
      expect((await post({ kind: 'verify', roundId: 'x' }, role)).statusCode, role).toBe(403);
      expect((await get('/audit/jobs', role)).statusCode, role).toBe(403);
    }
    expect((await app.inject({ url: '/audit/jobs' })).statusCode).toBe(401);
    const code = (r: { statusCode: number; json: () => { error: { code: string } } }) => [
      r.statusCode,
      r.json().error.code,
    ];
    expect(code(await post({ kind: 'replay', roundId: 'tidak-ada' }))).toEqual([404, 'NOT_FOUND']);
    expect(code(await post({ kind: 'hapus', roundId: 'x' }))).toEqual([400, 'VALIDATION_FAILED']);
    expect(code(await get('/audit/jobs/00000000-0000-4000-8000-000000000000'))).toEqual([404, 'NOT_FOUND']);
    expect(code(await get('/audit/jobs/abc'))).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('a job whose process is gone is interrupted at the next start; jobs still queued when the API closes too', async () => {
    const { roundId } = await roundWithCandidates(h.deps, `audit-job-stop-${tag}`, 1);
    const orphan = '11111111-1111-4111-8111-111111111111';
    await insertAuditJob(h.db, { jobId: orphan, kind: 'replay', roundId, requestedBy: 'x', instanceId: 'gone' });
    await h.db
      .updateTable('audit_jobs')
      .set({ status: 'running', heartbeat_at: new Date(Date.now() - 120_000) })
      .where('job_id', '=', orphan)
      .execute();
    const second = await testApp(h.env, h.db, taskQueue); // its start marks the orphan
    const row = await h.db.selectFrom('audit_jobs').selectAll().where('job_id', '=', orphan).executeTakeFirstOrThrow();
    expect([row.status, row.finished_at]).toEqual(['interrupted', expect.any(Date)]);
    expect((await finished(orphan)).status).toBe('interrupted');

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post({ kind: 'replay', roundId }, 'auditor', second);
      expect(res.statusCode, res.body).toBe(202);
      ids.push(res.json().jobId);
    }
    await second.close();
    const last = await h.db
      .selectFrom('audit_jobs')
      .selectAll()
      .where('job_id', '=', ids[2]!)
      .executeTakeFirstOrThrow();
    expect(last.status).toBe('interrupted');
    const statuses = await h.db.selectFrom('audit_jobs').select('status').where('job_id', 'in', ids).execute();
    expect(statuses.every((s) => s.status === 'interrupted' || s.status === 'succeeded')).toBe(true);
  }, 240_000);
});
