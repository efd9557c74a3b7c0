import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../../config';
import { createDb, type Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { sampleRound } from '../fixtures';
import { buildApp } from '../../api/app';
import { flushStartedMarks, register } from '../../api/services/registrations';
import { testApp, testUsers } from '../helpers/api';
import { openRound, registration } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * Issue 15, findings 1 and 7: an Idempotency-Key never hands out a credential and is bound to its
 * caller and request; tokens expire and can be revoked; the codec cookie is a session id.
 */
let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('credentials');
const uniq = (p: string): string => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db } = h);
  app = await testApp(env, db, taskQueue, { max: 10_000, timeWindow: 60_000 });
  users = await testUsers(db);
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

async function applicationRow(registrationNo: string): Promise<Record<string, unknown>> {
  const a = await db
    .selectFrom('applications')
    .select(['full_name', 'email', 'nik', 'stage', 'idempotency_key_hash'])
    .where('registration_no', '=', registrationNo)
    .executeTakeFirstOrThrow();
  const tokens = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.user_id', 'api_tokens.user_id')
    .select(['api_tokens.token_hash', 'api_tokens.revoked_at'])
    .where('users.registration_no', '=', registrationNo)
    .execute();
  const accounts = await db
    .selectFrom('users')
    .select(['username', 'display_name', 'disabled'])
    .where('registration_no', '=', registrationNo)
    .execute();
  return { ...a, tokens, accounts };
}

