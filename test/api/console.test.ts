import { execFile } from 'node:child_process';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { submitDocuments } from '../../api/services/documents';
import { hashPassword } from '../../db/accounts';
import { createSession } from '../../db/sessions';
import { setStaffPassword } from '../../db/staff';
import { createUser, type Role } from '../../db/users';
import type { RoundConfig } from '../../domain';
import { openRound, PERAWAT_DOCS, registerCandidate, reviewers, uploadAll } from '../helpers/candidates';
import { testApp } from '../helpers/api';
import { FormClient } from '../helpers/form-client';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * The staff console on the server (inject): sign-in, the initial password, roles checked on every
 * page, HR's user page, the document endpoint's access and headers, the decision form's checks and
 * the move to the next task. The browser journey is test/e2e/console-review.test.ts.
 */
let h: Harness;
let app: FastifyInstance;
const PASSWORD = 'sandi-awal-panjang-1';

beforeAll(async () => {
  h = await startHarness(uniqueTaskQueue('console'));
  app = await testApp(h.env, h.db, uniqueTaskQueue('console-api'), { max: 10_000, timeWindow: 60_000 });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

/** A staff member's browser: a cookie jar posting the console's forms. */
class Browser extends FormClient {
  constructor() {
    super(app, '/portal/konsol/masuk');
  }
  async login(username: string, password: string): Promise<LightMyRequestResponse> {
    return this.submit('/portal/konsol/masuk', '/portal/konsol/masuk', { username, password, next: '/portal/konsol' });
  }
}

let n = 0;
async function staffUser(
  role: Role,
  opts: { initial?: boolean; username?: string } = {},
): Promise<{ username: string; userId: string }> {
  n += 1;
  const username = opts.username ?? `konsol-${role}-${process.pid}-${n}-${Date.now().toString(36)}`;
  const { user } = await createUser(h.db, { username, displayName: `Petugas ${n}`, role });
  await setStaffPassword(h.db, user.userId, await hashPassword(PASSWORD), { initial: opts.initial ?? false });
  return { username, userId: user.userId };
}
async function signedIn(role: Role, opts: { username?: string } = {}): Promise<Browser & { username: string }> {
  const u = opts.username ? { username: opts.username } : await staffUser(role);
  const b = new Browser();
  const res = await b.login(u.username, PASSWORD);
  expect(res.statusCode, res.body).toBe(303);
  return Object.assign(b, { username: u.username });
}

describe('staff sign-in', () => {
  it('a wrong password or an unknown name: 401 and the same message; a right one: a session, then the console', async () => {
    const u = await staffUser('auditor');
    const b = new Browser();
    for (const [name, pw] of [
      [u.username, 'salah-salah-salah'],
      ['tidak-ada-orangnya', PASSWORD],
    ] as const) {
      const res = await b.login(name, pw);
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('Nama pengguna atau kata sandi salah');
      expect(b.cookies.has('asn_portal')).toBe(false);
    }
    const ok = await b.login(u.username, PASSWORD);
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/portal/konsol');
    const set = [ok.headers['set-cookie']].flat().find((c) => String(c).startsWith('asn_portal='))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/Path=\/portal/);
    const home = await b.get('/portal/konsol');
    expect(home.statusCode, home.body).toBe(200);
    expect(home.body).toContain('Auditor');
    const out = await b.submit('/portal/konsol', '/portal/konsol/keluar', {});
    expect(out.headers.location).toBe('/portal/konsol/masuk?info=keluar');
    expect((await b.get('/portal/konsol')).headers.location).toMatch(/^\/portal\/konsol\/masuk\?lanjut=/);
  });

  it('an initial password must be changed first: every console page sends there until it is', async () => {
    const u = await staffUser('reviewer', { initial: true });
    const b = new Browser();
    expect((await b.login(u.username, PASSWORD)).headers.location).toBe('/portal/konsol/sandi?info=ganti-sandi-awal');
    expect((await b.get('/portal/konsol/tugas')).headers.location).toBe('/portal/konsol/sandi?info=ganti-sandi-awal');
    const same = await b.submit('/portal/konsol/sandi', '/portal/konsol/sandi', {
      current: PASSWORD,
      password: PASSWORD,
      password2: PASSWORD,
    });
    expect(same.statusCode).toBe(422);
    const changed = await b.submit('/portal/konsol/sandi', '/portal/konsol/sandi', {
      current: PASSWORD,
      password: 'sandi-baru-milik-sendiri',
      password2: 'sandi-baru-milik-sendiri',
    });
    expect(changed.statusCode, changed.body).toBe(303);
    expect((await b.get('/portal/konsol/tugas')).statusCode).toBe(200);
    const again = new Browser();
    expect((await again.login(u.username, PASSWORD)).statusCode).toBe(401);
    expect((await again.login(u.username, 'sandi-baru-milik-sendiri')).headers.location).toBe('/portal/konsol');
  });

  it('candidates cannot sign in here; a candidate session gets the console login, not a console page', async () => {
    const { user } = await createUser(h.db, {
      username: `konsol-cand-${Date.now().toString(36)}`,
      displayName: 'Pelamar',
      role: 'candidate',
    });
    await h.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(PASSWORD) })
      .where('user_id', '=', user.userId)
      .execute();
    expect((await new Browser().login(user.username, PASSWORD)).statusCode).toBe(401);
    const { sessionId } = await createSession(h.db, user.userId, { ttlMs: 60_000 });
    const res = await app.inject({ url: '/portal/konsol/tugas', headers: { cookie: `asn_portal=${sessionId}` } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/portal\/konsol\/masuk/);
  });
});

