import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CareerStatus } from '../../contracts';
import { hashPassword } from '../../db/accounts';
import { setStaffPassword } from '../../db/staff';
import { createUser } from '../../db/users';
import { testApp, testUsers } from '../helpers/api';
import { expectNoAxeViolations, screenshot, staffSignIn, startBrowser, type BrowserSession } from '../helpers/browser';
import { careerInput, careerRecorded, nextJanuary, startCareer } from '../helpers/career';
import { startHarness, type Harness } from '../helpers/harness';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * The supervisor's console in a real browser (Debian chromium, a 360-px phone) against the API, a
 * worker and Temporal (issue 18): HR names the supervisor of a new civil servant's career and
 * records the Latsar result on the employee's page (after a refused form), the health statement
 * through the API; the supervisor signs in, finds the employee in "Tim saya",
 * records the SKP plan (after a refused empty one) and a check-in, and at the year's end the
 * evaluation; the career workflow takes it (predikat, follow-up in the database) and the page shows
 * the follow-up. A second supervisor of the unit sees the career as unit head, without the forms.
 * axe-core on every page.
 */
let h: Harness;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
let users: Awaited<ReturnType<typeof testUsers>>;
const PASSWORD = 'sandi-atasan-peramban-1';
const tag = `${process.pid}-${Date.now().toString(36)}`;
const supervisor = `atasan-peramban-${tag}`;
const head = `kepala-peramban-${tag}`;
const hrUser = `sdm-peramban-${tag}`;
let nip: string;