describe('registration replay cannot take over an account (finding 1)', () => {
  it('same key with another body → 422 and nothing changes; same key and body → the registration without a token; also after registration closed', async () => {
    const now = await env.currentTimeMs();
    const config = await openRound(db, now, uniq('takeover'));
    const url = `/rounds/${config.roundId}/registrations`;
    const key = randomUUID();
    const body = registration();
    const first = await app.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: body });
    expect(first.statusCode, first.body).toBe(201);
    const { registrationNo, token } = first.json() as { registrationNo: string; token: string };
    expect(token).toMatch(/^asn_/);
    const own = bearer(token);
    expect(
      (await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: own })).statusCode,
    ).toBe(200);
    const before = await applicationRow(registrationNo);

    // The attacker: the same key (guessed), the victim's NIK, another name and e-mail, no token.
    const attack = { ...body, fullName: 'Penyerang Mengambil Alih', email: 'penyerang@contoh.id' };
    const taken = await app.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: attack });
    expect([taken.statusCode, taken.json().error?.code], taken.body).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect(taken.body).not.toMatch(/asn_/);
    expect(await applicationRow(registrationNo)).toEqual(before);
    expect(
      (await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: own })).statusCode,
    ).toBe(200);

    // The real client's retry: the outcome, without any credential; its token keeps working.
    const replay = await app.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: body });
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.json()).toEqual({
      registrationNo,
      workflowId: first.json().workflowId,
      warnings: first.json().warnings,
      replayed: true,
    });
    expect(replay.body).not.toMatch(/asn_/);
    expect(await applicationRow(registrationNo)).toEqual(before);
    expect(
      (await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: own })).statusCode,
    ).toBe(200);

    // Registration closes: a new registration is refused; a replay still carries no credential.
    await db.updateTable('rounds').set({ phase: 'verification' }).where('round_id', '=', config.roundId).execute();
    await expect
      .poll(async () => (await app.inject({ method: 'POST', url, payload: registration() })).json().error?.code, {
        timeout: 30_000,
      })
      .toBe('WRONG_PHASE');
    for (const payload of [body, attack]) {
      const late = await app.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload });
      expect(late.body).not.toMatch(/asn_/);
      expect(late.json().token).toBeUndefined();
      expect(late.statusCode).toBe(payload === body ? 201 : 422);
    }
    expect(await applicationRow(registrationNo)).toEqual(before);
    expect(
      (await app.inject({ method: 'GET', url: `/registrations/${registrationNo}`, headers: own })).statusCode,
    ).toBe(200);
  });

  it('Temporal down: the first answer (202) carries the token; the repeat starts the workflow and carries none', async () => {
    const config = await openRound(db, await env.currentTimeMs(), uniq('pending'));
    const down = Connection.lazy({ address: '127.0.0.1:1' });
    const offline = await buildApp({
      deps: { db, client: new Client({ connection: down }), connection: down, taskQueue },
      rateLimit: { max: 1000, timeWindow: 60_000 },
      bundlePath: inject('bundlePath'),
    });
    try {
      const url = `/rounds/${config.roundId}/registrations`;
      const key = randomUUID();
      const body = registration();
      const first = await offline.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: body });
      expect(first.statusCode, first.body).toBe(202);
      const { registrationNo, token, workflowPending } = first.json() as {
        registrationNo: string;
        token: string;
        workflowPending: boolean;
      };
      expect([typeof token, workflowPending]).toEqual(['string', true]);
      expect(
        (
          await db
            .selectFrom('applications')
            .select('workflow_started_at')
            .where('registration_no', '=', registrationNo)
            .executeTakeFirstOrThrow()
        ).workflow_started_at,
      ).toBeNull();

      const repeat = await app.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: body });
      expect(repeat.statusCode, repeat.body).toBe(201);
      expect(repeat.json()).toEqual({
        registrationNo,
        workflowId: `candidate/${registrationNo}`,
        warnings: [],
        replayed: true,
      });
      expect(
        (
          await db
            .selectFrom('applications')
            .select('workflow_started_at')
            .where('registration_no', '=', registrationNo)
            .executeTakeFirstOrThrow()
        ).workflow_started_at,
      ).not.toBeNull();
      const status = await app.inject({
        method: 'GET',
        url: `/registrations/${registrationNo}`,
        headers: bearer(token),
      });
      expect([status.statusCode, status.json().stage], status.body).toEqual([200, 'documents']);
    } finally {
      await offline.close();
      await down.close();
    }
  }, 120_000);

  it('the same first request twice at once: one registration, one token, the other 409 REGISTRATION_IN_PROGRESS or a replay without token', async () => {
    const config = await openRound(db, await env.currentTimeMs(), uniq('race'));
    const url = `/rounds/${config.roundId}/registrations`;
    const key = randomUUID();
    const body = registration();
    const answers = await Promise.all(
      [0, 1, 2].map(() => app.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: body })),
    );
    const withToken = answers.filter((a) => a.statusCode === 201 && a.json().token);
    expect(withToken, answers.map((a) => a.body).join('\n')).toHaveLength(1);
    for (const a of answers.filter((x) => x !== withToken[0])) {
      expect(a.statusCode === 409 ? a.json().error.code : [a.statusCode, a.json().replayed, a.json().token]).toEqual(
        a.statusCode === 409 ? 'REGISTRATION_IN_PROGRESS' : [201, true, undefined],
      );
    }
    const apps = await db
      .selectFrom('applications')
      .select('registration_no')
      .where('round_id', '=', config.roundId)
      .execute();
    expect(apps).toHaveLength(1);
    const tokens = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.user_id', 'api_tokens.user_id')
      .select('api_tokens.token_hash')
      .where('users.registration_no', '=', apps[0]!.registration_no)
      .execute();
    expect(tokens).toHaveLength(1);
  });

  it('a started workflow is marked on its application in a batch after the answer; flushing writes the marks still pending', async () => {
    const config = await openRound(db, await env.currentTimeMs(), uniq('marks'));
    const deps = { db, client: env.client, connection: env.connection, taskQueue };
    const regs = await Promise.all(
      ['1996-04-12', '1995-05-13', '1994-06-14'].map((birthDate) =>
        register(deps, config.roundId, registration({ birthDate })),
      ),
    );
    // No macrotask since the last answer: its batch's timer has not run; the flush writes it now.
    await flushStartedMarks(db);
    const rows = await db
      .selectFrom('applications')
      .select(['registration_no', 'workflow_started_at'])
      .where(
        'registration_no',
        'in',
        regs.map((r) => r.registrationNo),
      )
      .execute();
    expect(rows.map((r) => r.workflow_started_at !== null)).toEqual([true, true, true]);
  });

  it('registration numbers, taken from the sequence a block at a time: distinct across two API processes at once', async () => {
    const config = await openRound(db, await env.currentTimeMs(), uniq('numbers'));
    // A second database handle stands for a second API process (its own blocks).
    const other = createDb(inject('databaseUrl'));
    try {
      const handles = [db, other];
      const regs: string[] = [];
      // 20 at once on each: more than a block (16), so each process refills while others wait for it.
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const birthDate = `1997-0${1 + (i % 9)}-${String(10 + Math.floor(i / 9)).padStart(2, '0')}`;
          const deps = { db: handles[i % 2]!, client: env.client, connection: env.connection, taskQueue };
          const r = await register(deps, config.roundId, registration({ birthDate, sex: 'L' }));
          regs.push(r.registrationNo);
        }),
      );
      await flushStartedMarks(other);
      expect(new Set(regs).size).toBe(40);
      for (const r of regs) expect(r).toMatch(new RegExp(`^${config.budgetYear}\\d{8}$`));
    } finally {
      await other.destroy();
    }
  });

  it('an anonymous key is scoped to its round: the same key in another round is another registration', async () => {
    const now = await env.currentTimeMs();
    const [a, b] = [await openRound(db, now, uniq('scope-a')), await openRound(db, now, uniq('scope-b'))];
    const key = randomUUID();
    const ra = await app.inject({
      method: 'POST',
      url: `/rounds/${a.roundId}/registrations`,
      headers: { 'idempotency-key': key },
      payload: registration(),
    });
    const rb = await app.inject({
      method: 'POST',
      url: `/rounds/${b.roundId}/registrations`,
      headers: { 'idempotency-key': key },
      payload: registration(),
    });
    expect([ra.statusCode, rb.statusCode], rb.body).toEqual([201, 201]);
    expect(rb.json().registrationNo).not.toBe(ra.json().registrationNo);
    expect(rb.json().replayed).toBeUndefined();
  });
});

