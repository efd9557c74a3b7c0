import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../db/users';
import { testApp, testUsers } from '../helpers/api';
import { careerInput, careerRecorded, nextJanuary, startCareer } from '../helpers/career';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * GET /careers (issue 18, "my team"): a supervisor sees the careers they supervise or head, one
 * page at a time with the total; never another supervisor's; HR and auditors name any supervisor
 * or see every career. The list follows HR's assignments (PUT /careers/{nip}/supervisor).
 */
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('api-team');
const tag = `${process.pid}-${Date.now().toString(36)}`;
const other = `atasan.lain.${tag}`;
const head = `kepala.unit.${tag}`;
const nips: string[] = [];

type Member = { nip: string; supervisor: string | null; unitHead: string | null; stage: string | null; due: string[] };
type TeamPage = { items: Member[]; total: number; page: number; pageSize: number };

beforeAll(async () => {
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue, { max: 100_000, timeWindow: 60_000 });
  users = await testUsers(h.db);
  for (const username of [other, head]) await createUser(h.db, { username, displayName: username, role: 'supervisor' });
  const tmt = await nextJanuary(h.env);
  for (let i = 0; i < 3; i++) {
    const input = careerInput({}, tmt);
    nips.push(input.nip);
    await startCareer(h.env, taskQueue, input);
  }
  for (const nip of nips) await careerRecorded(h.db, nip);
  const assign = [users.supervisor.username, users.supervisor.username, other];
  for (const [i, nip] of nips.entries()) {
    const res = await app.inject({
      method: 'PUT',
      url: `/careers/${nip}/supervisor`,
      headers: users.hr.headers,
      payload: { supervisor: assign[i], unitHead: head, reason: 'Penempatan awal pada unit' },
    });
    expect(res.statusCode, res.body).toBe(200);
  }
}, 180_000);
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const team = async (headers: { authorization: string }, query = ''): Promise<{ status: number; body: TeamPage }> => {
  const res = await app.inject({ method: 'GET', url: `/careers${query}`, headers });
  return { status: res.statusCode, body: res.json() as TeamPage };
};
const sorted = (xs: string[]): string[] => [...xs].sort();

describe('GET /careers (my team)', () => {
  it("a supervisor's own team, paged with the total, each with its stage and what is due", async () => {
    const mine = await team(users.supervisor.headers);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ total: 2, page: 1, pageSize: 100 });
    expect(mine.body.items.map((m) => m.nip)).toEqual(sorted(nips.slice(0, 2)));
    for (const m of mine.body.items)
      expect(m).toMatchObject({
        supervisor: users.supervisor.username,
        unitHead: head,
        stage: 'probation',
        due: ['probation_record'],
      });
    const [p1, p2] = [
      await team(users.supervisor.headers, '?pageSize=1'),
      await team(users.supervisor.headers, '?pageSize=1&page=2'),
    ];
    expect([p1.body.total, p2.body.total, p1.body.items.length, p2.body.items.length]).toEqual([2, 2, 1, 1]);
    expect([p1.body.items[0]!.nip, p2.body.items[0]!.nip]).toEqual(sorted(nips.slice(0, 2)));
    expect((await team(users.supervisor.headers, `?supervisor=me`)).body.total).toBe(2);
    expect((await team(users.supervisor.headers, `?supervisor=${users.supervisor.username}`)).body.total).toBe(2);
  });

  it("never another supervisor's team; reviewers and candidates get none", async () => {
    const res = await team(users.supervisor.headers, `?supervisor=${other}`);
    expect([res.status, (res.body as unknown as { error: { code: string } }).error.code]).toEqual([403, 'NOT_OWNER']);
    expect((await team(users.reviewer.headers)).status).toBe(403);
    expect((await team(users.candidate.headers)).status).toBe(403);
    expect((await team(users.hr.headers, '?supervisor=BUKAN%20NAMA')).status).toBe(400);
  });

  it('the unit head sees every career of the unit they head; HR and auditors name any supervisor', async () => {
    const asHead = await team(users.hr.headers, `?supervisor=${head}`);
    expect(asHead.body.items.map((m) => m.nip)).toEqual(sorted(nips));
    for (const viewer of [users.hr, users.auditor]) {
      const res = await team(viewer.headers, `?supervisor=${other}`);
      expect([res.status, res.body.total, res.body.items.map((m) => m.nip)]).toEqual([200, 1, [nips[2]]]);
    }
    // Every career (other test files may add theirs meanwhile): at least these three, one per page.
    const all = await team(users.auditor.headers, '?pageSize=1');
    expect([all.status, all.body.items.length, all.body.total >= 3]).toEqual([200, 1, true]);
  });

  it('follows a reassignment, and a stale row is corrected by a read of the status', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: `/careers/${nips[1]}/supervisor`,
      headers: users.hr.headers,
      payload: { supervisor: other, unitHead: head, reason: 'Mutasi atasan langsung' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await team(users.supervisor.headers)).body.items.map((m) => m.nip)).toEqual([nips[0]]);
    expect((await team(users.hr.headers, `?supervisor=${other}`)).body.total).toBe(2);
    await h.db.updateTable('careers').set({ supervisor: null }).where('nip', '=', nips[1]!).execute();
    expect((await team(users.hr.headers, `?supervisor=${other}`)).body.total).toBe(1);
    const status = await app.inject({ method: 'GET', url: `/careers/${nips[1]}`, headers: users.auditor.headers });
    expect(status.json()).toMatchObject({ supervisor: other, checkInsPerYear: 2, checkIns: [] });
    expect((await team(users.hr.headers, `?supervisor=${other}`)).body.total).toBe(2);
  });
});
