import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/accounts';
import { setStaffPassword } from '../../db/staff';
import { createUser, type Role } from '../../db/users';
import { testApp, testUsers } from '../helpers/api';
import { openRound } from '../helpers/candidates';
import { FormClient } from '../helpers/form-client';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * HR's moderation of the public consultation (issue 18) over the JSON API and the console forms:
 * every comment with its moderation and the counts of each filter, hide (a standard reason and
 * HR's words; the comment stays stored), restore, an official response shown under the comment,
 * each action in the round's audit chain; the public list and page leave hidden comments out and
 * show the responses. HR only; stable codes for what does not apply.
 */
let h: Harness;
let app: FastifyInstance;
let users: Awaited<ReturnType<typeof testUsers>>;
const roundId = `moderasi-${process.pid}-${Date.now().toString(36)}`;
const otherRound = `${roundId}-lain`;
const ids: string[] = [];
let otherId = '';

async function comment(round: string, author: string, body: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/rounds/${round}/comments`, payload: { author, body } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().commentId as string;
}

beforeAll(async () => {
  const taskQueue = uniqueTaskQueue('moderation');
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue, { max: 10_000, timeWindow: 60_000 });
  users = await testUsers(h.db);
  for (const r of [roundId, otherRound]) {
    await openRound(h.db, Date.now(), r);
    await h.db.updateTable('rounds').set({ phase: 'consultation' }).where('round_id', '=', r).execute();
  }
  ids.push(await comment(roundId, 'Andi', 'Nomor HP saya 0812-0000-0000, hubungi saya untuk titipan.'));
  ids.push(await comment(roundId, 'Budi', 'Mohon bobot wawancara untuk perawat tidak melebihi 30 persen.'));
  ids.push(await comment(roundId, 'Citra', 'Jadwal SKD sebaiknya tidak bertepatan dengan hari libur.'));
  otherId = await comment(otherRound, 'Dewi', 'Komentar pada seleksi yang lain, bukan seleksi ini.');
}, 180_000);
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const list = (query = '', headers = users.hr.headers) =>
  app.inject({ url: `/rounds/${roundId}/moderation/comments${query}`, headers });
const act = (id: string, what: 'hide' | 'restore', payload: unknown, headers = users.hr.headers) =>
  app.inject({ method: 'POST', url: `/rounds/${roundId}/comments/${id}/${what}`, headers, payload: payload as object });
const respond = (id: string, body: string, round = roundId) =>
  app.inject({
    method: 'PUT',
    url: `/rounds/${round}/comments/${id}/response`,
    headers: users.hr.headers,
    payload: { body },
  });
const publicBodies = async () =>
  ((await app.inject({ url: `/rounds/${roundId}/comments` })).json().items as { body: string }[]).map((c) => c.body);
const moderationAudit = () =>
  h.db
    .selectFrom('audit_log')
    .select(['action', 'actor', 'reason', 'payload', 'idempotency_key'])
    .where('chain', '=', `round:${roundId}`)
    .where('action', 'like', 'comment.%')
    .orderBy('seq')
    .execute();

describe('consultation moderation (JSON)', () => {
  it('HR only: no token → 401, other roles → 403, nothing changed', async () => {
    expect((await list('', {} as never)).statusCode).toBe(401);
    for (const role of ['reviewer', 'supervisor', 'auditor', 'candidate'] as const) {
      expect((await list('', users[role].headers)).statusCode, role).toBe(403);
      const res = await act(ids[0]!, 'hide', { reasonCode: 'spam', reason: 'Bukan SDM' }, users[role].headers);
      expect(res.statusCode, role).toBe(403);
    }
    expect(await moderationAudit()).toEqual([]);
  });

  it('lists every comment with its moderation and the counts, paginated', async () => {
    const res = await list('?pageSize=2');
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(b.counts).toEqual({ all: 3, visible: 3, hidden: 0, responded: 0, unanswered: 3 });
    expect(b.items.map((c: { commentId: string }) => c.commentId)).toEqual(ids.slice(0, 2));
    expect(b.items[0]).toMatchObject({ author: 'Andi', hidden: null, responseBy: null });
    const second = (await list('?pageSize=2&page=2')).json();
    expect(second.items.map((c: { commentId: string }) => c.commentId)).toEqual([ids[2]]);
    expect((await list('?status=semua')).statusCode).toBe(400);
  });

  it('hide: a reason from the list and HR’s words are required; hidden once; kept and audited', async () => {
    const bad = await act(ids[0]!, 'hide', { reasonCode: 'jelek', reason: 'Memuat nomor telepon' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    expect((await act(ids[0]!, 'hide', { reasonCode: 'personal_data' })).statusCode).toBe(400);
    expect((await act(ids[0]!, 'hide', { reasonCode: 'personal_data', reason: 'abc' })).statusCode).toBe(400);

    const res = await act(ids[0]!, 'hide', { reasonCode: 'personal_data', reason: 'Memuat nomor telepon pribadi' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      commentId: ids[0],
      body: 'Nomor HP saya 0812-0000-0000, hubungi saya untuk titipan.',
      hidden: { by: users.hr.username, reasonCode: 'personal_data', reason: 'Memuat nomor telepon pribadi' },
    });
    expect(Date.parse(res.json().hidden.at)).toBeGreaterThan(Date.now() - 60_000);
    const again = await act(ids[0]!, 'hide', { reasonCode: 'spam', reason: 'Sekali lagi' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('COMMENT_ALREADY_HIDDEN');

    // Gone from the public list and page, still stored and counted for HR.
    expect(await publicBodies()).not.toContain('Nomor HP saya 0812-0000-0000, hubungi saya untuk titipan.');
    expect((await app.inject({ url: `/rounds/${roundId}/comments` })).json().total).toBe(2);
    const page = await app.inject({ url: `/portal/seleksi/${roundId}/konsultasi` });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('0812-0000-0000');
    expect(page.body).toContain('Jadwal SKD sebaiknya');
    const hidden = (await list('?status=hidden')).json();
    expect(hidden.items.map((c: { commentId: string }) => c.commentId)).toEqual([ids[0]]);
    expect(hidden.counts).toMatchObject({ all: 3, visible: 2, hidden: 1 });
    expect(await moderationAudit()).toEqual([
      {
        action: 'comment.hidden',
        actor: users.hr.username,
        reason: 'Memuat nomor telepon pribadi',
        payload: { commentId: ids[0], reasonCode: 'personal_data' },
        idempotency_key: `comment:${ids[0]}:1`,
      },
    ]);
  });

  it('response: shown under the comment on the public page; refused on a hidden comment; replaced by a new one', async () => {
    const onHidden = await respond(ids[0]!, 'Terima kasih atas masukannya.');
    expect(onHidden.statusCode).toBe(409);
    expect(onHidden.json().error.code).toBe('COMMENT_HIDDEN');
    expect((await respond(ids[1]!, 'pendek')).statusCode).toBe(400);
    const first = await respond(ids[1]!, 'Terima kasih, usulan ini kami pertimbangkan.');
    expect(first.statusCode, first.body).toBe(200);
    const res = await respond(ids[1]!, 'Terima kasih. Bobot wawancara perawat ditetapkan 20 persen.');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      responseBy: users.hr.username,
      response: { body: 'Terima kasih. Bobot wawancara perawat ditetapkan 20 persen.' },
    });
    const pub = (await app.inject({ url: `/rounds/${roundId}/comments` })).json().items as {
      commentId: string;
      response?: { body: string };
    }[];
    expect(pub.find((c) => c.commentId === ids[1])!.response!.body).toBe(
      'Terima kasih. Bobot wawancara perawat ditetapkan 20 persen.',
    );
    expect(pub.find((c) => c.commentId === ids[2])!.response).toBeUndefined();
    const page = (await app.inject({ url: `/portal/seleksi/${roundId}/konsultasi` })).body;
    const under = page.slice(page.indexOf('Mohon bobot wawancara'));
    expect(under.slice(0, 600)).toContain('Tanggapan resmi BKPSDM');
    expect(under.slice(0, 600)).toContain('Bobot wawancara perawat ditetapkan 20 persen.');
    expect(page).not.toContain('usulan ini kami pertimbangkan');
    expect((await list()).json().counts).toEqual({ all: 3, visible: 2, hidden: 1, responded: 1, unanswered: 1 });
  });

  it('restore: only a hidden comment; back on the public page; the whole history in the audit chain', async () => {
    const notHidden = await act(ids[2]!, 'restore', { reason: 'Tidak perlu' });
    expect(notHidden.statusCode).toBe(409);
    expect(notHidden.json().error.code).toBe('COMMENT_NOT_HIDDEN');
    expect((await act(ids[0]!, 'restore', {})).statusCode).toBe(400);
    const res = await act(ids[0]!, 'restore', { reason: 'Nomor telepon ternyata nomor layanan publik' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().hidden).toBeNull();
    expect(await publicBodies()).toContain('Nomor HP saya 0812-0000-0000, hubungi saya untuk titipan.');
    expect((await moderationAudit()).map((a) => [a.action, a.idempotency_key, a.reason])).toEqual([
      ['comment.hidden', `comment:${ids[0]}:1`, 'Memuat nomor telepon pribadi'],
      ['comment.responded', `comment:${ids[1]}:1`, 'Terima kasih, usulan ini kami pertimbangkan.'],
      ['comment.responded', `comment:${ids[1]}:2`, 'Terima kasih. Bobot wawancara perawat ditetapkan 20 persen.'],
      ['comment.restored', `comment:${ids[0]}:2`, 'Nomor telepon ternyata nomor layanan publik'],
    ]);
  });

  it('no such comment in the round, or no such round → 404 NOT_FOUND; a bad comment number → 400', async () => {
    for (const res of [
      await act(otherId, 'hide', { reasonCode: 'spam', reason: 'Seleksi lain' }),
      await act('999999999', 'hide', { reasonCode: 'spam', reason: 'Tidak ada' }),
      await respond(ids[1]!, 'Seleksi yang tidak ada sama sekali.', 'tidak-ada'),
      await app.inject({ url: '/rounds/tidak-ada/moderation/comments', headers: users.hr.headers }),
    ]) {
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await act('0', 'hide', { reasonCode: 'spam', reason: 'Nol' })).statusCode).toBe(400);
    expect((await act('abc', 'restore', { reason: 'Bukan angka' })).statusCode).toBe(400);
  });
});

let n = 0;
async function signedIn(role: Role): Promise<FormClient> {
  n += 1;
  const username = `moderasi-${role}-${process.pid}-${n}-${Date.now().toString(36)}`;
  const { user } = await createUser(h.db, { username, displayName: `Petugas ${n}`, role });
  await setStaffPassword(h.db, user.userId, await hashPassword('sandi-moderasi-1'), { initial: false });
  const b = new FormClient(app, '/portal/konsol/masuk');
  const res = await b.submit('/portal/konsol/masuk', '/portal/konsol/masuk', {
    username,
    password: 'sandi-moderasi-1',
    next: '/portal/konsol',
  });
  expect(res.statusCode, res.body).toBe(303);
  return b;
}

describe('consultation moderation (console pages)', () => {
  const url = `/portal/konsol/seleksi/${roundId}/konsultasi`;

  it('HR only; the list with counts; the forms check their fields and say a refusal beside them', async () => {
    const auditor = await signedIn('auditor');
    expect((await auditor.get(url)).statusCode).toBe(403);
    expect((await auditor.get(`${url}/${ids[2]}`)).statusCode).toBe(403);
    const hr = await signedIn('hr');
    const page = await hr.get(`${url}?status=responded`);
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('Sudah ditanggapi (1)');
    expect(page.body).toContain('Budi');
    expect(page.body).not.toContain('Citra');

    const one = `${url}/${ids[2]}`;
    const missing = await hr.submit(one, `${one}/sembunyikan`, { reasonCode: '', reason: 'x' });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('id="hide-code-error"');
    expect(missing.body).toContain('id="hide-reason-error"');
    const ok = await hr.submit(one, `${one}/sembunyikan`, {
      reasonCode: 'off_topic',
      reason: 'Bukan tentang kriteria',
    });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe(`${one}?info=komentar-disembunyikan`);
    const after = await hr.get(String(ok.headers.location));
    expect(after.body).toContain('Tidak berkaitan dengan seleksi atau kriterianya');
    expect(after.body).toContain('Bukan tentang kriteria');
    expect(after.body).toContain('Tampilkan kembali');
    // A second tab still showing the hide form: the service's refusal beside the field.
    const twice = await hr.submit(one, `${one}/sembunyikan`, { reasonCode: 'spam', reason: 'Dari tab lain' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('sudah disembunyikan');
    expect((await hr.get(`${url}/999999999`)).statusCode).toBe(404);
  });
});
