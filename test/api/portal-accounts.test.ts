import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkRegistration } from '../../db/accounts';
import { createUser } from '../../db/users';
import { startHarness, type Harness } from '../helpers/harness';
import { nikFor, openRound, registerCandidate } from '../helpers/candidates';
import { testApp } from '../helpers/api';
import { FormClient } from '../helpers/form-client';
import { uniqueTaskQueue } from '../helpers/temporal';

let h: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  h = await startHarness(uniqueTaskQueue('portal-accounts'));
  app = await testApp(h.env, h.db, uniqueTaskQueue('portal-accounts-api'), { max: 1000, timeWindow: 60_000 });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

/** The visitor's browser: a cookie jar posting the portal's forms. */
class Browser extends FormClient {
  constructor() {
    super(app, '/portal/akun/masuk');
  }
}

interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
  dedupe_key: string;
}
async function mailsTo(to: string): Promise<Mail[]> {
  return (
    await sql<Mail>`select "to", subject, text, html, dedupe_key from mail_outbox where "to" = ${to} order by id`.execute(
      h.db,
    )
  ).rows;
}
const linkIn = (m: Mail, path: string): string => {
  const url = new RegExp(`https?://[^\\s]+(/portal${path}\\?token=[A-Za-z0-9_%-]+)`).exec(m.text)?.[1];
  if (!url) throw new Error(`no ${path} link in: ${m.text}`);
  return url;
};
const accountCount = async (): Promise<number> =>
  Number(
    (
      await h.db
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

let n = 0;
function newVisitor(): { nik: string; email: string; password: string } {
  n += 1;
  return {
    nik: nikFor('1998-04-12', 'P'),
    email: `Calon.${process.pid}.${n}.${Date.now().toString(36)}@contoh.id`,
    password: 'kata sandi yang panjang 1',
  };
}

async function signUpAndConfirm(b: Browser, v: { nik: string; email: string; password: string }): Promise<void> {
  const res = await b.submit('/portal/akun/daftar', '/portal/akun/daftar', {
    nik: v.nik,
    email: v.email,
    password: v.password,
    password2: v.password,
  });
  expect(res.statusCode, res.body).toBe(303);
  const [mail] = await mailsTo(v.email);
  const link = linkIn(mail!, '/akun/konfirmasi');
  expect(
    (await b.submit(link, '/portal/akun/konfirmasi', { token: decodeURIComponent(/token=([^&]+)/.exec(link)![1]!) }))
      .statusCode,
  ).toBe(303);
}

describe('candidate account: sign-up, confirmation, login, logout', () => {
  it('a visitor creates an account (argon2id hash), confirms it from the mail once, logs in (HttpOnly SameSite cookie) and out', async () => {
    const b = new Browser();
    const v = newVisitor();
    const signup = await b.submit('/portal/akun/daftar', '/portal/akun/daftar', {
      nik: v.nik,
      email: v.email,
      password: v.password,
      password2: v.password,
    });
    expect(signup.statusCode, signup.body).toBe(303);
    expect(signup.headers.location).toBe('/portal/akun/masuk?info=akun-dibuat');
    const row = await h.db.selectFrom('accounts').selectAll().where('nik', '=', v.nik).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(v.password);
    expect(row.email_confirmed_at).toBeNull();

    const mails = await mailsTo(v.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain('Konfirmasi');
    const link = linkIn(mails[0]!, '/akun/konfirmasi');
    const token = decodeURIComponent(/token=([^&]+)/.exec(link)![1]!);
    expect(
      await h.db.selectFrom('account_tokens').select('token_hash').where('token_hash', '=', token).executeTakeFirst(),
    ).toBeUndefined(); // only the hash is stored

    // Not confirmed yet: the login is refused with the reason.
    const early = await b.submit('/portal/akun/masuk', '/portal/akun/masuk', { email: v.email, password: v.password });
    expect(early.statusCode).toBe(403);
    expect(early.body).toContain('belum dikonfirmasi');
    expect(b.cookies.has('asn_portal')).toBe(false);

    // Opening the link consumes nothing (mail scanners open links); the button does, once.
    const shown = await b.get(link);
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('Konfirmasi e-mail');
    expect((await b.submit(link, '/portal/akun/konfirmasi', { token })).headers.location).toBe(
      '/portal/akun/masuk?info=terkonfirmasi',
    );
    const again = await b.submit('/portal/akun/masuk', '/portal/akun/konfirmasi', { token });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('tidak berlaku lagi');
    expect((await b.get(link)).statusCode).toBe(400);

    const wrong = await b.submit('/portal/akun/masuk', '/portal/akun/masuk', {
      email: v.email,
      password: 'salah salah salah',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('E-mail atau kata sandi salah');

    const login = await b.submit('/portal/akun/masuk', '/portal/akun/masuk', {
      email: v.email.toUpperCase(),
      password: v.password,
    });
    expect(login.statusCode, login.body).toBe(303);
    expect(login.headers.location).toBe('/portal/akun');
    const setCookie = [login.headers['set-cookie']].flat().find((c) => String(c).startsWith('asn_portal='))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\/portal/);
    const home = await b.get('/portal/akun');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(`${v.nik.slice(0, 4)}********${v.nik.slice(12)}`);
    expect(home.body).not.toContain(v.nik);
    expect(home.body).toContain('Belum mendaftar');

    const sid = b.cookies.get('asn_portal')!;
    const logout = await b.submit('/portal/akun', '/portal/akun/keluar', {});
    expect(logout.statusCode).toBe(303);
    expect(b.cookies.has('asn_portal')).toBe(false);
    // The old session id no longer logs anyone in.
    const replay = await app.inject({ url: '/portal/akun', headers: { cookie: `asn_portal=${sid}` } });
    expect(replay.statusCode).toBe(303);
    expect(replay.headers.location).toBe('/portal/akun/masuk?lanjut=%2Fportal%2Fakun');
  });

  it('bad input is shown on the form with the reasons, nothing stored', async () => {
    const b = new Browser();
    const before = await accountCount();
    const res = await b.submit('/portal/akun/daftar', '/portal/akun/daftar', {
      nik: '1271',
      email: 'bukan-email',
      password: 'pendek',
      password2: 'pendek',
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Periksa isian berikut');
    expect(res.body).toContain('16');
    expect(res.body).toContain('alamat e-mail yang benar');
    expect(res.body).toContain('Kata sandi paling sedikit 10 karakter');
    expect(res.body).toContain('aria-invalid="true"');
    expect(res.body).toContain('value="bukan-email"');
    const mismatch = await b.submit('/portal/akun/daftar', '/portal/akun/daftar', {
      nik: newVisitor().nik,
      email: 'a@contoh.id',
      password: 'kata sandi panjang',
      password2: 'kata sandi lain!!',
    });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.body).toContain('Ulangi kata sandi yang sama');
    expect(await accountCount()).toBe(before);
  });

  it('every form refuses a request without the CSRF token (an Indonesian 403 page)', async () => {
    const b = new Browser();
    const v = newVisitor();
    const before = await accountCount();
    for (const [page, action, fields] of [
      [
        '/portal/akun/daftar',
        '/portal/akun/daftar',
        { nik: v.nik, email: v.email, password: v.password, password2: v.password },
      ],
      ['/portal/akun/masuk', '/portal/akun/masuk', { email: v.email, password: v.password }],
      ['/portal/akun/lupa-sandi', '/portal/akun/lupa-sandi', { email: v.email }],
      ['/portal/akun/masuk', '/portal/akun/keluar', {}],
    ] as const) {
      for (const csrf of [null, 'palsu-palsu-palsu']) {
        const res = await b.submit(page, action, fields, { csrf });
        expect(res.statusCode, `${action} csrf=${csrf}`).toBe(403);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.body).toContain('Formulir ini sudah kedaluwarsa');
      }
    }
    // A token from another visitor's cookie does not pass either.
    const other = new Browser();
    const page = await other.get('/portal/akun/daftar');
    const foreign = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    expect(
      (
        await b.submit(
          '/portal/akun/daftar',
          '/portal/akun/daftar',
          { nik: v.nik, email: v.email, password: v.password, password2: v.password },
          { csrf: foreign },
        )
      ).statusCode,
    ).toBe(403);
    expect(await accountCount()).toBe(before);
    expect(await mailsTo(v.email)).toHaveLength(0);
  });

  it('a second sign-up with a NIK or e-mail already used answers the same, creates nothing and tells the owner', async () => {
    const v = newVisitor();
    await signUpAndConfirm(new Browser(), v);
    const before = await accountCount();
    const sameNik = await new Browser().submit('/portal/akun/daftar', '/portal/akun/daftar', {
      nik: v.nik,
      email: `lain.${v.email}`,
      password: v.password,
      password2: v.password,
    });
    expect(sameNik.statusCode).toBe(303);
    expect(sameNik.headers.location).toBe('/portal/akun/masuk?info=akun-dibuat');
    expect(await accountCount()).toBe(before);
    expect(await mailsTo(`lain.${v.email}`)).toHaveLength(0);
    const owner = await mailsTo(v.email);
    expect(owner.map((m) => m.subject).join('|')).toContain('Percobaan membuat akun');
  });
});

describe('confirmation link again, and cookies that are not sessions', () => {
  it('a new confirmation link replaces the old one; a confirmed or unknown address gets the same answer and no mail', async () => {
    const v = newVisitor();
    const b = new Browser();
    expect(
      (
        await b.submit('/portal/akun/daftar', '/portal/akun/daftar', {
          nik: v.nik,
          email: v.email,
          password: v.password,
          password2: v.password,
        })
      ).statusCode,
    ).toBe(303);
    const again = await b.submit('/portal/akun/konfirmasi/kirim-ulang', '/portal/akun/konfirmasi/kirim-ulang', {
      email: v.email,
    });
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe('/portal/akun/masuk?info=tautan-konfirmasi');
    const [oldLink, newLink] = (await mailsTo(v.email)).map((m) => linkIn(m, '/akun/konfirmasi'));
    expect((await b.get(oldLink!)).statusCode).toBe(400);
    expect((await b.get(newLink!)).statusCode).toBe(200);
    expect(
      (
        await b.submit(newLink!, '/portal/akun/konfirmasi', {
          token: decodeURIComponent(/token=([^&]+)/.exec(newLink!)![1]!),
        })
      ).statusCode,
    ).toBe(303);
    // Confirmed now: asking again sends nothing; an unknown address neither, with the same answer.
    const unknown = `tak.dikenal.${Date.now()}@contoh.id`;
    for (const email of [v.email, unknown]) {
      const res = await b.submit('/portal/akun/konfirmasi/kirim-ulang', '/portal/akun/konfirmasi/kirim-ulang', {
        email,
      });
      expect(res.headers.location).toBe('/portal/akun/masuk?info=tautan-konfirmasi');
    }
    expect(await mailsTo(v.email)).toHaveLength(2);
    expect(await mailsTo(unknown)).toHaveLength(0);
  });

  it('a forged, malformed or foreign session cookie is nobody; a bearer token is not a portal login', async () => {
    for (const cookie of [
      'asn_portal=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'asn_portal=%27%20or%201%3D1',
      `asn_portal=${'x'.repeat(5000)}`,
      'asn_codec=abc',
    ]) {
      const res = await app.inject({ url: '/portal/akun', headers: { cookie } });
      expect(res.statusCode, cookie.slice(0, 40)).toBe(303);
      expect(res.headers.location).toContain('/portal/akun/masuk');
    }
    const { token } = await createUser(h.db, { username: `hr.portal.${Date.now()}`, displayName: 'HR', role: 'hr' });
    const staff = await app.inject({ url: '/portal/akun', headers: { authorization: `Bearer ${token}` } });
    expect(staff.statusCode).toBe(303); // the portal's account pages are for candidates
  });
});

describe('a NIK someone else signed up with', () => {
  it("an account never confirmed within the link's lifetime no longer blocks the NIK's owner; a recent one does", async () => {
    const nik = newVisitor().nik;
    const squatter = `squat.${Date.now()}@contoh.id`;
    const owner = `pemilik.${Date.now()}@contoh.id`;
    const signUp = (email: string) =>
      new Browser().submit('/portal/akun/daftar', '/portal/akun/daftar', {
        nik,
        email,
        password: 'kata sandi panjang sekali',
        password2: 'kata sandi panjang sekali',
      });
    await signUp(squatter);
    await signUp(owner); // recent: the squatter's account stands, the owner of that account is told
    expect(
      (await h.db.selectFrom('accounts').select('email').where('nik', '=', nik).execute()).map((r) => r.email),
    ).toEqual([squatter]);
    await h.db
      .updateTable('accounts')
      .set({ created_at: new Date(Date.now() - 49 * 3_600_000) })
      .where('nik', '=', nik)
      .execute();
    await signUp(owner);
    expect(
      (await h.db.selectFrom('accounts').select('email').where('nik', '=', nik).execute()).map((r) => r.email),
    ).toEqual([owner]);
    expect((await mailsTo(owner)).map((m) => m.subject).join('|')).toContain('Konfirmasi');
  });
});

describe('password reset by an e-mailed one-time link', () => {
  it('the link sets a new password once, ends every session, and the old password stops working', async () => {
    const v = newVisitor();
    const b = new Browser();
    await signUpAndConfirm(b, v);
    const other = new Browser(); // logged in elsewhere
    expect(
      (await other.submit('/portal/akun/masuk', '/portal/akun/masuk', { email: v.email, password: v.password }))
        .statusCode,
    ).toBe(303);
    expect((await other.get('/portal/akun')).statusCode).toBe(200);

    const req = await b.submit('/portal/akun/lupa-sandi', '/portal/akun/lupa-sandi', { email: v.email });
    expect(req.statusCode).toBe(303);
    expect(req.headers.location).toBe('/portal/akun/masuk?info=tautan-terkirim');
    const mail = (await mailsTo(v.email)).find((m) => m.subject.includes('Atur ulang'))!;
    const link = linkIn(mail, '/akun/atur-ulang');
    const token = decodeURIComponent(/token=([^&]+)/.exec(link)![1]!);

    const form = await b.get(link);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Kata sandi baru');
    const mismatch = await b.submit(link, '/portal/akun/atur-ulang', {
      token,
      password: 'sandi baru yang panjang',
      password2: 'berbeda sekali ya',
    });
    expect(mismatch.statusCode).toBe(422);
    const newPassword = 'sandi baru yang panjang';
    const done = await b.submit(link, '/portal/akun/atur-ulang', {
      token,
      password: newPassword,
      password2: newPassword,
    });
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe('/portal/akun/masuk?info=sandi-diubah');

    expect(
      (
        await b.submit(link, '/portal/akun/atur-ulang', {
          token,
          password: 'lagi lagi lagi lagi',
          password2: 'lagi lagi lagi lagi',
        })
      ).statusCode,
    ).toBe(400);
    expect((await b.get(link)).statusCode).toBe(400);
    expect((await other.get('/portal/akun')).statusCode).toBe(303); // the other session ended
    expect(
      (await b.submit('/portal/akun/masuk', '/portal/akun/masuk', { email: v.email, password: v.password })).statusCode,
    ).toBe(401);
    expect(
      (await b.submit('/portal/akun/masuk', '/portal/akun/masuk', { email: v.email, password: newPassword }))
        .statusCode,
    ).toBe(303);
  });

  it('an unknown address gets the same answer and no mail; an expired or superseded link does not work', async () => {
    const unknown = `tidak.ada.${Date.now()}@contoh.id`;
    const res = await new Browser().submit('/portal/akun/lupa-sandi', '/portal/akun/lupa-sandi', { email: unknown });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/portal/akun/masuk?info=tautan-terkirim');
    expect(await mailsTo(unknown)).toHaveLength(0);

    const v = newVisitor();
    const b = new Browser();
    await signUpAndConfirm(b, v);
    await b.submit('/portal/akun/lupa-sandi', '/portal/akun/lupa-sandi', { email: v.email });
    await b.submit('/portal/akun/lupa-sandi', '/portal/akun/lupa-sandi', { email: v.email });
    const [first, second] = (await mailsTo(v.email))
      .filter((m) => m.subject.includes('Atur ulang'))
      .map((m) => linkIn(m, '/akun/atur-ulang'));
    expect((await b.get(first!)).statusCode).toBe(400); // superseded by the newer link
    expect((await b.get(second!)).statusCode).toBe(200);
    await h.db
      .updateTable('account_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('purpose', '=', 'reset')
      .where('used_at', 'is', null)
      .execute();
    const token = decodeURIComponent(/token=([^&]+)/.exec(second!)![1]!);
    const expired = await b.submit(second!.replace(/\?.*/, ''), '/portal/akun/atur-ulang', {
      token,
      password: 'sandi baru yang panjang',
      password2: 'sandi baru yang panjang',
    });
    expect(expired.statusCode).toBe(400);
    expect(expired.body).toContain('tidak berlaku lagi');
  });
});

describe('an account and its registration', () => {
  it("after linkRegistration the same session resolves to the registration's user (registrationNo shown)", async () => {
    const roundId = `portal-acc-${Date.now()}`;
    await openRound(h.db, Date.now(), roundId);
    const v = newVisitor();
    const b = new Browser();
    await signUpAndConfirm(b, v);
    expect(
      (await b.submit('/portal/akun/masuk', '/portal/akun/masuk', { email: v.email, password: v.password })).statusCode,
    ).toBe(303);
    const { registrationNo } = await registerCandidate(h.deps, roundId, {
      nik: v.nik,
      birthDate: '1998-04-12',
      sex: 'P',
    });
    const account = await h.db
      .selectFrom('accounts')
      .select('account_id')
      .where('nik', '=', v.nik)
      .executeTakeFirstOrThrow();
    await h.db.transaction().execute((trx) => linkRegistration(trx, String(account.account_id), registrationNo));
    const home = await b.get('/portal/akun');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(registrationNo);
    for (const path of [
      '/portal/pendaftaran',
      '/portal/pendaftaran/dokumen',
      '/portal/pendaftaran/kartu.pdf',
      '/portal/pendaftaran/sanggah',
      '/portal/pendaftaran/drh',
    ])
      expect(home.body).toContain(`href="${path}"`);
    expect((await b.get('/portal/pendaftaran')).statusCode).toBe(200); // the candidate's own status page, through the same session
    // Another NIK's registration cannot be linked.
    const other = await registerCandidate(h.deps, roundId);
    await expect(
      h.db.transaction().execute((trx) => linkRegistration(trx, String(account.account_id), other.registrationNo)),
    ).rejects.toThrow(/not the account's NIK/);
  });
});

describe('cookies in production, and limits', () => {
  it('in production the session and CSRF cookies are Secure', async () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    let prod: FastifyInstance | undefined;
    try {
      prod = await testApp(h.env, h.db, uniqueTaskQueue('portal-accounts-prod'), { max: 1000, timeWindow: 60_000 });
    } finally {
      process.env.NODE_ENV = saved;
    }
    try {
      const v = newVisitor();
      await signUpAndConfirm(new Browser(), v);
      const page = await prod.inject({ url: '/portal/akun/masuk' });
      const csrfCookie = [page.headers['set-cookie']].flat().find((c) => String(c).startsWith('asn_csrf='))!;
      expect(csrfCookie).toMatch(/;\s*Secure/i);
      expect(csrfCookie).toMatch(/HttpOnly/i);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const login = await prod.inject({
        method: 'POST',
        url: '/portal/akun/masuk',
        headers: { cookie: String(csrfCookie).split(';')[0]!, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, email: v.email, password: v.password }).toString(),
      });
      expect(login.statusCode, login.body).toBe(303);
      const session = [login.headers['set-cookie']].flat().find((c) => String(c).startsWith('asn_portal='))!;
      expect(session).toMatch(/;\s*Secure/i);
      expect(session).toMatch(/HttpOnly/i);
      expect(session).toMatch(/SameSite=Lax/i);
    } finally {
      await prod.close();
    }
  });

  it('the login form is rate limited per client; the refusal is an Indonesian page', async () => {
    const limited = await testApp(h.env, h.db, uniqueTaskQueue('portal-accounts-limit'), {
      max: 3,
      timeWindow: 60_000,
    });
    try {
      const page = await limited.inject({ url: '/portal/akun/masuk' });
      const cookie = String([page.headers['set-cookie']].flat().find((c) => String(c).startsWith('asn_csrf='))).split(
        ';',
      )[0]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const statuses: number[] = [];
      let last: LightMyRequestResponse | undefined;
      for (let i = 0; i < 5; i++) {
        last = await limited.inject({
          method: 'POST',
          url: '/portal/akun/masuk',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            _csrf: csrf,
            email: 'siapa@contoh.id',
            password: 'tebak tebak tebak',
          }).toString(),
        });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect(last!.headers['content-type']).toMatch(/^text\/html/);
      expect(last!.body).toContain('Terlalu banyak permintaan');
    } finally {
      await limited.close();
    }
  });
});
