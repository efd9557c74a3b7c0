import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/accounts';
import { rankFinalInSql } from '../../db/ranking';
import { setStaffPassword } from '../../db/staff';
import { createUser } from '../../db/users';
import { testApp } from '../helpers/api';
import { expectNoAxeViolations, screenshot, startBrowser, type BrowserSession } from '../helpers/browser';
import { startHarness, type Harness } from '../helpers/harness';
import { syntheticRound } from '../helpers/synthetic';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * HR's round pages in a real browser (Debian chromium, a 360-px phone) against the API, a worker
 * and Temporal: the wizard from the example through every step to a created round, its dashboard,
 * formations and criteria; then a ranked round's ranking, announcement (letterhead) and pipeline
 * board with its Chart.js charts. axe-core on every page.
 */
let h: Harness;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
const PASSWORD = 'sandi-hr-peramban-1';
const username = `hr-peramban-${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  const taskQueue = uniqueTaskQueue('console-hr');
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue, { max: 100_000, timeWindow: 60_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await startBrowser();
  const { user } = await createUser(h.db, { username, displayName: 'Kepala Bidang Pengadaan', role: 'hr' });
  await setStaffPassword(h.db, user.userId, await hashPassword(PASSWORD), { initial: false });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await h?.stop();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${base}/portal/konsol/masuk`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('button:has-text("Masuk")');
  await page.waitForURL(/\/portal\/konsol$/);
}

describe('HR in the browser', () => {
  it('creates a round with the wizard on a phone; dashboard, formations and criteria pages', async () => {
    const page = await browser.page({ phone: true });
    await signIn(page);
    await page.click('a:has-text("Buat seleksi baru")');
    await page.waitForURL(/\/seleksi\/baru$/);
    await expectNoAxeViolations(page, 'wizard: identitas');
    await screenshot(page, 'console-wizard-identity');
    const roundId = `peramban-${process.pid}-${Date.now().toString(36)}`;
    await page.fill('#w-roundId', 'salah id!');
    await page.click('button:has-text("Lanjut")');
    await expect.poll(() => page.locator('#w-roundId-error').count()).toBe(1);
    await expectNoAxeViolations(page, 'wizard: identitas with errors');
    await page.fill('#w-roundId', roundId);
    for (const [step, label] of [
      ['formasi', 'formasi'],
      ['jadwal', 'jadwal'],
      ['penilaian', 'penilaian'],
      ['pratinjau', 'pratinjau'],
    ] as const) {
      await page.click('.wizard-nav button:has-text("Lanjut")');
      await expect.poll(() => page.locator(`input[name="step"][value="${step}"]`).count()).toBe(1);
      await expectNoAxeViolations(page, `wizard: ${label}`);
    }
    await screenshot(page, 'console-wizard-preview');
    expect(await page.locator('main').innerText()).toContain('Semua aturan terpenuhi');
    await page.click('button:has-text("Buat seleksi")');
    await page.waitForURL(new RegExp(`/portal/konsol/seleksi/${roundId}\\?info=seleksi-dibuat$`));
    expect(await page.locator('h1').innerText()).toContain('Seleksi CPNS Pemerintah Kota Medan');
    await expectNoAxeViolations(page, 'round dashboard');
    await screenshot(page, 'console-round-dashboard');
    await page.click('a:has-text("Formasi (4)")');
    await expectNoAxeViolations(page, 'round formations');
    await page.goBack();
    await page.click('a:has-text("Kriteria penilaian")');
    await expectNoAxeViolations(page, 'round criteria');
    expect(await page.locator('main').innerText()).toContain('Wawancara perilaku kerja');
    await page.context().close();
  }, 240_000);

  it("a ranked round's ranking, announcement with its letterhead and the board's charts", async () => {
    const roundId = `peramban-hasil-${process.pid}-${Date.now().toString(36)}`;
    await syntheticRound(h.db, roundId, 4, 40, 300 + (process.pid % 250));
    await rankFinalInSql(h.db, roundId);
    const page = await browser.page();
    await signIn(page);
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/peringkat/final`);
    expect(await page.locator('main').innerText()).toContain('40 baris');
    await expectNoAxeViolations(page, 'ranking');
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/pengumuman`);
    await expectNoAxeViolations(page, 'announcement letterhead form');
    await page.fill('#l-nomor', '800/12/BKPSDM/2027');
    await page.fill('#l-penandatangan', 'Drs. Penandatangan Contoh');
    await page.click('button:has-text("Hasil akhir")');
    await page.waitForURL(/\/pengumuman\/final\?/);
    const letter = await page.locator('article.letter').innerText();
    expect(letter).toContain('Nomor: 800/12/BKPSDM/2027');
    expect(letter).toContain('Drs. Penandatangan Contoh');
    await expectNoAxeViolations(page, 'announcement');
    await screenshot(page, 'console-announcement');
    const pdf = await page.request.get(
      await page
        .locator('a:has-text("Unduh PDF")')
        .getAttribute('href')
        .then((x) => `${base}${x}`),
    );
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/alur`);
    // Chart.js drew both charts (a canvas it owns has a chart instance).
    await expect
      .poll(() =>
        page.evaluate(
          '(() => { const C = globalThis.Chart; return C ? [C.getChart("chart-funnel"), C.getChart("chart-formations")].filter(Boolean).length : 0; })()',
        ),
      )
      .toBe(2);
    await expectNoAxeViolations(page, 'pipeline board');
    await screenshot(page, 'console-board');
    await page.context().close();
  }, 240_000);
});
