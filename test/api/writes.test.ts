import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { careerChain } from '../../contracts';
import { buildApp } from '../../api/app';
import { unitChain } from '../../contracts';
import { loadConfig } from '../../config';
import { verifyChain } from '../../db/audit';
import type { Db } from '../../db/connection';
import { createUser } from '../../db/users';
import { sampleRound } from '../fixtures';
import { rowCounts, testApp, testUsers } from '../helpers/api';
import { careerInput, nextJanuary, startCareer } from '../helpers/career';
import { openRound, registration } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * Issue 15, finding 4: every write validated against what exists, and audited. Refusals carry
 * a stable code and store nothing; each accepted change has its audit row (who, why) and the
 * chain still verifies.
 */
let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let app: FastifyInstance;
/** The same app with a raised limit: for the tests whose subject is not the rate limit. */
let wide: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const taskQueue = uniqueTaskQueue('api-writes');
const tag = `${process.pid}-${Date.now().toString(36)}`;
const UNIT = `Dinas Kesehatan Uji ${tag}`;
let roundId: string;
let ip = 0;
/** A fresh client address per test, so rate-limit buckets and duplicate checks do not mix. */
const nextIp = (): string => `10.15.${Math.floor(++ip / 250)}.${(ip % 250) + 1}`;

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db } = h);
  app = await testApp(env, db, taskQueue); // the default limits
  wide = await testApp(env, db, taskQueue, { max: 100_000, timeWindow: 60_000 });
  users = await testUsers(db);
  roundId = `writes-${tag}`;
  const base = sampleRound(roundId);
  await openRound(db, await env.currentTimeMs(), roundId, {
    formations: base.formations.map((f) => ({ ...f, unit: UNIT })),
  });
  await db.updateTable('rounds').set({ phase: 'consultation' }).where('round_id', '=', roundId).execute();
});
afterAll(async () => {
  await app?.close();
  await wide?.close();
  await h?.stop();
});

const auditRows = (chain: string) =>
  db.selectFrom('audit_log').selectAll().where('chain', '=', chain).orderBy('seq').execute();
const ratingRows = () => db.selectFrom('unit_ratings').selectAll().where('unit', 'like', `%${tag}%`).execute();
const code = (res: { json: () => unknown }): string | undefined =>
  (res.json() as { error?: { code?: string } }).error?.code;

