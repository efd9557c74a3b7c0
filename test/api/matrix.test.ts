import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { startHarness, type Harness } from '../helpers/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../api/plugins/auth';
import { undocumentedRoutes } from '../../api/openapi';
import type { Db } from '../../db/connection';
import { createUser, ROLES } from '../../db/users';
import { openRound, registration } from '../helpers/candidates';
import { rowCounts, testApp, testUsers } from '../helpers/api';
import { isolatedDb, uniqueTaskQueue } from '../helpers/temporal';
import { sampleRound } from '../fixtures';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
let candidateHeaders: { authorization: string };
const taskQueue = uniqueTaskQueue('matrix');
const DUMMY_REG = '209912345678';

beforeAll(async () => {
  // Its own database: the bad-input suite compares whole-table row counts.
  h = await startHarness(taskQueue, { db: await isolatedDb() });
  ({ env, db } = h);
  app = await testApp(env, db, taskQueue, { max: 100_000, timeWindow: 60_000 });
  users = await testUsers(db);
  const own = await createUser(db, {
    username: `matrix-cand-${Date.now()}`,
    displayName: 'Pelamar',
    role: 'candidate',
    registrationNo: DUMMY_REG,
  });
  candidateHeaders = { authorization: `Bearer ${own.token}` };
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const PARAMS: Record<string, string> = {
  roundId: 'matrix-none',
  registrationNo: DUMMY_REG,
  kind: 'pas_foto',
  taskId: `${DUMMY_REG}:verification:administrasi:1`,
  exam: 'skd',
  phase: 'final',
  nip: '199505152025032001',
};
const fill = (url: string): string => url.replace(/:(\w+)/g, (_, k: string) => PARAMS[k] ?? 'x');
type Who = 'anonymous' | (typeof ROLES)[number];
const WHO: Who[] = ['anonymous', ...ROLES];

describe('role × endpoint matrix, generated from the route table', () => {
  it('covers every route, and every route is in the OpenAPI 3 document at /docs', async () => {
    expect(app.routeTable.length).toBeGreaterThanOrEqual(40);
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const r of app.routeTable.filter((x) => !undocumentedRoutes.has(`${x.method} ${x.url}`))) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
  });

  it('every endpoint, every role: allowed or 401/403 exactly as declared', async () => {
    const failures: string[] = [];
    for (const route of app.routeTable) {
      for (const who of WHO) {
        let headers = who === 'anonymous' ? {} : who === 'candidate' ? candidateHeaders : users[who].headers;
        // Logout revokes the token it is called with: a throwaway token of the same role.
        if (route.url === '/auth/logout' && who !== 'anonymous')
          headers = {
            authorization: `Bearer ${(await createUser(db, { username: `matrix-logout-${who}-${Date.now()}`, displayName: 'Keluar', role: who })).token}`,
          };
        const res = await app.inject({
          method: route.method as 'GET',
          url: fill(route.url),
          headers,
          ...(route.method === 'GET' ? {} : { payload: {} }),
        });
        const code =
          res.statusCode >= 400 && String(res.headers['content-type']).startsWith('application/json')
            ? (res.json() as { error?: { code?: string } }).error?.code
            : undefined;
        const allowed =
          route.access === 'public' ||
          (who !== 'anonymous' && (route.access as Exclude<Access, 'public'>).includes(who));
        const expectation = allowed ? 'allowed' : who === 'anonymous' ? '401' : '403';
        const got = res.statusCode === 401 ? '401' : res.statusCode === 403 && code === 'FORBIDDEN' ? '403' : 'allowed';
        if (res.statusCode >= 500)
          failures.push(`${route.method} ${route.url} as ${who}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        else if (got !== expectation)
          failures.push(
            `${route.method} ${route.url} as ${who}: expected ${expectation}, got ${res.statusCode} ${code}`,
          );
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('bad input: at least 200 cases, 0 × 5xx, stable codes, nothing stored', () => {
  it('refuses every case with a 4xx and a stable code, leaving every table unchanged', async () => {
    const now = await env.currentTimeMs();
    const open = await openRound(db, now, `bad-${Date.now().toString(36)}`);
    const notOpen = await openRound(db, now, `closed-${Date.now().toString(36)}`);
    await db.updateTable('rounds').set({ phase: 'skd' }).where('round_id', '=', notOpen.roundId).execute();
    const hr = users.hr.headers;
    const TABLES = [
      'rounds',
      'formations',
      'applications',
      'documents',
      'document_blobs',
      'tasks',
      'exam_imports',
      'exam_scores',
      'consultation_comments',
      'rankings',
      'audit_log',
      'criteria_versions',
    ] as const;
    const before = await rowCounts(db, TABLES);

    const INJECTIONS = [
      "'; DROP TABLE applications; --",
      '<script>alert(1)</script>',
      '" OR 1=1 --',
      '../../etc/passwd',
      '\u0000',
      '${jndi:ldap://x}',
      '%00',
      'ﷺ'.repeat(50),
    ];
    const LONG = 'x'.repeat(10_000);
    const round = sampleRound(`bad-round-${Date.now().toString(36)}`);
    const cases: {
      name: string;
      method: 'GET' | 'POST' | 'PUT';
      url: string;
      headers?: Record<string, string>;
      payload?: unknown;
      status: number[];
      code?: string[];
    }[] = [];
    const reg = (patch: Record<string, unknown>, status = [400, 422], code?: string[]) =>
      cases.push({
        name: `registration ${JSON.stringify(patch).slice(0, 60)}`,
        method: 'POST',
        url: `/rounds/${open.roundId}/registrations`,
        payload: { ...registration(), ...patch },
        status,
        code,
      });

    // Malformed NIKs.
    for (const nik of [
      '',
      '1',
      '127101150595000',
      '12710115059500011',
      '12710115O5950001',
      '1271-11505950001',
      '1271013202950001',
      '1271012902010001',
      '1271011505950000',
      '0071011505950001',
      '1200011505950001',
      '1271001505950001',
      '127101150595000 ',
      'abcdefghijklmnop',
      '9'.repeat(64),
      ...INJECTIONS.slice(0, 4),
    ]) {
      reg({ nik }, [400, 422], ['NIK_INVALID', 'VALIDATION_FAILED']);
    }
    // Wrong types, missing fields, unknown fields.
    for (const [k, v] of [
      ['fullName', 5],
      ['fullName', ''],
      ['fullName', LONG],
      ['birthDate', '1990-13-01'],
      ['birthDate', '01-01-1990'],
      ['birthDate', 19900101],
      ['sex', 'X'],
      ['sex', null],
      ['email', 'bukan-email'],
      ['email', LONG],
      ['formationId', "F1'; --"],
      ['formationId', 7],
      ['category', 'vip'],
      ['education', 'S1'],
      ['education', { level: 'S9', program: 'X', ipk: 300 }],
      ['education', { level: 'S1', program: 'Keperawatan', ipk: 3.75 }],
      ['education', { level: 'S1', program: 'Keperawatan', ipk: 900 }],
      ['experienceYears', -1],
      ['experienceYears', 'lima'],
      ['priorPredikat', 'Luar Biasa'],
      ['reuseSkd', 'ya'],
      ['extra', 1],
      ['__proto__', { admin: true }],
    ] as [string, unknown][]) {
      reg({ [k]: v }, [400, 422], ['VALIDATION_FAILED', 'NOT_ELIGIBLE', 'MALFORMED_JSON']);
    }
    for (const k of ['nik', 'fullName', 'birthDate', 'sex', 'email', 'formationId', 'category', 'education']) {
      const body: Record<string, unknown> = { ...registration() };
      delete body[k];
      cases.push({
        name: `registration without ${k}`,
        method: 'POST',
        url: `/rounds/${open.roundId}/registrations`,
        payload: body,
        status: [400],
        code: ['VALIDATION_FAILED'],
      });
    }
    // Every text field with the wrong shape.
    for (const k of ['fullName', 'email', 'formationId', 'nik']) {
      for (const v of [LONG, '', null, 123, [], {}, true])
        reg({ [k]: v }, [400, 422], ['VALIDATION_FAILED', 'NIK_INVALID']);
    }
    for (const v of [LONG, '', null, 7, ['x']])
      reg({ education: { level: 'S1', program: v, ipk: 300 } }, [400], ['VALIDATION_FAILED']);
    for (const [k, v] of [
      ['quota', 0],
      ['quota', -1],
      ['quota', 1.5],
      ['skbMax', 0],
      ['educationLevel', 'SD'],
      ['category', 'x'],
      ['educationPrograms', []],
      ['formationId', '../x'],
      ['extraDocuments', ['paspor']],
      ['scoring', { skdWeight: 50, skbWeight: 50, criteria: [{ kind: 'iq', weight: 1 }] }],
    ] as [string, unknown][]) {
      cases.push({
        name: `round formation ${k}`,
        method: 'POST',
        url: '/rounds',
        headers: hr,
        payload: { ...round, formations: [{ ...round.formations[0]!, [k]: v }] },
        status: [400, 422],
        code: ['VALIDATION_FAILED', 'ROUND_CONFIG_INVALID'],
      });
    }
    for (const k of ['consultationOpens', 'registrationCloses', 'skdAt', 'drhDeadline']) {
      for (const v of ['kemarin', '2025-13-01T00:00:00+07:00', 20250101]) {
        cases.push({
          name: `round schedule ${k}=${v}`,
          method: 'POST',
          url: '/rounds',
          headers: hr,
          payload: { ...round, schedule: { ...round.schedule, [k]: v } },
          status: [400, 422],
          code: ['VALIDATION_FAILED', 'ROUND_CONFIG_INVALID'],
        });
      }
    }
    // Injection strings in every text field that reaches SQL or a page.
    for (const s of INJECTIONS) {
      reg(
        { fullName: s, email: `${encodeURIComponent(s).slice(0, 40)}x@y.id`, formationId: 'TIDAK-ADA' },
        [400, 422],
        ['VALIDATION_FAILED', 'NOT_ELIGIBLE'],
      );
      cases.push({
        name: `round id ${s}`,
        method: 'GET',
        url: `/rounds/${encodeURIComponent(s)}`,
        status: [400, 404],
        code: ['VALIDATION_FAILED', 'ROUTE_NOT_FOUND', 'NOT_FOUND'],
      });
      cases.push({
        name: `registration no ${s}`,
        method: 'GET',
        url: `/registrations/${encodeURIComponent(s)}`,
        headers: hr,
        status: [400, 404],
        code: ['VALIDATION_FAILED', 'ROUTE_NOT_FOUND'],
      });
      cases.push({
        name: `comment ${s}`,
        method: 'POST',
        url: `/rounds/${open.roundId}/comments`,
        payload: { author: s, body: `${s} ${s}` },
        status: [400, 409],
        code: ['VALIDATION_FAILED', 'WRONG_PHASE'],
      });
      cases.push({
        name: `announcement formation ${s}`,
        method: 'GET',
        url: `/rounds/${open.roundId}/announcements/final?formationId=${encodeURIComponent(s)}`,
        status: [400],
        code: ['VALIDATION_FAILED'],
      });
    }
    // Ineligible and wrong phase.
    reg({ birthDate: '1960-01-01' }, [422], ['NOT_ELIGIBLE']);
    reg({ birthDate: '2015-01-01' }, [422], ['NOT_ELIGIBLE']);
    reg({ education: { level: 'D3', program: 'Keperawatan', ipk: 300 } }, [422], ['NOT_ELIGIBLE']);
    reg({ category: 'disabilitas' }, [422], ['NOT_ELIGIBLE']);
    reg({ reuseSkd: true }, [422], ['SKD_REUSE_UNAVAILABLE']);
    cases.push({
      name: 'registration in a round not in registration',
      method: 'POST',
      url: `/rounds/${notOpen.roundId}/registrations`,
      payload: registration(),
      status: [409],
      code: ['WRONG_PHASE'],
    });
    cases.push({
      name: 'registration in an unknown round',
      method: 'POST',
      url: '/rounds/tidak-ada/registrations',
      payload: registration(),
      status: [404],
      code: ['NOT_FOUND'],
    });
    // Rounds: malformed bodies.
    for (const [k, v] of [
      ['roundId', ''],
      ['roundId', 'a b'],
      ['roundId', LONG],
      ['budgetYear', 1999],
      ['budgetYear', '2025'],
      ['referenceDate', '2025-02-30x'],
      ['formations', []],
      ['formations', 'F1'],
      ['schedule', {}],
      ['passingGrades', { umum: { twk: 500 } }],
      ['weights', { skdWeight: 101, skbWeight: 0 }],
      ['skbTieBreak', ['tkp']],
      ['name', LONG],
      ['unknown', true],
    ] as [string, unknown][]) {
      cases.push({
        name: `round ${k}=${String(v).slice(0, 20)}`,
        method: 'POST',
        url: '/rounds',
        headers: hr,
        payload: { ...round, [k]: v },
        status: [400, 422],
        code: ['VALIDATION_FAILED', 'ROUND_CONFIG_INVALID'],
      });
    }
    cases.push({
      name: 'round: not JSON',
      method: 'POST',
      url: '/rounds',
      headers: { ...hr, 'content-type': 'application/json' },
      payload: '{"roundId":',
      status: [400],
    });
    cases.push({
      name: 'round: wrong content type',
      method: 'POST',
      url: '/rounds',
      headers: { ...hr, 'content-type': 'application/xml' },
      payload: '<round/>',
      status: [415],
      code: ['UNSUPPORTED_MEDIA_TYPE'],
    });
    cases.push({
      name: 'round: oversized body',
      method: 'POST',
      url: '/rounds',
      headers: { ...hr, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...round, name: 'x'.repeat(2 * 1024 * 1024) }),
      status: [413],
      code: ['PAYLOAD_TOO_LARGE'],
    });
    // Imports: wrong phase, bad CSV, unknown ids.
    for (const csv of [
      '',
      'a,b,c',
      'registration_no,twk,tiu,tkp\n202500000001,abc,1,1',
      `registration_no,twk,tiu,tkp\n${"'; DROP TABLE exam_scores; --"},1,1,1`,
      'registration_no,twk,tiu,tkp\n202500000001,65,80',
    ]) {
      cases.push({
        name: `skd import wrong phase ${csv.slice(0, 20)}`,
        method: 'POST',
        url: `/rounds/${open.roundId}/imports/skd`,
        headers: { ...hr, 'content-type': 'text/csv' },
        payload: csv,
        status: [409],
        code: ['WRONG_PHASE'],
      });
      cases.push({
        name: `skd import bad csv ${csv.slice(0, 20)}`,
        method: 'POST',
        url: `/rounds/${notOpen.roundId}/imports/skd`,
        headers: { ...hr, 'content-type': 'text/csv' },
        payload: csv,
        status: [422],
        code: ['IMPORT_INVALID'],
      });
    }
    cases.push({
      name: 'import as JSON',
      method: 'POST',
      url: `/rounds/${notOpen.roundId}/imports/skd`,
      headers: hr,
      payload: { rows: [] },
      status: [415],
      code: ['UNSUPPORTED_MEDIA_TYPE'],
    });
    cases.push({
      name: 'import unknown exam',
      method: 'POST',
      url: `/rounds/${notOpen.roundId}/imports/psikotes`,
      headers: { ...hr, 'content-type': 'text/csv' },
      payload: 'x',
      status: [400],
      code: ['VALIDATION_FAILED'],
    });
    cases.push({
      name: 'correction without reason',
      method: 'POST',
      url: `/rounds/${notOpen.roundId}/imports/skd?correction=true`,
      headers: { ...hr, 'content-type': 'text/csv' },
      payload: 'x',
      status: [400],
      code: ['VALIDATION_FAILED'],
    });
    // Unknown ids everywhere.
    for (const url of [
      '/rounds/tidak-ada',
      '/rounds/tidak-ada/criteria',
      '/rounds/tidak-ada/comments',
      '/rounds/tidak-ada/announcements/final',
      '/rounds/tidak-ada/announcements/skd/html',
      '/registrations/209900000000',
    ]) {
      cases.push({ name: `unknown ${url}`, method: 'GET', url, headers: hr, status: [404], code: ['NOT_FOUND'] });
    }
    for (const url of [
      '/rounds/tidak-ada/funnel',
      '/rounds/tidak-ada/rankings/final',
      '/rounds/tidak-ada/audit/verify',
      '/tasks/209900000000:verification:administrasi:1',
    ]) {
      cases.push({
        name: `unknown ${url}`,
        method: 'GET',
        url,
        headers: url.startsWith('/tasks') ? users.reviewer.headers : hr,
        status: [404],
        code: ['NOT_FOUND'],
      });
    }
    cases.push({
      name: 'unknown phase',
      method: 'GET',
      url: `/rounds/${open.roundId}/announcements/wawancara`,
      status: [400],
      code: ['VALIDATION_FAILED'],
    });
    cases.push({ name: 'unknown route', method: 'GET', url: '/admin', status: [404], code: ['ROUTE_NOT_FOUND'] });
    cases.push({
      name: 'ranking before SKD',
      method: 'POST',
      url: `/rounds/${open.roundId}/rankings/final`,
      headers: hr,
      status: [404, 409],
      code: ['NOT_FOUND', 'WRONG_PHASE'],
    });
    cases.push({
      name: 'deadline backwards',
      method: 'POST',
      url: `/rounds/${open.roundId}/deadlines`,
      headers: hr,
      payload: { key: 'registrationCloses', to: '2000-01-01T00:00:00+07:00', reason: 'mundur' },
      status: [404, 409, 422],
    });
    cases.push({
      name: 'advance a real round',
      method: 'POST',
      url: `/rounds/${open.roundId}/advance`,
      headers: hr,
      payload: { from: 'registration', reason: 'bukan simulasi' },
      status: [404, 409],
      code: ['NOT_FOUND', 'NOT_SIMULATION'],
    });
    cases.push({
      name: 'advance: unknown phase',
      method: 'POST',
      url: `/rounds/${open.roundId}/advance`,
      headers: hr,
      payload: { from: 'tahap-lain', reason: 'salah' },
      status: [400],
    });
    cases.push({
      name: 'reviewers: not reviewers',
      method: 'PUT',
      url: `/rounds/${open.roundId}/reviewers`,
      headers: hr,
      payload: { usernames: [users.hr.username] },
      status: [422],
      code: ['UNKNOWN_REVIEWER'],
    });
    cases.push({
      name: 'decline unknown registration',
      method: 'POST',
      url: `/rounds/${open.roundId}/optimalisasi/declines`,
      headers: hr,
      payload: { registrationNo: '209900000000', formationId: 'DINKES-PERAWAT' },
      status: [404],
      code: ['NOT_FOUND'],
    });
    // Auth header garbage.
    for (const h of [
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `Bearer ${'a'.repeat(500)}`,
      'Bearer asn_salah-token-yang-panjang',
      "Bearer ' OR 1=1 --",
    ]) {
      cases.push({
        name: `auth ${h.slice(0, 20)}`,
        method: 'GET',
        url: '/rounds',
        headers: { authorization: h },
        status: [401],
        code: ['UNAUTHENTICATED'],
      });
    }
    // Uploads: wrong party, not multipart.
    cases.push({
      name: 'upload by HR',
      method: 'POST',
      url: `/registrations/${DUMMY_REG}/documents/ijazah`,
      headers: hr,
      payload: {},
      status: [403],
      code: ['FORBIDDEN'],
    });
    cases.push({
      name: 'upload not multipart',
      method: 'POST',
      url: `/registrations/${DUMMY_REG}/documents/ijazah`,
      headers: { ...candidateHeaders, 'content-type': 'application/json' },
      payload: { file: 'JVBERi0=' },
      status: [404, 415],
      code: ['NOT_FOUND', 'UNSUPPORTED_MEDIA_TYPE'],
    });
    cases.push({
      name: 'upload unknown kind',
      method: 'POST',
      url: `/registrations/${DUMMY_REG}/documents/paspor`,
      headers: candidateHeaders,
      payload: {},
      status: [400],
      code: ['VALIDATION_FAILED'],
    });
    cases.push({
      name: 'submit unknown documents',
      method: 'POST',
      url: `/registrations/${DUMMY_REG}/documents/submit`,
      headers: candidateHeaders,
      payload: { documentIds: ['1', '2'] },
      status: [404],
      code: ['NOT_FOUND'],
    });
    cases.push({
      name: 'submit no documents',
      method: 'POST',
      url: `/registrations/${DUMMY_REG}/documents/submit`,
      headers: candidateHeaders,
      payload: { documentIds: [] },
      status: [400],
      code: ['VALIDATION_FAILED'],
    });
    cases.push({
      name: 'sanggah empty',
      method: 'POST',
      url: `/registrations/${DUMMY_REG}/sanggah`,
      headers: candidateHeaders,
      payload: { reason: '' },
      status: [400],
      code: ['VALIDATION_FAILED'],
    });
    cases.push({
      name: 'drh not an object',
      method: 'POST',
      url: `/registrations/${DUMMY_REG}/drh`,
      headers: candidateHeaders,
      payload: { drh: 'alamat' },
      status: [400],
      code: ['VALIDATION_FAILED'],
    });
    cases.push({
      name: 'decision on unknown task',
      method: 'POST',
      url: '/tasks/nope:verification:x:1/decision',
      headers: users.reviewer.headers,
      payload: { decisions: [] },
      status: [404],
      code: ['NOT_FOUND'],
    });
    cases.push({
      name: 'decision with bad result',
      method: 'POST',
      url: '/tasks/nope/decision',
      headers: users.reviewer.headers,
      payload: { decisions: [{ kind: 'ktp', result: 'OK' }] },
      status: [400],
      code: ['VALIDATION_FAILED'],
    });

    expect(cases.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    for (const c of cases) {
      const res = await app.inject({
        method: c.method,
        url: c.url,
        headers: c.headers,
        ...(c.payload === undefined ? {} : { payload: c.payload as string }),
      });
      let code: string | undefined;
      try {
        code = (res.json() as { error?: { code?: string } }).error?.code;
      } catch {
        code = undefined;
      }
      if (res.statusCode >= 500) failures.push(`${c.name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      else if (!c.status.includes(res.statusCode))
        failures.push(`${c.name}: status ${res.statusCode} not in ${c.status} (${code})`);
      else if (!code) failures.push(`${c.name}: no error code`);
      else if (c.code && !c.code.includes(code)) failures.push(`${c.name}: code ${code} not in ${c.code}`);
    }
    expect(failures).toEqual([]);
    expect(await rowCounts(db, TABLES)).toEqual(before);
    console.log(`[bad-input] ${cases.length} cases, 0 × 5xx`);
  }, 120_000);

  it('rate limits registration per IP', async () => {
    const limited = await testApp(env, db, taskQueue, { max: 2, timeWindow: 60_000 });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++)
        codes.push(
          (await limited.inject({ method: 'POST', url: '/rounds/tidak-ada/registrations', payload: registration() }))
            .statusCode,
        );
      expect(codes).toEqual([404, 404, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