describe('workflow Update ids are bound to the caller and the request', () => {
  it("two callers' equal keys do not collide; one caller's key with another body → 422", async () => {
    const roundId = uniq('upd');
    const hr1 = await createUser(db, { username: uniq('hr1'), displayName: 'SDM Satu', role: 'hr' });
    const hr2 = await createUser(db, { username: uniq('hr2'), displayName: 'SDM Dua', role: 'hr' });
    const round = sampleRound(roundId, {}, await env.currentTimeMs());
    const created = await app.inject({ method: 'POST', url: '/rounds', headers: bearer(hr1.token), payload: round });
    expect(created.statusCode, created.body).toBe(201);
    const close = Date.parse(round.schedule.registrationCloses);
    const wib = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+07:00');
    const key = randomUUID();
    const extend = (token: string, days: number) =>
      app.inject({
        method: 'POST',
        url: `/rounds/${roundId}/deadlines`,
        headers: { ...bearer(token), 'idempotency-key': key },
        payload: { key: 'registrationCloses', to: wib(close + days * 86_400_000), reason: `Perpanjangan ${days} hari` },
      });

    const one = await extend(hr1.token, 1);
    expect(one.statusCode, one.body).toBe(200);
    const two = await extend(hr2.token, 2);
    expect(two.statusCode, two.body).toBe(200);
    const state = (await app.inject({ method: 'GET', url: `/rounds/${roundId}` })).json() as {
      deadlineChanges: { actor: string; to: string }[];
      schedule: { registrationCloses: string };
    };
    expect(state.deadlineChanges.map((c) => c.actor)).toEqual([hr1.user.username, hr2.user.username]);
    expect(Date.parse(state.schedule.registrationCloses)).toBe(close + 2 * 86_400_000);

    const reused = await extend(hr1.token, 3);
    expect([reused.statusCode, reused.json().error?.code], reused.body).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const again = await extend(hr1.token, 1); // the same request: the first outcome, applied once
    expect(again.statusCode, again.body).toBe(200);
    const after = (await app.inject({ method: 'GET', url: `/rounds/${roundId}` })).json() as {
      deadlineChanges: unknown[];
    };
    expect(after.deadlineChanges).toHaveLength(2);
  });
});