describe('PUT /units/{unit}/ratings/{year}', () => {
  const year = new Date().getUTCFullYear();
  const url = (unit: string, y: string | number = year) => `/units/${encodeURIComponent(unit)}/ratings/${y}`;
  const body = (o: Record<string, unknown> = {}) => ({
    rating: 'Baik',
    headcount: 12,
    unitHead: users.supervisor.username,
    reason: 'Hasil evaluasi kinerja unit tahunan',
    ...o,
  });

  it('refuses unknown units, control characters, SQL text, years 0/230/8058, headcount 65537 and unknown unit heads; stores nothing', async () => {
    const before = {
      ratings: await db.selectFrom('unit_ratings').select(['unit', 'year']).execute(),
      audit: await rowCounts(db, ['audit_log', 'unit_ratings']),
    };
    const cases: [string, string, unknown, number, string][] = [
      ['unit with a NUL', url(`${UNIT}\u0000`), body(), 400, 'VALIDATION_FAILED'],
      ['unit with an escape sequence', url(`Dinas\u001b[31mKesehatan ${tag}`), body(), 400, 'VALIDATION_FAILED'],
      ['unit with DEL', url(`${UNIT}\u007f`), body(), 400, 'VALIDATION_FAILED'],
      ['SQL text as a unit', url(`x'; DROP TABLE unit_ratings; -- ${tag}`), body(), 422, 'UNKNOWN_UNIT'],
      ['SQL text as a unit (2)', url(`${UNIT}' OR '1'='1`), body(), 422, 'UNKNOWN_UNIT'],
      ['a unit no formation has', url(`Dinas Fiktif ${tag}`), body(), 422, 'UNKNOWN_UNIT'],
      ['year 0', url(UNIT, '0000'), body(), 422, 'YEAR_OUT_OF_RANGE'],
      ['year 0 (short)', url(UNIT, '0'), body(), 422, 'YEAR_OUT_OF_RANGE'],
      ['year 230', url(UNIT, '0230'), body(), 422, 'YEAR_OUT_OF_RANGE'],
      ['year 8058', url(UNIT, '8058'), body(), 422, 'YEAR_OUT_OF_RANGE'],
      ['year after next', url(UNIT, year + 2), body(), 422, 'YEAR_OUT_OF_RANGE'],
      ['year 1999', url(UNIT, 1999), body(), 422, 'YEAR_OUT_OF_RANGE'],
      ['headcount 65537', url(UNIT), body({ headcount: 65537 }), 400, 'VALIDATION_FAILED'],
      ['headcount 0', url(UNIT), body({ headcount: 0 }), 400, 'VALIDATION_FAILED'],
      ['headcount 10001', url(UNIT), body({ headcount: 10_001 }), 400, 'VALIDATION_FAILED'],
      [
        'unit head with a control character',
        url(UNIT),
        body({ unitHead: 'kepala\u0007unit' }),
        400,
        'VALIDATION_FAILED',
      ],
      ['an unknown unit head', url(UNIT), body({ unitHead: `tidak.ada.${tag}` }), 422, 'UNKNOWN_USER'],
      [
        'a unit head who is not a supervisor',
        url(UNIT),
        body({ unitHead: users.reviewer.username }),
        422,
        'WRONG_ROLE',
      ],
      [
        'no reason',
        url(UNIT),
        { rating: 'Baik', headcount: 12, unitHead: users.supervisor.username },
        400,
        'VALIDATION_FAILED',
      ],
      ['a reason with a carriage return', url(UNIT), body({ reason: 'alasan\rpalsu' }), 400, 'VALIDATION_FAILED'],
    ];
    const failures: string[] = [];
    for (const [name, u, payload, status, c] of cases) {
      const res = await app.inject({ method: 'PUT', url: u, headers: users.hr.headers, payload: payload as object });
      if (res.statusCode !== status || code(res) !== c)
        failures.push(`${name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(await db.selectFrom('unit_ratings').select(['unit', 'year']).execute()).toEqual(before.ratings);
    expect(await rowCounts(db, ['audit_log', 'unit_ratings'])).toEqual(before.audit);
  });

  it('201 on the first rating, 200 with the previous value on a change, nothing on the same values; each change audited with who and why; the chain verifies', async () => {
    const first = await app.inject({ method: 'PUT', url: url(UNIT), headers: users.hr.headers, payload: body() });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      unit: UNIT,
      year,
      rating: 'Baik',
      headcount: 12,
      revision: 1,
      created: true,
      changed: true,
      previous: null,
    });

    const same = await app.inject({
      method: 'PUT',
      url: url(UNIT),
      headers: users.hr.headers,
      payload: body({ reason: 'kirim ulang' }),
    });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toMatchObject({ revision: 1, created: false, changed: false });

    const changed = await app.inject({
      method: 'PUT',
      url: url(UNIT),
      headers: users.hr.headers,
      payload: body({ rating: 'Istimewa', headcount: 14, reason: 'Koreksi: dua pegawai pindahan belum dihitung' }),
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      rating: 'Istimewa',
      headcount: 14,
      revision: 2,
      created: false,
      changed: true,
      previous: { rating: 'Baik', headcount: 12, revision: 1 },
    });

    const stored = await db
      .selectFrom('unit_ratings')
      .selectAll()
      .where('unit', '=', UNIT)
      .where('year', '=', year)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ rating: 'Istimewa', headcount: 14, revision: 2, updated_by: users.hr.username });

    const rows = await auditRows(unitChain(UNIT));
    expect(rows.map((r) => [r.action, r.actor, r.reason])).toEqual([
      ['unit_rating.set', users.hr.username, 'Hasil evaluasi kinerja unit tahunan'],
      ['unit_rating.changed', users.hr.username, 'Koreksi: dua pegawai pindahan belum dihitung'],
    ]);
    expect(rows[1]!.payload).toMatchObject({
      year,
      rating: 'Istimewa',
      headcount: 14,
      revision: 2,
      previous: { rating: 'Baik', headcount: 12, revision: 1 },
    });
    expect(await verifyChain(db, unitChain(UNIT))).toMatchObject({ ok: true, rows: 2 });
    expect((await ratingRows()).length).toBe(1);

    // Auditors verify the unit's chain through the API; an edited reason is caught.
    const verified = await app.inject({
      method: 'GET',
      url: `/units/${encodeURIComponent(UNIT)}/audit/verify`,
      headers: users.auditor.headers,
    });
    expect(verified.json()).toMatchObject({ chain: unitChain(UNIT), ok: true, rows: 2 });
    const unknown = await app.inject({
      method: 'GET',
      url: `/units/${encodeURIComponent(`Dinas Fiktif ${tag}`)}/audit/verify`,
      headers: users.auditor.headers,
    });
    expect([unknown.statusCode, code(unknown)]).toEqual([422, 'UNKNOWN_UNIT']);
    await db
      .updateTable('audit_log')
      .set({ reason: 'alasan lain' })
      .where('chain', '=', unitChain(UNIT))
      .where('seq', '=', 2)
      .execute();
    const tampered = await app.inject({
      method: 'GET',
      url: `/units/${encodeURIComponent(UNIT)}/audit/verify`,
      headers: users.auditor.headers,
    });
    expect(tampered.json()).toMatchObject({ ok: false, firstBroken: { seq: 2, problem: 'edited_row' } });
    await db
      .updateTable('audit_log')
      .set({ reason: 'Koreksi: dua pegawai pindahan belum dihitung' })
      .where('chain', '=', unitChain(UNIT))
      .where('seq', '=', 2)
      .execute();
  });
});

describe('PUT /careers/{nip}/supervisor', () => {
  let nip: string;
  beforeAll(async () => {
    const input = careerInput({}, await nextJanuary(env));
    nip = input.nip;
    await startCareer(env, taskQueue, input);
    // The workflow records the career (openCareer) in its first task.
    for (let i = 0; !(await db.selectFrom('careers').select('nip').where('nip', '=', nip).executeTakeFirst()); i++) {
      if (i > 600) throw new Error(`career ${nip} not recorded`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  const put = (payload: Record<string, unknown>) =>
    app.inject({ method: 'PUT', url: `/careers/${nip}/supervisor`, headers: users.hr.headers, payload });

  it('refuses unknown, disabled and wrong-role users and text with control characters; nothing recorded', async () => {
    const disabled = await createUser(db, {
      username: `atasan.nonaktif.${tag}`,
      displayName: 'Nonaktif',
      role: 'supervisor',
    });
    await db.updateTable('users').set({ disabled: true }).where('username', '=', disabled.user.username).execute();
    const before = {
      audit: (await auditRows(careerChain(nip))).length,
      events: await db.selectFrom('career_events').select('seq').where('nip', '=', nip).execute(),
    };
    const sup = users.supervisor.username;
    const reason = 'Penempatan awal pada unit';
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['an unknown supervisor', { supervisor: `tidak.ada.${tag}`, unitHead: sup, reason }, 422, 'UNKNOWN_USER'],
      ['an unknown unit head', { supervisor: sup, unitHead: `'; DROP TABLE users; --`, reason }, 422, 'UNKNOWN_USER'],
      ['a disabled supervisor', { supervisor: disabled.user.username, unitHead: sup, reason }, 422, 'UNKNOWN_USER'],
      ['a reviewer as supervisor', { supervisor: users.reviewer.username, unitHead: sup, reason }, 422, 'WRONG_ROLE'],
      ['HR as unit head', { supervisor: sup, unitHead: users.hr.username, reason }, 422, 'WRONG_ROLE'],
      [
        'a supervisor name with a control character',
        { supervisor: `${sup}\u0000`, unitHead: sup, reason },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a reason with an escape sequence',
        { supervisor: sup, unitHead: sup, reason: 'alasan \u001b[2J' },
        400,
        'VALIDATION_FAILED',
      ],
      ['no reason', { supervisor: sup, unitHead: sup }, 400, 'VALIDATION_FAILED'],
    ];
    const failures: string[] = [];
    for (const [name, payload, status, c] of cases) {
      const res = await put(payload);
      if (res.statusCode !== status || code(res) !== c)
        failures.push(`${name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect((await auditRows(careerChain(nip))).length).toBe(before.audit);
    expect(await db.selectFrom('career_events').select('seq').where('nip', '=', nip).execute()).toEqual(before.events);
  });

  it('an existing supervisor: the change is in the career chain with who and why; the chain verifies', async () => {
    const reason = 'Mutasi atasan langsung per SK Kepala Dinas';
    const res = await put({ supervisor: users.supervisor.username, unitHead: users.supervisor.username, reason });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ supervisor: users.supervisor.username, unitHead: users.supervisor.username });
    const rows = await auditRows(careerChain(nip));
    const row = rows.find(
      (r) => r.action === 'career.event' && (r.payload as { kind?: string }).kind?.startsWith('atasan langsung'),
    );
    expect(row, JSON.stringify(rows)).toMatchObject({ actor: users.hr.username, reason });
    expect(await verifyChain(db, careerChain(nip))).toMatchObject({ ok: true });
  });
});

describe('public comments', () => {
  const post = (payload: Record<string, unknown>, remoteAddress: string, a: FastifyInstance = wide) =>
    a.inject({ method: 'POST', url: `/rounds/${roundId}/comments`, remoteAddress, payload });
  const comments = () =>
    db.selectFrom('consultation_comments').select(['comment_id', 'body']).where('round_id', '=', roundId).execute();

  it('control characters in author or body are refused; line feeds and tabs in the body are kept', async () => {
    const addr = nextIp();
    const before = await comments();
    for (const payload of [
      { author: 'Warga\u0000', body: 'Syarat pengalaman terlalu berat.' },
      { author: 'Warga', body: 'Syarat pengalaman\u001b[31m terlalu berat.' },
      { author: 'Warga', body: 'Syarat pengalaman\u0008 terlalu berat.' },
      { author: 'Warga\nPalsu', body: 'Syarat pengalaman terlalu berat.' },
    ]) {
      const res = await post(payload, addr);
      expect([res.statusCode, code(res)], JSON.stringify(payload)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await comments()).toEqual(before);
    const ok = await post({ author: 'Warga', body: 'Poin 1:\tsyarat pengalaman.\nPoin 2: bobot wawancara.' }, addr);
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('the same text from the same client within the window is 409 DUPLICATE_COMMENT and stored once; another client may say it', async () => {
    const addr = nextIp();
    const text = `Mohon bobot wawancara diturunkan (${tag})`;
    const first = await post({ author: 'Budi', body: text }, addr);
    expect(first.statusCode, first.body).toBe(201);
    for (const variant of [text, `  ${text.toUpperCase()}  `, text.replace(/ /g, '  ')]) {
      const again = await post({ author: 'Budi lagi', body: variant }, addr);
      expect([again.statusCode, code(again)], again.body).toEqual([409, 'DUPLICATE_COMMENT']);
    }
    // Sixteen copies at once (the attack): still one stored.
    const burst = await Promise.all(
      Array.from({ length: 4 }, () => post({ author: 'Budi', body: `${text} — serentak` }, addr)),
    );
    expect(burst.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    expect((await comments()).filter((c) => c.body.startsWith(text)).length).toBe(2);
    const other = await post({ author: 'Sari', body: text }, nextIp());
    expect(other.statusCode, other.body).toBe(201);
  });

  it('after the (configurable) window the same text is accepted again', async () => {
    const short = await buildApp({
      deps: h.deps,
      commentDuplicateWindowMs: 1,
      rateLimit: { max: 1000, timeWindow: 60_000 },
    });
    try {
      const addr = nextIp();
      const text = `Jadwal SKB terlalu dekat dengan SKD (${tag})`;
      expect((await post({ author: 'Rina', body: text }, addr, short)).statusCode).toBe(201);
      // Within the default 10-minute window (the other app, same client) it is a duplicate …
      const dup = await post({ author: 'Rina', body: text }, addr, wide);
      expect([dup.statusCode, code(dup)]).toEqual([409, 'DUPLICATE_COMMENT']);
      const seen = (await comments()).filter((c) => c.body === text).length;
      // … and with a 1 ms window it is accepted once that has passed.
      await expect
        .poll(async () => (await post({ author: 'Rina', body: text }, addr, short)).statusCode, { timeout: 10_000 })
        .toBe(201);
      expect((await comments()).filter((c) => c.body === text).length).toBeGreaterThan(seen);
    } finally {
      await short.close();
    }
  });

  it('the default limit limits: the 6th comment in a minute from one address is 429 RATE_LIMITED, in development as in production', async () => {
    for (const nodeEnv of ['development', 'production'])
      expect(loadConfig({ NODE_ENV: nodeEnv }).rateLimits).toEqual({ comments: 5, registrations: 30 });
    // The app as api/main.ts builds it from the development config.
    const dev = await buildApp({ deps: h.deps, rateLimits: loadConfig({ NODE_ENV: 'development' }).rateLimits });
    try {
      for (const a of [app, dev]) {
        const addr = nextIp();
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++)
          statuses.push(
            (await post({ author: 'Pengirim', body: `Komentar berbeda nomor ${i} (${tag})` }, addr, a)).statusCode,
          );
        expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
        const refused = await post({ author: 'Pengirim', body: `Komentar ketujuh (${tag})` }, addr, a);
        expect([refused.statusCode, code(refused)]).toEqual([429, 'RATE_LIMITED']);
        expect((await comments()).filter((c) => c.body.includes('ketujuh')).length).toBe(0);
      }
    } finally {
      await dev.close();
    }
  });

  it('registrations: the 31st request in a minute from one address is 429 by default; API_RATE_LIMIT_MAX raises both limits explicitly', async () => {
    const addr = nextIp();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push(
        (
          await app.inject({
            method: 'POST',
            url: `/rounds/${roundId}/registrations`,
            remoteAddress: addr,
            payload: { ...registration(), fullName: '' },
          })
        ).statusCode,
      );
    expect(statuses.slice(0, 30).every((s) => s === 400)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(loadConfig({ API_RATE_LIMIT_MAX: '100000' }).rateLimits).toEqual({
      comments: 100_000,
      registrations: 100_000,
    });
    expect(loadConfig({ API_RATE_LIMIT_COMMENTS: '2' }).rateLimits).toEqual({ comments: 2, registrations: 30 });
    expect(() => loadConfig({ API_RATE_LIMIT_COMMENTS: 'banyak' })).toThrow(/API_RATE_LIMIT_COMMENTS/);
  });
});

describe('PlainText in the other free-text inputs', () => {
  it('a registration name or a round name with control characters is refused and nothing is stored', async () => {
    const before = await rowCounts(db, ['applications', 'rounds', 'audit_log']);
    const reg = await app.inject({
      method: 'POST',
      url: `/rounds/${roundId}/registrations`,
      remoteAddress: nextIp(),
      payload: { ...registration(), fullName: 'Siti\u0000Aminah' },
    });
    expect([reg.statusCode, code(reg)]).toEqual([400, 'VALIDATION_FAILED']);
    const mail = await app.inject({
      method: 'POST',
      url: `/rounds/${roundId}/registrations`,
      remoteAddress: nextIp(),
      payload: { ...registration(), email: 'siti\u0000@contoh.id' },
    });
    expect([mail.statusCode, code(mail)]).toEqual([400, 'VALIDATION_FAILED']);
    const round = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: users.hr.headers,
      payload: { ...sampleRound(`cc-${tag}`), name: 'Seleksi\u001b[2J 2026' },
    });
    expect([round.statusCode, code(round)]).toEqual([400, 'VALIDATION_FAILED']);
    const unit = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: users.hr.headers,
      payload: {
        ...sampleRound(`cc2-${tag}`),
        formations: sampleRound('x').formations.map((f) => ({ ...f, unit: 'Dinas\u0085Kesehatan' })),
      },
    });
    expect([unit.statusCode, code(unit)]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await rowCounts(db, ['applications', 'rounds', 'audit_log'])).toEqual(before);
  });
});
