import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/accounts';
import { setStaffPassword } from '../../db/staff';
import { createUser } from '../../db/users';
import { candidateWorkflowStatus } from '../../api/services/documents';
import { advancePhase } from '../../api/services/rounds';
import { testApp } from '../helpers/api';
import { phaseOf, roundAtSkd } from '../helpers/audit-round';
import { expectNoAxeViolations, screenshot, staffSignIn, startBrowser, type BrowserSession } from '../helpers/browser';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * HR's exam import page in a real browser (Debian chromium) against the real stack (the API and
 * its pages, a worker, a Temporal dev server, PostgreSQL), on a simulation round walked to its SKD
 * with three real candidates (two MS, one TMS): the refusals of the wrong phase; a semicolon CSV
 * as Excel saves it (BOM, quoted fields, CRLF) with one bad line, listed by its number, then the
 * correct one; the SKB selection requested; in the SKB phase an XLSX of SKB scores (built with
 * exceljs), the final ranking requested, the ranking and announcement pages opened. axe-core on
 * every state of the page.
 */
let h: Harness;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
const PASSWORD = 'sandi-hr-impor-1';
const tag = `${process.pid}-${Date.now().toString(36)}`;
const username = `hr-impor-${tag}`;
const POLL = { timeout: 60_000, interval: 250 };

