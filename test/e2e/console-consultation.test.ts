import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRound } from '../fixtures';
import { testApp } from '../helpers/api';
import { hashPassword } from '../../db/accounts';
import { setStaffPassword } from '../../db/staff';
import { createUser } from '../../db/users';
import { expectNoAxeViolations, staffSignIn, startBrowser, type BrowserSession } from '../helpers/browser';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * The public consultation and HR's part of it in a real browser (Debian chromium) against the API,
 * a worker and Temporal: a member of the public comments on a simulation round's draft criteria;
 * HR hides one comment (a standard reason and HR's words) and answers another; the public page
 * shows the answer under its comment and not the hidden one; HR's adoption is refused by the round
 * while the consultation is open (said in Indonesian) and accepted in the adoption phase, its
 * response then on the public page. axe-core on every page.
 */
let h: Harness;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
let hrToken = '';
const PASSWORD = 'sandi-hr-konsultasi-1';
const username = `hr-konsultasi-${process.pid}-${Date.now().toString(36)}`;
const roundId = `konsultasi-${process.pid}-${Date.now().toString(36)}`;

const phaseOf = async (): Promise<string | undefined> =>
  (await h.db.selectFrom('rounds').select('phase').where('round_id', '=', roundId).executeTakeFirst())?.phase;

async function advance(from: string, to: string): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: `/rounds/${roundId}/advance`,
    headers: { authorization: `Bearer ${hrToken}` },
    payload: { from, reason: `Simulasi: ${to} dimulai sekarang` },
  });
  expect(res.statusCode, res.body).toBe(200);
  await expect.poll(phaseOf, { timeout: 20_000 }).toBe(to);
}

