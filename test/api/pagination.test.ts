import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { testApp, testUsers } from '../helpers/api';
import { openRound } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

let h: Harness;
let db: Db;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('pagination');
const N = 1_234; // past the old silent cap of 1,000

beforeAll(async () => {
  h = await startHarness(taskQueue);
  db = h.db;
  app = await testApp(h.env, db, taskQueue);
  users = await testUsers(db);
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

type PageBody<T> = { items: T[]; total: number; page: number; pageSize: number };
async function get<T>(url: string, headers: Record<string, string> = {}): Promise<PageBody<T>> {
  const res = await app.inject({ method: 'GET', url, headers });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json() as PageBody<T>;
}
async function all<T>(
  url: string,
  headers: Record<string, string>,
  pageSize: number,
): Promise<{ items: T[]; pages: PageBody<T>[] }> {
  const pages: PageBody<T>[] = [];
  for (let page = 1; page < 100; page++) {
    const p = await get<T>(`${url}${url.includes('?') ? '&' : '?'}page=${page}&pageSize=${pageSize}`, headers);
    pages.push(p);
    if (p.items.length === 0) break;
  }
  return { items: pages.flatMap((p) => p.items), pages };
}

describe('every list endpoint: ?page= & ?pageSize= → { items, total, page, pageSize }, sorted before paging, no silent cap', () => {
  it(`pages through ${N} tasks, ranking rows and comments with totals, in a stable order`, async () => {
    const now = await h.env.currentTimeMs();
    const roundId = `page-${Date.now().toString(36)}`;
    await openRound(db, now, roundId);
    const prefix = `8${String(Date.now() % 10_000_000).padStart(7, '0')}`;
    // N applications in SQL (the API's list endpoints read PostgreSQL, not the workflows).
    await sql`insert into applications (registration_no, round_id, formation_id, budget_year, nik, full_name, birth_date, sex, email, category, education_level, education_program, ipk, nik_warnings, stage, registered_at, updated_at)
      select ${prefix} || lpad(i::text, 4, '0'), ${roundId}, 'DINKES-PERAWAT', 2025, '8' || ${prefix.slice(1)} || lpad(i::text, 8, '0'), 'Pelamar Uji', '1996-04-12', 'P', 'uji@example.id', 'umum', 'S1', 'Keperawatan', 350, '[]'::jsonb, 'verification', now(), now()
      from generate_series(1, ${N}) as i`.execute(db);
    const reviewer = `verifikator-page-${Date.now().toString(36)}`;
    const { token } = await createUser(db, {
      username: reviewer,
      displayName: 'Verifikator Halaman',
      role: 'reviewer',
    });
    const rh = { authorization: `Bearer ${token}` };
    // Seven distinct deadlines: many ties, so the order must fall back to the task id to be stable.
    await sql`insert into tasks (task_id, registration_no, round_id, kind, stage, reviewer, status, due_at, created_at)
      select ${prefix} || lpad(i::text, 4, '0') || ':verification:administrasi:1', ${prefix} || lpad(i::text, 4, '0'), ${roundId}, 'verification', 'administrasi', ${reviewer}, 'open',
        timestamptz '2025-09-01 00:00+07' + ((i * 5) % 7) * interval '1 day', now()
      from generate_series(1, ${N}) as i`.execute(db);

    // Tasks: the default page is 100; a page of 1,000 and then the rest; totals on every page.
    const first = await get<{ taskId: string; dueAt: string }>('/tasks', rh);
    expect([first.items.length, first.total, first.page, first.pageSize]).toEqual([100, N, 1, 100]);
    const tasks = await all<{ taskId: string; dueAt: string }>('/tasks', rh, 1000);
    expect(tasks.pages.map((p) => [p.items.length, p.total])).toEqual([
      [1000, N],
      [N - 1000, N],
      [0, N],
    ]);
    const expected = (
      await db.selectFrom('tasks').select(['task_id', 'due_at']).where('reviewer', '=', reviewer).execute()
    )
      .map((t) => ({ taskId: t.task_id, at: new Date(t.due_at).getTime() }))
      .sort((a, b) => a.at - b.at || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0))
      .map((t) => t.taskId);
    expect(tasks.items.map((t) => t.taskId)).toEqual(expected); // sorted over all N, then cut: the latest deadline is on page 2
    // Smaller pages give the same sequence.
    expect((await all<{ taskId: string }>('/tasks', rh, 333)).items.map((t) => t.taskId)).toEqual(expected);

    // A published ranking of N rows.
    await sql`insert into rankings (round_id, kind, registration_no, formation_id, rank, result, breakdown, version)
      select ${roundId}, 'final', ${prefix} || lpad(i::text, 4, '0'), 'DINKES-PERAWAT', ${N} + 1 - i, case when i > ${N} - 2 then 'lulus' else 'tidak_lulus' end, '{}'::jsonb, 1
      from generate_series(1, ${N}) as i`.execute(db);
    const ranking = await all<{ registrationNo: string; rank: number }>(
      `/rounds/${roundId}/rankings/final`,
      users.hr.headers,
      500,
    );
    expect(ranking.pages.map((p) => p.total)).toEqual([N, N, N, N]);
    expect(ranking.items.map((r) => r.rank)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(new Set(ranking.items.map((r) => r.registrationNo)).size).toBe(N);

    // Public comments.
    await sql`insert into consultation_comments (round_id, author, body, criteria_version)
      select ${roundId}, 'Warga ' || i, 'Masukan nomor ' || i, 1 from generate_series(1, 1100) as i`.execute(db);
    const last = await get<{ body: string }>(`/rounds/${roundId}/comments?page=11&pageSize=100`);
    expect([last.items.length, last.total, last.items.at(-1)!.body]).toEqual([100, 1100, 'Masukan nomor 1100']);
    expect((await get(`/rounds/${roundId}/comments?page=12&pageSize=100`)).items).toEqual([]);

    // Rounds: the total is every round stored.
    const rounds = await get<{ roundId: string }>('/rounds?pageSize=1', users.auditor.headers);
    const stored = Number(
      (
        await db
          .selectFrom('rounds')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect([rounds.items.length, rounds.total]).toEqual([1, stored]);
    expect((await get<{ version: number }>(`/rounds/${roundId}/criteria`)).total).toBe(1);
  }, 180_000);

  it('refuses a page size above the maximum, page 0 and non-numbers with 400', async () => {
    for (const q of ['pageSize=1001', 'pageSize=0', 'page=0', 'page=-1', 'page=x', 'pageSize=1e3']) {
      const res = await app.inject({ method: 'GET', url: `/rounds?${q}`, headers: users.auditor.headers });
      expect([res.statusCode, res.json().error.code], q).toEqual([400, 'VALIDATION_FAILED']);
    }
  });
});