describe('tokens expire and can be revoked (finding 7)', () => {
  it('an expired token answers 401 TOKEN_EXPIRED; lifetimes come from the configuration', async () => {
    const u = await createUser(db, { username: uniq('exp'), displayName: 'Kedaluwarsa', role: 'auditor' });
    expect((await app.inject({ method: 'GET', url: '/rounds', headers: bearer(u.token) })).statusCode).toBe(200);
    const row = await db
      .selectFrom('api_tokens')
      .select(sql<number>`extract(epoch from expires_at - created_at)`.as('secs'))
      .where('user_id', '=', u.user.userId)
      .executeTakeFirstOrThrow();
    expect(Number(row.secs) / 3600).toBeCloseTo(loadConfig().tokenTtlHours, 1);
    await db
      .updateTable('api_tokens')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('user_id', '=', u.user.userId)
      .execute();
    const r = await app.inject({ method: 'GET', url: '/rounds', headers: bearer(u.token) });
    expect([r.statusCode, r.json().error.code]).toEqual([401, 'TOKEN_EXPIRED']);

    expect(loadConfig({ ASN_TOKEN_TTL_HOURS: '2', ASN_CANDIDATE_TOKEN_TTL_HOURS: '48' })).toMatchObject({
      tokenTtlHours: 2,
      candidateTokenTtlHours: 48,
    });
    expect(loadConfig({}).tokenTtlHours).toBe(720);
    expect(() => loadConfig({ ASN_TOKEN_TTL_HOURS: '0' })).toThrow(/ASN_TOKEN_TTL_HOURS/);
    expect(() => loadConfig({ ASN_TOKEN_TTL_HOURS: 'forever' })).toThrow(/ASN_TOKEN_TTL_HOURS/);
  });

  it("the candidate's registration token has the candidate lifetime", async () => {
    const config = await openRound(db, await env.currentTimeMs(), uniq('cand-ttl'));
    const reg = await app.inject({
      method: 'POST',
      url: `/rounds/${config.roundId}/registrations`,
      payload: registration(),
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const row = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.user_id', 'api_tokens.user_id')
      .select(sql<number>`extract(epoch from api_tokens.expires_at - api_tokens.created_at)`.as('secs'))
      .where('users.registration_no', '=', reg.json().registrationNo)
      .executeTakeFirstOrThrow();
    expect(Number(row.secs) / 3600).toBeCloseTo(loadConfig().candidateTokenTtlHours, 1);
  });

  it("logout revokes the token it is called with (every role); HR revokes all of a user's tokens and sessions", async () => {
    for (const role of ['hr', 'reviewer', 'supervisor', 'auditor', 'candidate'] as const) {
      const u = await createUser(db, { username: uniq(`out-${role}`), displayName: 'Keluar', role });
      const keep = await createUser(db, { username: uniq(`keep-${role}`), displayName: 'Tetap', role });
      const out = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(u.token) });
      expect([role, out.statusCode, out.json()]).toEqual([role, 200, { revoked: true }]);
      const again = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(u.token) });
      expect([role, again.statusCode, again.json().error.code]).toEqual([role, 401, 'TOKEN_REVOKED']);
      const other = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(keep.token) });
      expect(other.statusCode).toBe(200); // only the presented token ends
    }
    expect((await app.inject({ method: 'POST', url: '/auth/logout' })).statusCode).toBe(401);

    const victim = await createUser(db, { username: uniq('leak'), displayName: 'Bocor', role: 'auditor' });
    const session = await app.inject({ method: 'POST', url: '/codec/session', payload: { token: victim.token } });
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    const forbidden = await app.inject({
      method: 'POST',
      url: `/users/${victim.user.username}/tokens/revoke`,
      headers: users.auditor.headers,
    });
    expect(forbidden.statusCode).toBe(403);
    const revoke = await app.inject({
      method: 'POST',
      url: `/users/${victim.user.username}/tokens/revoke`,
      headers: users.hr.headers,
    });
    expect([revoke.statusCode, revoke.json()], revoke.body).toEqual([
      200,
      { username: victim.user.username, tokensRevoked: 1, sessionsRevoked: 1 },
    ]);
    const r = await app.inject({ method: 'GET', url: '/rounds', headers: bearer(victim.token) });
    expect([r.statusCode, r.json().error.code]).toEqual([401, 'TOKEN_REVOKED']);
    const viaCookie = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: { cookie },
      payload: { payloads: [] },
    });
    expect(viaCookie.statusCode).toBe(401);
    const unknown = await app.inject({
      method: 'POST',
      url: '/users/tidak-ada/tokens/revoke',
      headers: users.hr.headers,
    });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('npm run user:create issues a new token with the configured lifetime each time; user:revoke ends them', async () => {
    const username = uniq('cli');
    const run = async (...args: string[]): Promise<string> => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'scripts/user-create.ts', ...args],
        { env: { ...process.env, DATABASE_URL: inject('databaseUrl'), ASN_TOKEN_TTL_HOURS: '3' }, timeout: 120_000 },
      );
      return stdout;
    };
    const tokenOf = (out: string): string => /^(asn_\S+)$/m.exec(out)![1]!;
    const first = tokenOf(await run('--role', 'auditor', '--username', username));
    const second = tokenOf(await run('--role', 'auditor', '--username', username));
    expect(second).not.toBe(first);
    for (const t of [first, second])
      expect((await app.inject({ method: 'GET', url: '/rounds', headers: bearer(t) })).statusCode).toBe(200);
    const rows = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.user_id', 'api_tokens.user_id')
      .select(sql<number>`extract(epoch from api_tokens.expires_at - api_tokens.created_at)`.as('secs'))
      .where('users.username', '=', username)
      .execute();
    expect(rows.map((x) => Math.round(Number(x.secs) / 60))).toEqual([180, 180]);
    expect(await run('--revoke', '--username', username)).toMatch(/revoked 2 token/);
    for (const t of [first, second])
      expect((await app.inject({ method: 'GET', url: '/rounds', headers: bearer(t) })).json().error.code).toBe(
        'TOKEN_REVOKED',
      );
  }, 240_000);
});