beforeAll(async () => {
  const taskQueue = uniqueTaskQueue('console-consultation');
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue, { max: 100_000, timeWindow: 60_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await startBrowser();
  const { user, token } = await createUser(h.db, { username, displayName: 'Kepala Bidang Pengadaan', role: 'hr' });
  await setStaffPassword(h.db, user.userId, await hashPassword(PASSWORD), { initial: false });
  hrToken = token;
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await h?.stop();
});

const signIn = (page: Page) => staffSignIn(page, base, username, PASSWORD);

const HIDDEN = 'Hubungi nomor 0812-3456-7890 untuk jalur khusus masuk formasi ini.';
const ANSWERED = 'Mohon bobot wawancara untuk perawat tidak melebihi 30 persen.';
const ANSWER = 'Terima kasih. Bobot wawancara perawat tetap 20 persen sesuai rancangan.';
const ADOPTION = 'Masukan masyarakat sudah kami baca; kriteria rancangan ditetapkan tanpa perubahan.';

async function comment(page: Page, target: string, author: string, body: string): Promise<void> {
  if (target) await page.selectOption('#target', target);
  await page.fill('#author', author);
  await page.fill('#body', body);
  await page.click('button:has-text("Kirim tanggapan")');
  await page.waitForURL(/info=komentar-terkirim/);
}

describe('the public consultation and its moderation in the browser', () => {
  it('the public comments; HR hides one and answers another; the public page shows the answer, not the hidden one', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/rounds',
      headers: { authorization: `Bearer ${hrToken}` },
      payload: sampleRound(roundId, { simulation: { dayMs: 60_000 } }),
    });
    expect(res.statusCode, res.body).toBe(201);
    await expect.poll(phaseOf, { timeout: 20_000 }).toBe('draft');
    await advance('draft', 'consultation');
    const pub = await browser.page({ phone: true });
    await pub.goto(`${base}/portal/seleksi/${roundId}/konsultasi`);
    await expectNoAxeViolations(pub, 'public consultation');
    await comment(pub, '', 'Anonim', HIDDEN);
    await comment(pub, 'f:DINKES-PERAWAT', 'Budi, warga Medan Johor', ANSWERED);
    await expectNoAxeViolations(pub, 'public consultation after comments');

    const page = await browser.page();
    await signIn(page);
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/kriteria`);
    await page.click('a:has-text("Moderasi konsultasi publik")');
    await page.waitForURL(new RegExp(`/seleksi/${roundId}/konsultasi$`));
    expect(await page.locator('main').innerText()).toContain('Belum ditanggapi (2)');
    await expectNoAxeViolations(page, 'moderation list');

    await page.locator('li.comment', { hasText: '0812-3456-7890' }).locator('a').click();
    await expectNoAxeViolations(page, 'moderation: one comment');
    await page.click('button:has-text("Sembunyikan")');
    await expect.poll(() => page.locator('#hide-code-error').count()).toBe(1);
    await expectNoAxeViolations(page, 'moderation: hide form with errors');
    await page.selectOption('#hide-code', 'personal_data');
    await page.fill('#hide-reason', 'Memuat nomor telepon pribadi dan menjanjikan jalur khusus');
    await page.click('button:has-text("Sembunyikan")');
    await page.waitForURL(/info=komentar-disembunyikan/);
    const hidden = await page.locator('main').innerText();
    expect(hidden).toContain('Memuat data pribadi orang lain');
    expect(hidden).toContain(username);
    expect(hidden).toContain('Tampilkan kembali');
    await expectNoAxeViolations(page, 'moderation: hidden comment');

    await page.click('nav.crumbs a:has-text("Konsultasi publik")');
    await page.locator('li.comment', { hasText: 'Budi, warga Medan Johor' }).locator('a').click();
    await page.fill('#response-body', ANSWER);
    await page.click('button:has-text("Simpan tanggapan")');
    await page.waitForURL(/info=tanggapan-tersimpan/);
    expect(await page.locator('main').innerText()).toContain(ANSWER);
    await expectNoAxeViolations(page, 'moderation: answered comment');

    await pub.goto(`${base}/portal/seleksi/${roundId}/konsultasi`);
    const shown = await pub.locator('main').innerText();
    expect(shown).not.toContain('0812-3456-7890');
    const answered = pub.locator('li.comment', { hasText: ANSWERED });
    expect(await answered.locator('.response').innerText()).toContain(ANSWER);
    await expectNoAxeViolations(pub, 'public consultation with the answer');
    await pub.context().close();
    await page.context().close();
  }, 240_000);

  it('HR adopts the criteria: refused by the round while the consultation is open, accepted after it', async () => {
    const page = await browser.page();
    await signIn(page);
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/kriteria`);
    await page.click('a:has-text("Tetapkan kriteria")');
    await page.waitForURL(/\/kriteria\/tetapkan$/);
    const before = await page.locator('main').innerText();
    expect(before).toContain('Tahap sekarang: Konsultasi publik kriteria');
    expect(before).toContain('2 komentar');
    await expectNoAxeViolations(page, 'criteria adoption during the consultation');
    await page.fill('#adopt-response', ADOPTION);
    await page.click('button:has-text("Tetapkan kriteria")');
    await expect.poll(() => page.locator('#adopt-response-error').count()).toBe(1);
    const refused = await page.locator('#adopt-response-error').innerText();
    expect(refused).toContain('Penetapan ditolak');
    expect(refused).toContain('sekarang: Konsultasi publik kriteria');
    await expectNoAxeViolations(page, 'criteria adoption refused');

    await advance('consultation', 'criteria_adoption');
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/kriteria/tetapkan`);
    expect(await page.locator('main').innerText()).not.toContain('Tahap sekarang');
    await page.fill('#adopt-response', ADOPTION);
    await page.click('button:has-text("Tetapkan kriteria")');
    await page.waitForURL(/\/kriteria\?info=kriteria-ditetapkan$/);
    const adopted = await page.locator('main').innerText();
    expect(adopted).toContain('ditetapkan');
    expect(adopted).toContain(ADOPTION);
    await expectNoAxeViolations(page, 'criteria adopted');

    await page.goto(`${base}/portal/seleksi/${roundId}/konsultasi`);
    const pub = await page.locator('main').innerText();
    expect(pub).toContain('Tanggapan BKPSDM atas masukan masyarakat');
    expect(pub).toContain(ADOPTION);
    const audit = await h.db
      .selectFrom('audit_log')
      .select('action')
      .where('chain', '=', `round:${roundId}`)
      .where((eb) => eb.or([eb('action', 'like', 'comment.%'), eb('action', '=', 'criteria.adopted')]))
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['comment.hidden', 'comment.responded', 'criteria.adopted']);
    await page.context().close();
  }, 240_000);
});