beforeAll(async () => {
  const taskQueue = uniqueTaskQueue('console-supervisor');
  h = await startHarness(taskQueue);
  app = await testApp(h.env, h.db, taskQueue, { max: 100_000, timeWindow: 60_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await startBrowser();
  users = await testUsers(h.db);
  for (const [username, displayName] of [
    [supervisor, 'Kepala Seksi Imunisasi'],
    [head, 'Kepala Bidang Pencegahan'],
    [hrUser, 'Analis SDM Aparatur'],
  ] as const) {
    const role = username === hrUser ? 'hr' : 'supervisor';
    const { user } = await createUser(h.db, { username, displayName, role });
    await setStaffPassword(h.db, user.userId, await hashPassword(PASSWORD), { initial: false });
  }
  const input = careerInput({}, await nextJanuary(h.env));
  nip = input.nip;
  await startCareer(h.env, taskQueue, input);
  await careerRecorded(h.db, nip);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await h?.stop();
});

const hr = (method: 'POST' | 'PUT', path: string, payload: Record<string, unknown>) =>
  app.inject({ method, url: `/careers/${nip}${path}`, headers: users.hr.headers, payload });
const status = async (): Promise<CareerStatus> =>
  (await app.inject({ method: 'GET', url: `/careers/${nip}`, headers: users.auditor.headers })).json();
/** Moves the test server's clock to `ms` and waits until the career reaches `ok`. */
async function until(ms: number, ok: (s: CareerStatus) => boolean): Promise<CareerStatus> {
  const d = ms - (await h.env.currentTimeMs());
  if (d > 0) await h.env.sleep(d);
  await expect.poll(async () => ok(await status()), { timeout: 30_000, interval: 100 }).toBe(true);
  return status();
}

const signIn = (page: Page, username: string): Promise<void> => staffSignIn(page, base, username, PASSWORD);

/** From a team list, the employee's career page. */
async function openCareer(page: Page): Promise<void> {
  await page.locator('tr', { hasText: nip }).locator('a').first().click();
  await page.waitForURL(/\/portal\/konsol\/kinerja\/[a-z2-7]{26}$/);
}

describe('HR in the browser', () => {
  it("names the supervisor and the unit head and records the Latsar result on the employee's page", async () => {
    const row = await h.db.selectFrom('careers').select('career_id').where('nip', '=', nip).executeTakeFirstOrThrow();
    const page = await browser.page({ phone: true });
    await signIn(page, hrUser);
    const url = `${base}/portal/konsol/kinerja/${row.career_id}`;
    await page.goto(url);
    expect(await page.locator('#form-skp').count()).toBe(0);
    await expectNoAxeViolations(page, 'career page (HR, probation)');
    await page.selectOption('#supervisor', supervisor);
    await page.selectOption('#unitHead', head);
    // The browser refuses the empty required field; the server's check is the same without it.
    await page.locator('#assignReason').evaluate((el) => el.removeAttribute('required'));
    await page.click('#form-atasan button[type="submit"]');
    await page.waitForLoadState();
    expect(await page.locator('#assignReason-error').getAttribute('data-code')).toBe('TEXT_REQUIRED');
    expect(await page.locator('#supervisor').inputValue()).toBe(supervisor);
    await expectNoAxeViolations(page, 'career page (HR, assignment refused)');
    // An account that is not a supervisor (a forged form): the service's refusal at the field.
    const _csrf = await page.locator('#form-atasan input[name="_csrf"]').inputValue();
    const forged = { _csrf, supervisor: hrUser, unitHead: head, assignReason: 'Penempatan awal' };
    const wrong = await page.request.post(`${url}/atasan`, { form: forged });
    expect([wrong.status(), await wrong.text()]).toEqual([422, expect.stringContaining('data-code="WRONG_ROLE"')]);
    await page.fill('#assignReason', 'Penempatan awal pada Seksi Imunisasi');
    await page.click('#form-atasan button[type="submit"]');
    await page.waitForURL(/\?tersimpan=atasan$/);
    expect(await page.locator('dl.facts').first().innerText()).toContain(supervisor);

    await page.check('input[name="passed"][value="ya"]');
    const latsar = page.locator('#form-latsar');
    const form = { _csrf: await latsar.locator('input[name="_csrf"]').inputValue() };
    const once = await latsar.locator('input[name="once"]').inputValue();
    await page.click('#form-latsar button[type="submit"]');
    await page.waitForURL(/\?tersimpan=latsar$/);
    expect(await page.locator('#h-percobaan ~ dl').innerText()).toContain('lulus');
    expect(await page.locator('#form-latsar').count()).toBe(0);
    await expectNoAxeViolations(page, 'career page (HR, Latsar recorded)');
    await screenshot(page, 'console-career-hr');
    // The same form sent again (a second click, another tab): refused in its section, recorded once.
    const again = await page.request.post(`${url}/latsar`, {
      form: { ...form, once, passed: 'ya' },
    });
    expect([again.status(), await again.text()]).toEqual([409, expect.stringContaining('data-code="WRONG_STAGE"')]);
    const s = await status();
    expect(s).toMatchObject({ supervisor, unitHead: head, probation: { latsar: true, healthy: null } });
    expect(s.events.filter((e) => /latsar/i.test(e.what))).toHaveLength(1);
    await page.context().close();
  }, 120_000);
});

describe('a supervisor in the browser', () => {
  it('sees the team, records the SKP plan, a check-in and the evaluation; the career takes it', async () => {
    const recorded = await hr('POST', '/probation/health', { healthy: true });
    const pns = await until(Date.parse((recorded.json() as CareerStatus).probation!.endsAt) + 3_600_000, (s) =>
      Boolean(s.status === 'pns' && s.stage === 'planning'),
    );

    const page = await browser.page({ phone: true });
    await signIn(page, supervisor);
    await expectNoAxeViolations(page, 'console home (supervisor)');
    await page.click('a:has-text("Tim saya")');
    await page.waitForURL(/\/portal\/konsol\/kinerja$/);
    const team = await page.locator('main').innerText();
    expect(team).toContain('1 pegawai, halaman 1 dari 1');
    expect(team).toContain(`NIP ${nip}`);
    expect(team).toContain('Tetapkan rencana SKP');
    await expectNoAxeViolations(page, 'team');
    await screenshot(page, 'console-team');

    await openCareer(page);
    await expectNoAxeViolations(page, 'career page (planning)');
    // The browser refuses the empty required field; the server's check is the same without it.
    await page.locator('#expectations').evaluate((el) => el.removeAttribute('required'));
    await page.click('#form-skp button[type="submit"]');
    await page.waitForLoadState();
    expect(await page.locator('#expectations-error').getAttribute('data-code')).toBe('EXPECTATIONS_REQUIRED');
    await expectNoAxeViolations(page, 'career page (SKP plan refused)');
    await page.fill('#expectations', 'Cakupan imunisasi dasar 95 persen\nLaporan bulanan tepat waktu');
    await page.click('#form-skp button[type="submit"]');
    await page.waitForURL(/\?tersimpan=skp$/);
    expect(await page.locator('#h-skp + ol').innerText()).toContain('Laporan bulanan tepat waktu');
    // A stale copy of the plan's form (another tab): refused with the reason, the plan unchanged.
    const _csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const stale = await page.request.post(`${page.url().split('?')[0]}/skp`, { form: { _csrf, expectations: 'Lain' } });
    expect([stale.status(), await stale.text()]).toEqual([409, expect.stringContaining('data-code="WRONG_STAGE"')]);

    await page.selectOption('#period', '1');
    await page.fill('#notes', 'Target semester tercapai; perlu pelatihan pencatatan elektronik.');
    await page.click('#form-dialog button[type="submit"]');
    await page.waitForURL(/\?tersimpan=dialog$/);
    expect(await page.locator('main').innerText()).toContain('Sudah dilakukan: periode 1.');
    await expectNoAxeViolations(page, 'career page (after the check-in)');
    expect(await status()).toMatchObject({ expectations: [expect.any(String), expect.any(String)], checkIns: [1] });

    await until(Date.parse(`${pns.year}-12-20T12:00:00+07:00`), (s) => s.stage === 'evaluation');
    await page.goto(page.url().split('?')[0]!);
    await expectNoAxeViolations(page, 'career page (evaluation open)');
    await page.check('input[name="hasilKerja"][value="di_atas"]');
    await page.check('input[name="perilaku"][value="di_atas"]');
    await page.click('#form-penilaian button[type="submit"]');
    await page.waitForURL(/\?tersimpan=penilaian$/);

    const after = await until(0, (s) => s.stage === 'follow_up');
    expect(after).toMatchObject({ predikat: 'Sangat Baik', year: pns.year });
    expect(after.events.map((e) => e.what)).toContain('penilaian tahunan: Sangat Baik');
    const rows = await h.db.selectFrom('evaluations').select(['supervisor', 'status']).where('nip', '=', nip).execute();
    expect(rows).toEqual([{ supervisor, status: 'accepted' }]);
    await page.reload();
    const done = await page.locator('main').innerText();
    expect(done).toContain('Predikat kinerja ' + pns.year + ': Sangat Baik.');
    expect(await page.locator('#h-tindak + ul').innerText()).toContain(
      'Penghargaan dan rencana pengembangan kompetensi',
    );
    expect(await page.locator('#form-penilaian').count()).toBe(0);
    await expectNoAxeViolations(page, 'career page (follow-up)');
    await screenshot(page, 'console-career');
    await page.context().close();
  }, 300_000);

  it('the unit head sees the career without the forms, and the server refuses their check-in', async () => {
    const page = await browser.page({ phone: true });
    await signIn(page, head);
    await page.click('a:has-text("Tim saya")');
    expect(await page.locator('main').innerText()).toContain('sebagai kepala unit');
    await openCareer(page);
    expect(await page.locator('form.stack').count()).toBe(0);
    // Even with a valid form token (the sign-out form's), the server refuses the unit head's check-in.
    const _csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const refused = await page.request.post(`${page.url()}/dialog`, { form: { _csrf, period: '2', notes: 'x' } });
    expect([refused.status(), await refused.text()]).toEqual([403, expect.stringContaining('Kode: NOT_ASSIGNED')]);
    const hrOnly = await page.request.post(`${page.url()}/latsar`, { form: { _csrf, passed: 'ya' } });
    expect([hrOnly.status(), await hrOnly.text()]).toEqual([403, expect.stringContaining('Kode: HR_ONLY')]);
    await expectNoAxeViolations(page, 'career page (unit head)');
    await page.context().close();
  }, 120_000);

  it("HR finds a supervisor's team and reads the career, with HR's forms but not the supervisor's", async () => {
    const page = await browser.page({ phone: true });
    await signIn(page, hrUser);
    await page.click('a:has-text("Kinerja pegawai")');
    await page.fill('#atasan', supervisor);
    await page.click('button:has-text("Tampilkan")');
    await page.waitForURL(/\/kinerja\?atasan=/);
    expect(await page.locator('main').innerText()).toContain('1 pegawai, halaman 1 dari 1');
    await expectNoAxeViolations(page, 'team of a supervisor (HR)');
    await openCareer(page);
    expect(await page.locator('#h-tindak + ul').innerText()).toContain('Penghargaan');
    expect(await page.locator('form.stack').evaluateAll((f) => f.map((x) => x.id))).toEqual(['form-atasan']);
    await expectNoAxeViolations(page, 'career page (HR)');
    await page.context().close();
  }, 120_000);
});