describe('the codec cookie holds a server-side session id, not the token (finding 7)', () => {
  it('login sets a session cookie that works until logout or expiry; the token itself is no cookie', async () => {
    const auditor = await createUser(db, { username: uniq('codec'), displayName: 'Auditor', role: 'auditor' });
    const login = await app.inject({ method: 'POST', url: '/codec/session', payload: { token: auditor.token } });
    expect(login.statusCode, login.body).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^asn_codec=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/codec; Max-Age=\d+/);
    expect(setCookie).not.toContain(auditor.token);
    expect(setCookie).not.toContain(auditor.token.slice(4));
    const cookie = setCookie.split(';')[0]!;
    const decode = (c: string) =>
      app.inject({ method: 'POST', url: '/codec/decode', headers: { cookie: c }, payload: { payloads: [] } });
    expect((await decode(cookie)).statusCode).toBe(200);
    expect((await decode(`asn_codec=${auditor.token}`)).statusCode).toBe(401);

    const out = await app.inject({ method: 'POST', url: '/codec/logout', headers: { cookie } });
    expect([out.statusCode, out.json()]).toEqual([200, { ended: true }]);
    expect(String(out.headers['set-cookie'])).toMatch(/^asn_codec=; .*Max-Age=0/);
    expect((await decode(cookie)).statusCode).toBe(401);

    const again = await app.inject({ method: 'POST', url: '/codec/session', payload: { token: auditor.token } });
    const cookie2 = String(again.headers['set-cookie']).split(';')[0]!;
    expect(cookie2).not.toBe(cookie);
    expect((await decode(cookie2)).statusCode).toBe(200);
    await db
      .updateTable('sessions')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('user_id', '=', auditor.user.userId)
      .execute();
    const expired = await decode(cookie2);
    expect([expired.statusCode, expired.json().error.code]).toEqual([401, 'UNAUTHENTICATED']);

    const reviewer = await createUser(db, {
      username: uniq('codec-rev'),
      displayName: 'Verifikator',
      role: 'reviewer',
    });
    expect(
      (await app.inject({ method: 'POST', url: '/codec/session', payload: { token: reviewer.token } })).statusCode,
    ).toBe(403);
    expect(
      await db.selectFrom('sessions').select('session_hash').where('user_id', '=', reviewer.user.userId).execute(),
    ).toEqual([]);
  });
});