describe('npm run user:create --password', () => {
  it('sets an initial console password (to be changed at the first sign-in); refused for candidates and short ones', async () => {
    const run = (args: string[], input?: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', 'scripts/user-create.ts', ...args],
          { env: { ...process.env, DATABASE_URL: inject('databaseUrl') }, timeout: 120_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end(input ?? '');
      });
    const username = `konsol-cli-${Date.now().toString(36)}`;
    const made = await run(['--role', 'reviewer', '--username', username, '--password', PASSWORD]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('initial console password set');
    const b = new Browser();
    expect((await b.login(username, PASSWORD)).headers.location).toBe('/portal/konsol/sandi?info=ganti-sandi-awal');
    const viaStdin = await run(
      ['--role', 'reviewer', '--username', username, '--password-stdin'],
      'dari-stdin-panjang-sekali\n',
    );
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect((await new Browser().login(username, 'dari-stdin-panjang-sekali')).statusCode).toBe(303);
    const short = await run(['--role', 'auditor', '--username', `${username}-x`, '--password', 'pendek']);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('characters');
    const cand = await run(['--role', 'candidate', '--username', `${username}-c`, '--password', PASSWORD]);
    expect(cand.code).toBe(1);
    expect(
      await h.db
        .selectFrom('users')
        .select('user_id')
        .where('username', 'in', [`${username}-x`, `${username}-c`])
        .execute(),
    ).toEqual([]);
  }, 240_000);
});

describe("HR's user page", () => {
  it('only HR; creates a user with an initial password, refuses a taken name, disables (sessions end) and enables', async () => {
    const reviewer = await signedIn('reviewer');
    expect((await reviewer.get('/portal/konsol/pengguna')).statusCode).toBe(403);
    expect(
      (
        await reviewer.submit('/portal/konsol', '/portal/konsol/pengguna', {
          username: 'penyusup',
          displayName: 'X',
          role: 'hr',
          password: PASSWORD,
          password2: PASSWORD,
        })
      ).statusCode,
    ).toBe(403);
    expect(
      await h.db.selectFrom('users').select('user_id').where('username', '=', 'penyusup').executeTakeFirst(),
    ).toBeUndefined();

    const hr = await signedIn('hr');
    const username = `konsol-baru-${Date.now().toString(36)}`;
    const bad = await hr.submit('/portal/konsol/pengguna', '/portal/konsol/pengguna', {
      username: 'A!',
      displayName: '',
      role: 'candidate',
      password: 'pendek',
      password2: 'pendek',
    });
    expect(bad.statusCode).toBe(422);
    for (const text of ['Nama pengguna 3–64 karakter', 'Tulis nama lengkap petugas', 'Pilih peran', 'paling sedikit'])
      expect(bad.body).toContain(text);
    const made = await hr.submit('/portal/konsol/pengguna', '/portal/konsol/pengguna', {
      username,
      displayName: 'Verifikator Baru',
      role: 'reviewer',
      password: PASSWORD,
      password2: PASSWORD,
    });
    expect(made.headers.location).toBe('/portal/konsol/pengguna?info=pengguna-dibuat');
    const row = await h.db
      .selectFrom('users')
      .select(['user_id', 'role', 'password_must_change'])
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'reviewer', password_must_change: true });
    const dup = await hr.submit('/portal/konsol/pengguna', '/portal/konsol/pengguna', {
      username,
      displayName: 'Lagi',
      role: 'auditor',
      password: PASSWORD,
      password2: PASSWORD,
    });
    expect(dup.statusCode).toBe(422);
    expect(dup.body).toContain('sudah dipakai');

    const them = new Browser();
    expect((await them.login(username, PASSWORD)).statusCode).toBe(303);
    await hr.submit('/portal/konsol/pengguna', `/portal/konsol/pengguna/${row.user_id}/status`, {
      action: 'nonaktifkan',
    });
    expect((await them.get('/portal/konsol/sandi')).statusCode).toBe(303); // the session ended
    expect((await new Browser().login(username, PASSWORD)).statusCode).toBe(401);
    await hr.submit('/portal/konsol/pengguna', `/portal/konsol/pengguna/${row.user_id}/status`, { action: 'aktifkan' });
    expect((await new Browser().login(username, PASSWORD)).statusCode).toBe(303);
  });
});

