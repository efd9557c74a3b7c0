import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/accounts';
import { setStaffPassword } from '../../db/staff';
import { createUser } from '../../db/users';
import { testApp } from '../helpers/api';
import { roundWithDecisions } from '../helpers/audit-round';
import { expectNoAxeViolations, screenshot, startBrowser, type BrowserSession } from '../helpers/browser';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * The auditor's console page in a real browser (Debian chromium) against the real stack (the API
 * and its pages, a worker, a Temporal dev server, PostgreSQL): a simulation round walked to its SKD
 * with three candidates (real workflows) whose verification (MS/TMS), SKD scores and SKB selection
 * are real decisions; the auditor signs in, opens "Audit seleksi" from the console home, runs the
 * replay, the chain verification and the re-derivation as background jobs, watches each job's page
 * until it ends and sees 0 findings, the re-derivation with how many decisions it checked; the job
 * list shows all three. Then one published SKD pass is tampered with in PostgreSQL and a new
 * re-derivation shows the difference. axe-core on every page.
 */
let h: Harness;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
const PASSWORD = 'sandi-auditor-peramban-1';
const tag = `${process.pid}-${Date.now().toString(36)}`;
const username = `auditor-peramban-${tag}`;

beforeAll(async () => {
  // The browser starts while the Temporal dev server and the worker come up.
  [h, browser] = await Promise.all([startHarness(uniqueTaskQueue('console-audit'), { server: 'dev' }), startBrowser()]);
  app = await testApp(h.env, h.db, h.deps.taskQueue, { max: 100_000, timeWindow: 60_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const auditor = await createUser(h.db, { username, displayName: 'Inspektur Audit', role: 'auditor' });
  await setStaffPassword(h.db, auditor.user.userId, await hashPassword(PASSWORD), { initial: false });
}, 180_000);
afterAll(async () => {
  await Promise.all([browser?.close(), app?.close()]);
  await h?.stop();
});

/** Starts a job for the round from the audit page and waits on the job's page for its result. */
async function runJob(page: Page, roundId: string, button: string, label: string): Promise<string> {
  await page.goto(`${base}/portal/konsol/audit`);
  await page.selectOption('#roundId', roundId);
  await page.click(`button:has-text("${button}")`);
  await page.waitForURL(/\/portal\/konsol\/audit\/[0-9a-f-]{36}$/);
  expect(await page.locator('h1').innerText()).toContain(roundId);
  await expectNoAxeViolations(page, `${label}: halaman pekerjaan`);
  // The page refreshes itself in place (audit-job.js) until the result shows.
  await page.locator('#job-result').waitFor({ timeout: 120_000 });
  await expectNoAxeViolations(page, `${label}: hasil`);
  expect(await page.locator('#job-status').innerText()).toBe('Selesai');
  return (await page.locator('#job-result').innerText()).replace(/\s+/g, ' ');
}

describe('the auditor in the browser', () => {
  it('runs replay, verification and rederive for a round with real decisions: 0 differences, then the tampered one', async () => {
    const { roundId, registrationNos } = await roundWithDecisions(h.deps, `audit-peramban-${tag}`);
    const page = await browser.page();
    await page.goto(`${base}/portal/konsol/masuk`);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('button:has-text("Masuk")');
    await page.waitForURL(/\/portal\/konsol$/);
    await page.click('a:has-text("Audit seleksi")');
    await page.waitForURL(/\/portal\/konsol\/audit$/);
    await expectNoAxeViolations(page, 'audit seleksi (kosong)');

    const replay = await runJob(page, roundId, 'Replay riwayat alur kerja', 'replay');
    expect(replay).toContain('0 pelanggaran determinisme');
    expect(replay).toContain('4 dari 4 langkah diperiksa');
    await screenshot(page, 'console-audit-replay');
    const verify = await runJob(page, roundId, 'Verifikasi rantai audit', 'verifikasi');
    expect(verify).toContain('0 masalah rantai');
    const rederive = await runJob(page, roundId, 'Turunkan ulang keputusan', 'turunkan ulang');
    expect(rederive).toContain('0 perbedaan');
    const checked = (await page.locator('#job-checked').innerText()).replace(/\s+/g, ' ');
    // Two SKD results (the TMS candidate sat none) and the SKB selection re-derived, no difference.
    expect(checked).toMatch(/^(\d+) keputusan diperiksa, 0 perbedaan/);
    expect(Number(/^(\d+)/.exec(checked)![1])).toBeGreaterThanOrEqual(3);
    expect(checked).toContain('SKD 2');
    expect(checked).not.toContain('penetapan peserta SKB 0');

    await page.goto(`${base}/portal/konsol/audit`);
    const rows = await page.locator('table tbody tr').allInnerTexts();
    expect(rows.slice(0, 3).map((r) => r.replace(/\s+/g, ' '))).toEqual([
      expect.stringMatching(/^Turunkan ulang keputusan .*Selesai 0 perbedaan$/),
      expect.stringMatching(/^Verifikasi rantai audit .*Selesai 0 masalah rantai$/),
      expect.stringMatching(/^Replay riwayat alur kerja .*Selesai 0 pelanggaran determinisme$/),
    ]);
    await expectNoAxeViolations(page, 'audit seleksi (daftar pekerjaan)');
    await screenshot(page, 'console-audit');

    // A published SKD pass turned into a fail behind the workflow's back: the next re-derivation finds it.
    const [passed] = registrationNos;
    await sql`update skd_scores set passed = false where registration_no = ${passed!}`.execute(h.db);
    const tampered = await runJob(page, roundId, 'Turunkan ulang keputusan', 'turunkan ulang (diubah)');
    expect(tampered).not.toContain(' 0 perbedaan');
    expect(tampered).toMatch(/[1-9]\d* perbedaan/);
    expect(await page.locator('table tbody').innerText()).toContain(
      `SKD lulus/tidak: diumumkan false, diturunkan ulang true`,
    );
    await page.context().close();
  }, 480_000);
});
