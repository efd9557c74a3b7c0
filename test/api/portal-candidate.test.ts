import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { createAccount } from '../../db/accounts';
import { createSession } from '../../db/sessions';
import { startHarness, type Harness } from '../helpers/harness';
import { JPEG, nikFor, openRound } from '../helpers/candidates';
import { testApp } from '../helpers/api';
import { uniqueTaskQueue } from '../helpers/temporal';
import { readPdf } from '../helpers/pdf';

let env: TestWorkflowEnvironment;
let db: Db;
let h: Harness;
let app: FastifyInstance;
const taskQueue = uniqueTaskQueue('portal-cand');

beforeAll(async () => {
  h = await startHarness(taskQueue);
  ({ env, db } = h);
  app = await testApp(env, db, taskQueue, { max: 1000, timeWindow: 60_000 });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

/** A confirmed portal account and a logged-in browser: its session cookie and a CSRF pair read from a page. */
async function loggedIn(
  nik: string,
): Promise<{ cookie: string; csrf: (url: string) => Promise<{ token: string; cookie: string }> }> {
  const account = await db
    .transaction()
    .execute((trx) => createAccount(trx, { nik, email: `${nik}@contoh.id`, passwordHash: 'x' }));
  await db
    .updateTable('accounts')
    .set({ email_confirmed_at: new Date() })
    .where('account_id', '=', account.accountId)
    .execute();
  const { sessionId } = await createSession(db, account.userId, { ttlMs: 3_600_000 });
  const session = `asn_portal=${sessionId}`;
  return {
    cookie: session,
    csrf: async (url) => {
      const res = await app.inject({ method: 'GET', url, headers: { cookie: session } });
      if (res.statusCode !== 200)
        console.log(
          res.body
            .replace(/<[^>]+>/g, ' ')
            .replace(/\s+/g, ' ')
            .slice(0, 1500),
        );
      expect(res.statusCode).toBe(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(res.body)![1]!;
      const secret = String(res.headers['set-cookie']).match(/asn_csrf=([^;]+)/)?.[1];
      return { token, cookie: `${session}; asn_csrf=${secret}` };
    },
  };
}

describe('candidate pages (server side)', () => {
  it('registration form: inline checks by the API rules, registration, documents with the limits shown, upload, card', async () => {
    const config = await openRound(db, await env.currentTimeMs(), `pc-${Date.now().toString(36)}`);
    const nik = nikFor('1996-04-12', 'P');
    const me = await loggedIn(nik);
    const formUrl = `/portal/seleksi/${config.roundId}/formasi/DINKES-PERAWAT/daftar`;
    const { token, cookie } = await me.csrf(formUrl);
    const page = await app.inject({ method: 'GET', url: formUrl, headers: { cookie: me.cookie } });
    expect(page.body).toContain('<option value="Keperawatan"');
    expect(page.body).toContain(`value="${nik}"`);

    const check = async (fields: Record<string, string>) => {
      const r = await app.inject({
        method: 'POST',
        url: `${formUrl}/periksa`,
        headers: { cookie, 'x-csrf-token': token, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
      expect(r.statusCode, r.body).toBe(200);
      return r.json() as { errors: Record<string, string>; warnings: string[] };
    };
    const bad = await check({ nik: '1271', birthDate: '1980-01-01', program: 'Keperawatan', ipk: '5' });
    expect(bad.errors.nik).toContain('16 digit');
    expect(bad.errors.birthDate).toMatch(/Usia 45 tahun/);
    expect(bad.errors.ipk).toBeDefined();
    const good = {
      nik,
      fullName: 'Siti Aminah Lubis',
      birthDate: '1996-04-12',
      sex: 'P',
      email: 'siti@contoh.id',
      program: 'Keperawatan',
      ipk: '3,51',
    };
    expect((await check(good)).errors).toEqual({});
    expect((await check({ ...good, birthDate: '1996-04-13' })).warnings.join(' ')).toContain('Tanggal lahir dalam NIK');

    // Without the CSRF token the inline check is refused.
    const forged = await app.inject({
      method: 'POST',
      url: `${formUrl}/periksa`,
      headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'nik=1',
    });
    expect(forged.statusCode).toBe(403);

    const reg = await app.inject({
      method: 'POST',
      url: formUrl,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...good, _csrf: token, key: 'k-123456789' }).toString(),
    });
    expect(reg.statusCode, reg.body.slice(0, 500)).toBe(303);
    expect(reg.headers.location).toBe('/portal/pendaftaran/dokumen?info=terdaftar');
    const app1 = await db
      .selectFrom('applications')
      .select(['registration_no', 'education_program', 'ipk'])
      .where('nik', '=', nik)
      .executeTakeFirstOrThrow();
    expect([app1.education_program, app1.ipk]).toEqual(['Keperawatan', 351]);

    const docs = await app.inject({
      method: 'GET',
      url: '/portal/pendaftaran/dokumen',
      headers: { cookie: me.cookie },
    });
    expect(docs.statusCode, docs.body.slice(0, 300)).toBe(200);
    expect(docs.body).toContain('Berkas JPG/JPEG, paling besar 200 KB');
    expect(docs.body).toContain('Berkas PDF, paling besar 800 KB');
    expect(docs.body).toContain(app1.registration_no);

    const d = await me.csrf('/portal/pendaftaran/dokumen');
    const boundary = '----pc';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ktp.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      JPEG('ktp'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await app.inject({
      method: 'POST',
      url: '/portal/pendaftaran/dokumen/ktp',
      headers: {
        cookie: d.cookie,
        'x-csrf-token': d.token,
        accept: 'application/json',
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: body,
    });
    expect(up.statusCode, up.body).toBe(201);
    // Without the page's script: the plain form posts the token in its action's query, and is redirected back.
    const plain = (query: string) =>
      app.inject({
        method: 'POST',
        url: `/portal/pendaftaran/dokumen/ktp${query}`,
        headers: { cookie: d.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: body,
      });
    const noScript = await plain(`?_csrf=${encodeURIComponent(d.token)}`);
    expect([noScript.statusCode, noScript.headers.location], noScript.body.slice(0, 300)).toEqual([
      303,
      '/portal/pendaftaran/dokumen?info=dokumen-diunggah',
    ]);
    expect(docs.body).toContain(`?_csrf=`); // the page's form carries it there
    for (const forged of ['', '?_csrf=palsu']) expect((await plain(forged)).statusCode, forged).toBe(403);
    const wrong = await app.inject({
      method: 'POST',
      url: '/portal/pendaftaran/dokumen/ijazah',
      headers: {
        cookie: d.cookie,
        'x-csrf-token': d.token,
        accept: 'application/json',
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: body,
    });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.message).toContain('PDF');

    const card = await app.inject({
      method: 'GET',
      url: '/portal/pendaftaran/kartu.pdf',
      headers: { cookie: me.cookie },
    });
    expect(card.statusCode).toBe(200);
    expect((await readPdf(card.rawPayload)).qr).toBe(app1.registration_no);

    const status = await app.inject({ method: 'GET', url: '/portal/pendaftaran', headers: { cookie: me.cookie } });
    expect(status.statusCode, status.body.slice(0, 300)).toBe(200);
    expect(status.body).toContain('Batas mengirim dokumen');
    expect(status.body).toMatch(/WIB/);
    const sanggah = await app.inject({
      method: 'GET',
      url: '/portal/pendaftaran/sanggah',
      headers: { cookie: me.cookie },
    });
    expect(sanggah.body).toContain('Masa sanggah tidak sedang dibuka');
    expect(sanggah.body).not.toContain('<textarea');
    const drh = await app.inject({ method: 'GET', url: '/portal/pendaftaran/drh', headers: { cookie: me.cookie } });
    expect(drh.statusCode).toBe(200);
    expect(drh.body).toContain('Pengisian DRH dibuka bagi pelamar yang lulus');
  }, 120_000);
});