describe('the workbench and the document endpoint', () => {
  let config: RoundConfig;
  let pool: string[];
  const regs: string[] = [];
  beforeAll(async () => {
    pool = await reviewers(h.db, 1);
    for (const u of pool) {
      const row = await h.db.selectFrom('users').select('user_id').where('username', '=', u).executeTakeFirstOrThrow();
      await setStaffPassword(h.db, String(row.user_id), await hashPassword(PASSWORD), { initial: false });
    }
    config = await openRound(h.db, await h.env.currentTimeMs(), `konsol-${process.pid}-${Date.now().toString(36)}`);
    await h.db
      .insertInto('round_reviewers')
      .values(pool.map((username) => ({ round_id: config.roundId, username })))
      .execute();
    for (let k = 0; k < 2; k++) {
      const { registrationNo } = await registerCandidate(h.deps, config.roundId);
      await submitDocuments(h.deps, registrationNo, await uploadAll(h.deps, registrationNo, PERAWAT_DOCS));
      regs.push(registrationNo);
    }
    const ms = Date.parse(config.schedule.registrationCloses) + 60_000 - (await h.env.currentTimeMs());
    if (ms > 0) await h.env.sleep(ms);
    for (
      let waited = 0;
      (
        await h.db
          .selectFrom('tasks')
          .select('task_id')
          .where('round_id', '=', config.roundId)
          .where('status', '=', 'open')
          .execute()
      ).length < 2;
      waited += 250
    ) {
      if (waited > 60_000) throw new Error('the two verification tasks were not assigned');
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  const docOf = async (registrationNo: string, kind: string): Promise<string> =>
    String(
      (
        await h.db
          .selectFrom('documents')
          .select('document_id')
          .where('registration_no', '=', registrationNo)
          .where('kind', '=', kind)
          .executeTakeFirstOrThrow()
      ).document_id,
    );

  it('documents: the assigned reviewer, HR and auditors get the bytes inline, no-store, nosniff; others are refused', async () => {
    const id = await docOf(regs[0]!, 'ijazah');
    const stored = await h.db
      .selectFrom('documents')
      .innerJoin('document_blobs', 'document_blobs.sha256', 'documents.sha256')
      .select('document_blobs.content')
      .where('document_id', '=', id)
      .executeTakeFirstOrThrow();
    for (const b of [
      await signedIn('reviewer', { username: pool[0] }),
      await signedIn('hr'),
      await signedIn('auditor'),
    ]) {
      const res = await b.get(`/portal/konsol/dokumen/${id}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-disposition']).toMatch(/^inline; filename="ijazah-/);
      expect(res.rawPayload.equals(stored.content)).toBe(true);
    }
    const photo = await (await signedIn('hr')).get(`/portal/konsol/dokumen/${await docOf(regs[0]!, 'ktp')}`);
    expect(photo.headers['content-type']).toBe('image/jpeg');
    expect((await (await signedIn('reviewer')).get(`/portal/konsol/dokumen/${id}`)).statusCode).toBe(403); // not assigned
    expect((await (await signedIn('supervisor')).get(`/portal/konsol/dokumen/${id}`)).statusCode).toBe(403);
    const anon = await app.inject({ url: `/portal/konsol/dokumen/${id}` });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toMatch(/^\/portal\/konsol\/masuk/);
    expect((await (await signedIn('hr')).get('/portal/konsol/dokumen/999999999999')).statusCode).toBe(404);
    expect((await (await signedIn('hr')).get('/portal/konsol/dokumen/abc')).statusCode).toBe(404);
  });

  it('the inbox counts the tasks; TMS without a reason is refused; a decision moves on to the next open task', async () => {
    const b = await signedIn('reviewer', { username: pool[0] });
    const inbox = await b.get('/portal/konsol/tugas');
    expect(inbox.statusCode).toBe(200);
    expect(inbox.body.replace(/\s+/g, ' ')).toContain('<strong>2</strong> terbuka');
    expect(inbox.body).toContain('WIB');
    const tasks = await h.db
      .selectFrom('tasks')
      .select('task_id')
      .where('round_id', '=', config.roundId)
      .where('status', '=', 'open')
      .orderBy('due_at')
      .orderBy('task_id')
      .execute();
    const [t1, t2] = tasks.map((t) => t.task_id) as [string, string];
    const page = await b.get(`/portal/konsol/tugas/${encodeURIComponent(t1)}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('accesskey="n"');
    expect(page.body).toContain(`/portal/konsol/tugas/${encodeURIComponent(t2)}`);
    expect(page.body).toContain('Dokumen bukan milik pelamar');
    expect(page.body).toMatch(/<iframe src="\/portal\/konsol\/dokumen\/\d+"/);
    const url = `/portal/konsol/tugas/${encodeURIComponent(t1)}`;
    const fields = Object.fromEntries(PERAWAT_DOCS.map((k) => [`result_${k}`, k === 'str' ? 'TMS' : 'MS']));
    const missing = await b.submit(url, url, fields);
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('Pilih alasan TMS untuk str');
    const forged = await b.submit(url, url, { ...fields, reason_str: 'alasan buatan sendiri' });
    expect(forged.statusCode).toBe(422);
    // Another reviewer may not decide it (the service's check).
    const other = await signedIn('reviewer');
    expect(
      (await other.submit('/portal/konsol', url, { ...fields, reason_str: 'Dokumen sudah tidak berlaku' })).statusCode,
    ).toBe(403);
    const done = await b.submit(url, url, {
      ...fields,
      reason_str: 'Dokumen sudah tidak berlaku',
      note_str: 'berlaku sampai 2020',
    });
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe(`/portal/konsol/tugas/${encodeURIComponent(t2)}?info=keputusan-tersimpan`);
    const v = await h.db
      .selectFrom('verifications')
      .select(['result', 'decisions'])
      .where(
        'registration_no',
        '=',
        regs.find((r) => t1.startsWith(r))!,
      )
      .executeTakeFirstOrThrow();
    expect(v.result).toBe('TMS');
    expect((v.decisions as { kind: string; reason?: string }[]).find((d) => d.kind === 'str')?.reason).toBe(
      'Dokumen sudah tidak berlaku — berlaku sampai 2020',
    );
    // The same form again (a double submit): the first outcome, no second decision.
    expect(
      (
        await b.submit(url, url, {
          ...fields,
          reason_str: 'Dokumen sudah tidak berlaku',
          note_str: 'berlaku sampai 2020',
        })
      ).statusCode,
    ).toBe(303);
    const last = await b.submit(
      `/portal/konsol/tugas/${encodeURIComponent(t2)}`,
      `/portal/konsol/tugas/${encodeURIComponent(t2)}`,
      Object.fromEntries(PERAWAT_DOCS.map((k) => [`result_${k}`, 'MS'])),
    );
    expect(last.headers.location).toBe('/portal/konsol/tugas?info=keputusan-tersimpan-habis');
  });
});