beforeAll(async () => {
  [h, browser] = await Promise.all([
    startHarness(uniqueTaskQueue('console-imports'), { server: 'dev' }),
    startBrowser(),
  ]);
  app = await testApp(h.env, h.db, h.deps.taskQueue, { max: 100_000, timeWindow: 60_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const hr = await createUser(h.db, { username, displayName: 'Kepala Bidang Pengadaan', role: 'hr' });
  await setStaffPassword(h.db, hr.user.userId, await hashPassword(PASSWORD), { initial: false });
}, 180_000);
afterAll(async () => {
  await Promise.all([browser?.close(), app?.close()]);
  await h?.stop();
});

/** A CSV as Excel writes it with a semicolon list separator: a BOM, every field quoted, CRLF. */
const excelCsv = (rows: (string | number)[][]): Buffer =>
  Buffer.from(`\uFEFF${rows.map((r) => r.map((c) => `"${c}"`).join(';')).join('\r\n')}\r\n`, 'utf8');

async function xlsx(rows: (string | number)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('Nilai SKB');
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Chooses the file in the exam's form and sends it; the page that answers is the import page. */
async function upload(page: Page, exam: 'skd' | 'skb', file: { name: string; mimeType: string; buffer: Buffer }) {
  await page.setInputFiles(`#berkas-${exam}`, file);
  await page.click(`button:has-text("Impor nilai ${exam.toUpperCase()}")`);
  await page.waitForLoadState('load');
  await expect.poll(() => page.locator('h1').innerText()).toContain('Impor nilai dan pemeringkatan');
}

const mainText = async (page: Page): Promise<string> => (await page.locator('main').innerText()).replace(/\s+/g, ' ');

describe('HR imports exam results in the browser', () => {
  it('an Excel semicolon CSV (an error line, then correct), the SKB selection, an XLSX, the final ranking', async () => {
    const { roundId, registrationNos } = await roundAtSkd(h.deps, `impor-peramban-${tag}`);
    const [pass, fail] = registrationNos as [string, string, string];
    const page = await browser.page();
    await staffSignIn(page, base, username, PASSWORD);
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}`);
    await page.click('a:has-text("Impor nilai dan pemeringkatan")');
    await page.waitForURL(new RegExp(`/seleksi/${roundId}/impor$`));
    expect(await mainText(page)).toContain('Tahap sekarang Seleksi Kompetensi Dasar (SKD)');
    await expectNoAxeViolations(page, 'impor: kosong');

    // The wrong phase: SKB scores and the final ranking are refused in the SKD phase, in words.
    await upload(page, 'skb', {
      name: 'skb.csv',
      mimeType: 'text/csv',
      buffer: excelCsv([['registration_no', 'skb']]),
    });
    expect(await page.locator('#hasil-skb').innerText()).toContain(
      'Ditolak pada tahap ini (Seleksi Kompetensi Dasar (SKD)): Nilai SKB hanya dapat diimpor pada tahap SKB',
    );
    await expectNoAxeViolations(page, 'impor: SKB ditolak pada tahap SKD');
    await page.click('button:has-text("Minta peringkat hasil akhir")');
    await expect.poll(() => page.locator('#hasil-final').count()).toBe(1);
    expect(await page.locator('#hasil-final').innerText()).toContain('Pemeringkatan akhir hanya pada tahap SKB');
    await expectNoAxeViolations(page, 'impor: peringkat akhir ditolak');

    // An Excel CSV whose third line has a TIU out of range: that line is listed, nothing applied.
    const header = ['registration_no', 'twk', 'tiu', 'tkp'];
    const skdName = 'Nilai SKD.csv';
    await upload(page, 'skd', {
      name: skdName,
      mimeType: 'application/vnd.ms-excel',
      buffer: excelCsv([header, [pass, 120, 150, 200], [fail, 60, 999, 166]]),
    });
    const errors = await page.locator('#hasil-skd li').allInnerTexts();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Baris 3: .*TIU/i);
    await expectNoAxeViolations(page, 'impor: SKD dengan kesalahan baris');
    await screenshot(page, 'console-imports-error');
    expect(
      await h.db
        .selectFrom('skd_scores')
        .select('registration_no')
        .where('registration_no', 'in', [pass, fail])
        .execute(),
    ).toEqual([]);

    await upload(page, 'skd', {
      name: skdName,
      mimeType: 'application/vnd.ms-excel',
      buffer: excelCsv([header, [pass, 120, 150, 200], [fail, 60, 80, 166]]),
    });
    expect(page.url()).toMatch(/impor\?impor=skd&baris=2$/);
    expect(await mainText(page)).toContain('2 baris nilai SKD diimpor');
    await expectNoAxeViolations(page, 'impor: SKD diimpor');
    await expect
      .poll(async () => (await candidateWorkflowStatus(h.deps, pass)).stage, POLL)
      .toBe('awaiting_skb_selection');

    await page.click('button:has-text("Minta penetapan peserta SKB")');
    await page.waitForURL(/impor\?peringkat=skb_selection$/);
    expect(await mainText(page)).toContain('Penetapan peserta SKB diminta');
    await expectNoAxeViolations(page, 'impor: peserta SKB diminta');
    await expect.poll(async () => (await candidateWorkflowStatus(h.deps, pass)).stage, POLL).toBe('awaiting_skb_score');
    await page.click('a:has-text("Penetapan peserta SKB")');
    expect(await mainText(page)).toContain('1 baris');
    await expectNoAxeViolations(page, 'peringkat peserta SKB');

    await advancePhase(h.deps, roundId, { from: 'skd', reason: 'uji impor konsol' }, 'hr.test');
    await expect.poll(() => phaseOf(h.deps, roundId), POLL).toBe('skb');
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/impor`);
    // The type the browser gives says nothing: the name decides it is an XLSX.
    await upload(page, 'skb', {
      name: 'nilai-skb.xlsx',
      mimeType: 'application/octet-stream',
      buffer: await xlsx([
        ['registration_no', 'skb'],
        [pass, 410],
      ]),
    });
    expect(page.url()).toMatch(/impor\?impor=skb&baris=1$/);
    expect(await mainText(page)).toContain('1 baris nilai SKB diimpor');
    await expectNoAxeViolations(page, 'impor: SKB (XLSX) diimpor');
    await screenshot(page, 'console-imports');
    await expect.poll(async () => (await candidateWorkflowStatus(h.deps, pass)).stage, POLL).toBe('awaiting_final');

    await page.click('button:has-text("Minta peringkat hasil akhir")');
    await page.waitForURL(/impor\?peringkat=final$/);
    await expectNoAxeViolations(page, 'impor: peringkat akhir diminta');
    await expect
      .poll(async () => {
        await page.goto(`${base}/portal/konsol/seleksi/${roundId}/peringkat/final`);
        return mainText(page);
      }, POLL)
      .toContain('1 baris');
    expect(await mainText(page)).toContain(pass);
    await expectNoAxeViolations(page, 'peringkat hasil akhir');
    await page.goto(`${base}/portal/konsol/seleksi/${roundId}/impor`);
    await page.click('a:has-text("Pengumuman")');
    await page.waitForURL(new RegExp(`/seleksi/${roundId}/pengumuman$`));
    await expectNoAxeViolations(page, 'pengumuman');
    await page.context().close();
  }, 480_000);
});
