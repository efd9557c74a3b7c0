import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startHarness, type Harness } from '../helpers/harness';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createDb, type Db } from '../../db/connection';
import { sampleRound } from '../fixtures';
import { rowCounts, testApp, testUsers } from '../helpers/api';
import { uniqueTaskQueue } from '../helpers/temporal';
import { enforceContract } from '../helpers/contract';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('api-rounds');

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db } = h);
  app = await testApp(env, db, taskQueue);
  users = await testUsers(db);
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const TABLES = ['rounds', 'formations', 'audit_log'] as const;

describe('POST /rounds → GET /rounds/:id', () => {
  it('HR starts a round; its state is read from what the round recorded (the fresh workflow answers before that)', async () => {
    const roundId = `api-${Date.now()}`;
    const res = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: users.hr.headers,
      payload: sampleRound(roundId),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ roundId, workflowId: `round/${roundId}` });

    const got = await app.inject({ method: 'GET', url: `/rounds/${roundId}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({
      roundId,
      agency: 'BKPSDM Kota Medan',
      formations: [{ formationId: 'DINKES-PERAWAT' }, { formationId: 'DISDIKBUD-GURU' }],
    });

    await expect
      .poll(
        async () => (await db.selectFrom('rounds').select('round_id').where('round_id', '=', roundId).execute()).length,
        { timeout: 20_000 },
      )
      .toBe(1);

    // The same id again → 409, nothing changes.
    const before = await rowCounts(db, TABLES);
    const again = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: users.hr.headers,
      payload: sampleRound(roundId),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('ROUND_EXISTS');
    expect(await rowCounts(db, TABLES)).toEqual(before);

    const list = await app.inject({ method: 'GET', url: '/rounds', headers: users.auditor.headers });
    expect(list.json().items.map((r: { roundId: string }) => r.roundId)).toContain(roundId); // newest first: on page 1
  });

  it('a malformed body → 400 with the failing fields; semantic errors → 422 with every violation; nothing stored', async () => {
    const before = await rowCounts(db, TABLES);
    const bad = { ...sampleRound('x y'), budgetYear: '2025', formations: [{ formationId: 'F1' }] };
    const res = await app.inject({ method: 'POST', url: '/rounds', headers: users.hr.headers, payload: bad });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('VALIDATION_FAILED');
    const fields = body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['/roundId', '/budgetYear']));

    const order = sampleRound(`bad-${Date.now()}`);
    order.schedule = { ...order.schedule, skdAt: order.schedule.consultationOpens };
    order.formations = [{ ...order.formations[0]!, scoring: { skdWeight: 40, skbWeight: 40, criteria: [] } }];
    const res2 = await app.inject({ method: 'POST', url: '/rounds', headers: users.hr.headers, payload: order });
    expect(res2.statusCode).toBe(422);
    expect(res2.json().error.code).toBe('ROUND_CONFIG_INVALID');
    expect(res2.json().error.details.map((d: { code: string }) => d.code)).toEqual(
      expect.arrayContaining(['SCHEDULE_ORDER', 'WEIGHTS_SUM']),
    );

    const res3 = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: { ...users.hr.headers, 'content-type': 'application/json' },
      payload: '{"roundId": ',
    });
    expect(res3.statusCode).toBe(400);
    expect(await rowCounts(db, TABLES)).toEqual(before);
  });

  it('an unknown round → 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/rounds/tidak-ada' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('only HR may start a round', async () => {
    const none = await app.inject({ method: 'POST', url: '/rounds', payload: sampleRound('r-none') });
    expect(none.statusCode).toBe(401);
    const rev = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: users.reviewer.headers,
      payload: sampleRound('r-rev'),
    });
    expect(rev.statusCode).toBe(403);
    expect(rev.json().error.code).toBe('FORBIDDEN');
    const badToken = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: { authorization: 'Bearer asn_not-a-real-token' },
      payload: sampleRound('r-bad'),
    });
    expect(badToken.statusCode).toBe(401);
  });
});

describe('GET /healthz', () => {
  it('200 when both are up', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', postgresql: 'up', temporal: 'up' });
  });

  it('503 naming whichever is down', async () => {
    const deadDb = createDb('postgres://postgres@127.0.0.1:1/asn', { connectionTimeoutMillis: 500 });
    const deadConn = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const a = await buildApp({ deps: { db: deadDb, client: env.client, connection: env.connection, taskQueue } });
    const b = await buildApp({
      deps: { db, client: new Client({ connection: deadConn }), connection: deadConn, taskQueue },
    });
    enforceContract(a);
    enforceContract(b);
    try {
      const ra = await a.inject({ method: 'GET', url: '/healthz' });
      expect(ra.statusCode).toBe(503);
      expect(ra.json().error).toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        details: { postgresql: 'down', temporal: 'up' },
      });
      const rb = await b.inject({ method: 'GET', url: '/healthz' });
      expect(rb.statusCode).toBe(503);
      expect(rb.json().error.details).toEqual({ postgresql: 'up', temporal: 'down' });
      // A route that needs the database answers 503 with its own code, not 500.
      const rl = await a.inject({ method: 'GET', url: '/rounds/anything' });
      expect(rl.statusCode).toBe(503);
      expect(rl.json().error.code).toBe('DATABASE_UNAVAILABLE');
    } finally {
      await a.close();
      await b.close();
      await deadDb.destroy();
    }
  });
});

describe('POST /rounds/:id/advance (simulation rounds only)', () => {
  const recorded = async (roundId: string, simulation: boolean): Promise<void> => {
    const res = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: users.hr.headers,
      payload: sampleRound(roundId, simulation ? { simulation: { dayMs: 60_000 } } : {}),
    });
    expect(res.statusCode, res.body).toBe(201);
    await expect
      .poll(
        async () =>
          (await db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase,
        { timeout: 20_000 },
      )
      .toBe('draft');
  };
  const advanced = async (roundId: string) =>
    db
      .selectFrom('audit_log')
      .select(['actor', 'reason', 'payload'])
      .where('chain', '=', `round:${roundId}`)
      .where('action', '=', 'round.phase_advanced')
      .execute();

  it('a real round → 409 NOT_SIMULATION, nothing recorded', async () => {
    const roundId = `api-adv-real-${Date.now()}`;
    await recorded(roundId, false);
    const res = await app.inject({
      method: 'POST',
      url: `/rounds/${roundId}/advance`,
      headers: users.hr.headers,
      payload: { from: 'draft', reason: 'Simulasi selesai' },
    });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.code).toBe('NOT_SIMULATION');
    expect(await advanced(roundId)).toEqual([]);
    const state = await app.inject({ method: 'GET', url: `/rounds/${roundId}` });
    expect(state.json().phase).toBe('draft');
  });

  it('HR advances a simulation round once per key, audited; stale, unexplained or not HR → refused', async () => {
    const roundId = `api-adv-sim-${Date.now()}`;
    await recorded(roundId, true);
    const url = `/rounds/${roundId}/advance`;
    const rev = await app.inject({
      method: 'POST',
      url,
      headers: users.reviewer.headers,
      payload: { from: 'draft', reason: 'Simulasi' },
    });
    expect(rev.statusCode).toBe(403);
    const stale = await app.inject({
      method: 'POST',
      url,
      headers: users.hr.headers,
      payload: { from: 'registration', reason: 'Simulasi' },
    });
    expect(stale.statusCode, stale.body).toBe(409);
    expect(stale.json().error.code).toBe('WRONG_PHASE');
    const bad = await app.inject({
      method: 'POST',
      url,
      headers: users.hr.headers,
      payload: { from: 'x', reason: 'ab' },
    });
    expect(bad.statusCode).toBe(400);
    const missing = await app.inject({
      method: 'POST',
      url: '/rounds/tidak-ada/advance',
      headers: users.hr.headers,
      payload: { from: 'draft', reason: 'Simulasi' },
    });
    expect(missing.statusCode).toBe(404);
    expect(await advanced(roundId)).toEqual([]);

    const key = { 'idempotency-key': `adv-${roundId}` };
    const body = { from: 'draft', reason: 'Konsultasi publik simulasi dibuka sekarang' };
    const first = await app.inject({ method: 'POST', url, headers: { ...users.hr.headers, ...key }, payload: body });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().phase).toBe('consultation');
    const again = await app.inject({ method: 'POST', url, headers: { ...users.hr.headers, ...key }, payload: body });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().phase).toBe('consultation');
    expect((await advanced(roundId)).map((a) => [a.actor, a.reason, (a.payload as { to: string }).to])).toEqual([
      [users.hr.username, body.reason, 'consultation'],
    ]);
    const state = await app.inject({ method: 'GET', url: `/rounds/${roundId}` });
    expect(state.json()).toMatchObject({ phase: 'consultation' });
    expect(Date.parse(state.json().schedule.consultationOpens)).toBeLessThanOrEqual(Date.now());
  });
});
