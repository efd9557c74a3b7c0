import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailDispatcher, type Dispatcher } from '../../db/mail';
import { testApp } from '../helpers/api';
import { expectNoAxeViolations, screenshot, startBrowser, type BrowserSession } from '../helpers/browser';
import { nikFor, openRound, registerCandidate } from '../helpers/candidates';
import { startHarness, type Harness } from '../helpers/harness';
import { findLink, startMailSink, type MailSink } from '../helpers/mail';
import { uniqueTaskQueue } from '../helpers/temporal';

/**
 * A new visitor in a real Chromium against the real stack (the API with the portal, a worker on a
 * Temporal test server, PostgreSQL, the mail outbox's dispatcher and the SMTP sink process):
 * finds a formation, creates an account, confirms it from the captured mail, logs in and out,
 * resets the password. axe-core on every page; the forms are used with the keyboard alone.
 */
let h: Harness;
let app: FastifyInstance;
let sink: MailSink;
let dispatcher: Dispatcher;
let browser: BrowserSession;
let base: string;
const roundId = `portal-e2e-${Date.now().toString(36)}`;
const consultationId = `portal-e2e-k-${Date.now().toString(36)}`;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  h = await startHarness(uniqueTaskQueue('portal-e2e'));
  sink = await startMailSink();
  dispatcher = startMailDispatcher({
    db: h.db,
    smtpUrl: sink.smtpUrl,
    from: '"BKPSDM Kota Medan" <no-reply@seleksi-asn.medan.localhost>',
    pollMs: 200,
  });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  process.env.ASN_PUBLIC_URL = base; // the links in the mails point at this server
  app = await testApp(h.env, h.db, uniqueTaskQueue('portal-e2e-api'), { max: 1000, timeWindow: 60_000 });
  await app.listen({ host: '127.0.0.1', port });
  await openRound(h.db, Date.now(), roundId, {
    name: 'Seleksi CPNS Pemerintah Kota Medan 2025',
    formations: [
      {
        formationId: 'DINKES-PERAWAT',
        unit: 'Dinas Kesehatan',
        jabatan: 'Perawat Ahli Pertama',
        educationLevel: 'S1',
        educationPrograms: ['Keperawatan', 'Ners'],
        quota: 2,
        category: 'umum',
        extraDocuments: ['str'],
        skbMax: 500,
        scoring: { skdWeight: 30, skbWeight: 50, criteria: [{ kind: 'interview', weight: 20, max: 100 }] },
      },
      {
        formationId: 'DISDIKBUD-GURU',
        unit: 'Dinas Pendidikan dan Kebudayaan',
        jabatan: 'Guru Ahli Pertama',
        educationLevel: 'S1',
        educationPrograms: ['Pendidikan Matematika'],
        quota: 1,
        category: 'umum',
        skbMax: 500,
      },
    ],
  });
  await openRound(h.db, Date.now(), consultationId, { name: 'Seleksi PPPK Kota Medan 2026 (rancangan)' });
  await h.db.updateTable('rounds').set({ phase: 'consultation' }).where('round_id', '=', consultationId).execute();
  browser = await startBrowser();
}, 240_000);
afterAll(async () => {
  delete process.env.ASN_PUBLIC_URL;
  await browser?.close();
  await app?.close();
  await dispatcher?.stop();
  await sink?.stop();
  await h?.stop();
});

/** Presses Tab until `selector` has the focus (at most `max` times); returns the ids/texts passed on the way. */
async function tabTo(page: Page, selector: string, max = 40): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    seen.push(
      await page.evaluate(
        '(() => { const e = document.activeElement; return e ? (e.id || e.getAttribute("name") || e.textContent || e.tagName).trim().slice(0, 40) : ""; })()',
      ),
    );
    if (await page.evaluate(`document.activeElement === document.querySelector(${JSON.stringify(selector)})`))
      return seen;
  }
  throw new Error(`Tab never reached ${selector}; focus went through: ${seen.join(' → ')}`);
}

/** Fills a form with the keyboard alone: Tab to each field, type, then Tab to the submit button and press Enter. */
async function fillByKeyboard(page: Page, fields: [string, string][], submit: string): Promise<void> {
  for (const [selector, value] of fields) {
    await tabTo(page, selector);
    await page.keyboard.type(value);
  }
  await tabTo(page, submit);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

const visitor = {
  nik: nikFor('1998-04-12', 'P'),
  email: `rina.${Date.now().toString(36)}@contoh.id`,
  password: 'sandi rahasia yang panjang',
  newPassword: 'sandi baru yang juga panjang',
};

describe('portal in a real browser: a new visitor', () => {
  it('finds a formation on a 360-px phone and on a desktop: every requirement, no serious axe violation, a skip link first in the tab order', async () => {
    for (const phone of [true, false]) {
      const page = await browser.page({ phone });
      const suffix = phone ? 'phone' : 'desktop';
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/portal/');
      expect(await page.textContent('header')).toContain('BKPSDM Kota Medan');
      await expectNoAxeViolations(page, `home (${suffix})`);
      await screenshot(page, `portal-home-${suffix}`);
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe(
        'Langsung ke isi',
      );
      // Nothing wider than the screen on the phone.
      if (phone) expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);

      await Promise.all([
        page.waitForNavigation(),
        page.click(`a[href="/portal/seleksi/${roundId}/formasi/DINKES-PERAWAT"]`),
      ]);
      expect(page.url()).toContain(`/portal/seleksi/${roundId}/formasi/DINKES-PERAWAT`);
      const text = (await page.textContent('main'))!;
      for (const t of [
        'Dinas Kesehatan',
        '2 orang',
        'Keperawatan',
        'Ners',
        '18–35 tahun',
        'STR',
        '800 KB',
        'TWK paling rendah 65',
        'Wawancara',
        '20%',
      ])
        expect(text, t).toContain(t);
      await expectNoAxeViolations(page, `formation (${suffix})`);
      if (phone) expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
      await screenshot(page, `portal-formation-${suffix}`);

      await Promise.all([page.waitForNavigation(), page.click(`a[href="/portal/seleksi/${roundId}"]`)]);
      await expectNoAxeViolations(page, `round (${suffix})`);
      await screenshot(page, `portal-round-${suffix}`);
      await page.context().close();
    }
  }, 180_000);

  it('creates an account with the keyboard alone, confirms it from the mail, logs in and out, resets the password', async () => {
    const page = await browser.page({ phone: true });
    await page.goto(`${base}/portal/`);
    await Promise.all([page.waitForNavigation(), page.click('nav >> text=Buat akun')]);
    await expectNoAxeViolations(page, 'sign-up form');

    // A mistake first: the errors are listed, focused, and each field says what is wrong.
    await fillByKeyboard(
      page,
      [
        ['#nik', '12710'],
        ['#email', visitor.email],
        ['#password', visitor.password],
        ['#password2', visitor.password],
      ],
      'form.stack button[type="submit"]',
    );
    expect(await page.textContent('.error-summary')).toContain('Periksa isian berikut');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('ringkasan-kesalahan');
    expect(await page.getAttribute('#nik', 'aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'sign-up form with errors');
    await screenshot(page, 'portal-signup-errors');

    await page.fill('#nik', '');
    await page.focus('#nik');
    await page.keyboard.type(visitor.nik);
    await fillByKeyboard(
      page,
      [
        ['#password', visitor.password],
        ['#password2', visitor.password],
      ],
      'form.stack button[type="submit"]',
    );
    expect(new URL(page.url()).pathname).toBe('/portal/akun/masuk');
    expect(await page.textContent('[role="status"]')).toContain('tautan konfirmasi');

    const confirmMail = await sink.waitForMail(
      (m) => m.to.includes(visitor.email) && /Konfirmasi/.test(m.subject),
      120_000,
    );
    const confirmLink = findLink(confirmMail, /\/portal\/akun\/konfirmasi\?token=/);
    expect(confirmLink.startsWith(base)).toBe(true);
    await page.goto(confirmLink);
    await expectNoAxeViolations(page, 'confirmation page');
    await tabTo(page, 'form.stack button[type="submit"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.textContent('[role="status"]')).toContain('sudah dikonfirmasi');

    await expectNoAxeViolations(page, 'login form');
    await screenshot(page, 'portal-login');
    await fillByKeyboard(
      page,
      [
        ['#email', visitor.email],
        ['#password', visitor.password],
      ],
      'form.stack button[type="submit"]',
    );
    expect(new URL(page.url()).pathname).toBe('/portal/akun');
    expect(await page.textContent('main')).toContain(`${visitor.nik.slice(0, 4)}********${visitor.nik.slice(12)}`);
    await expectNoAxeViolations(page, 'account page');
    await screenshot(page, 'portal-account');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'asn_portal')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Lax');

    await Promise.all([page.waitForNavigation(), page.click('header >> text=Keluar')]);
    expect(await page.textContent('[role="status"]')).toContain('Anda sudah keluar');
    expect((await page.context().cookies()).some((c) => c.name === 'asn_portal')).toBe(false);
    await page.goto(`${base}/portal/akun`);
    expect(new URL(page.url()).pathname).toBe('/portal/akun/masuk');

    // Forgotten password: the link in the mail, a new password, the old one refused.
    await Promise.all([page.waitForNavigation(), page.click('text=Lupa kata sandi?')]);
    await expectNoAxeViolations(page, 'forgot-password form');
    await fillByKeyboard(page, [['#email', visitor.email]], 'form.stack button[type="submit"]');
    const resetMail = await sink.waitForMail(
      (m) => m.to.includes(visitor.email) && /Atur ulang/.test(m.subject),
      120_000,
    );
    await page.goto(findLink(resetMail, /\/portal\/akun\/atur-ulang\?token=/));
    await expectNoAxeViolations(page, 'reset form');
    await fillByKeyboard(
      page,
      [
        ['#password', visitor.newPassword],
        ['#password2', visitor.newPassword],
      ],
      'form.stack button[type="submit"]',
    );
    expect(await page.textContent('[role="status"]')).toContain('Kata sandi sudah diganti');

    await fillByKeyboard(
      page,
      [
        ['#email', visitor.email],
        ['#password', visitor.password],
      ],
      'form.stack button[type="submit"]',
    );
    expect(await page.textContent('.error-summary')).toContain('E-mail atau kata sandi salah');
    await page.fill('#password', '');
    await page.focus('#password');
    await page.keyboard.type(visitor.newPassword);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe('/portal/akun');
    await page.context().close();
  }, 300_000);

  it('reads the draft criteria and comments on one criterion during the consultation', async () => {
    const page = await browser.page({ phone: true });
    await page.goto(`${base}/portal/seleksi/${consultationId}`);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/portal/seleksi/${consultationId}/konsultasi"]`)]);
    await expectNoAxeViolations(page, 'consultation page');
    await page.selectOption('#target', { label: 'Formasi Guru Ahli Pertama — Dinas Pendidikan dan Kebudayaan' });
    await page.fill('#author', 'Rina');
    await page.fill('#body', 'Mohon kuota guru matematika ditambah untuk sekolah di Medan Utara.');
    await Promise.all([page.waitForNavigation(), page.click('form.stack button[type="submit"]')]);
    expect(await page.textContent('[role="status"]')).toContain('tanggapan Anda sudah diterima');
    expect(await page.textContent('section[aria-labelledby="k-DISDIKBUD-GURU"]')).toContain('Medan Utara');
    await expectNoAxeViolations(page, 'consultation page with a comment');
    await screenshot(page, 'portal-consultation');
    await page.context().close();
  }, 180_000);

  it('reads an announcement (NIK masked) from the round page', async () => {
    const aid = `portal-e2e-a-${Date.now().toString(36)}`;
    await openRound(h.db, Date.now(), aid, { name: 'Seleksi CPNS Kota Medan 2025 — pengumuman' });
    for (const fullName of ['Siti Nurhaliza', 'Budi Santoso']) {
      const { registrationNo } = await registerCandidate(h.deps, aid, { fullName });
      await h.db
        .insertInto('verifications')
        .values({
          registration_no: registrationNo,
          stage: 'administrasi',
          result: fullName.startsWith('Siti') ? 'MS' : 'TMS',
          reviewer: 'rev.test',
          decisions: JSON.stringify([]),
          decided_at: new Date(),
        })
        .execute();
    }
    await h.db.updateTable('rounds').set({ phase: 'announcement' }).where('round_id', '=', aid).execute();
    const page = await browser.page({ phone: true });
    await page.goto(`${base}/portal/seleksi/${aid}`);
    await Promise.all([
      page.waitForNavigation(),
      page.click(`a[href="/portal/seleksi/${aid}/pengumuman/administrasi"]`),
    ]);
    const text = (await page.textContent('main'))!;
    expect(text).toContain('Siti Nurhaliza');
    expect(text).toContain('Tidak Memenuhi Syarat');
    expect(text).toMatch(/\d{4}\*{8}\d{4}/);
    await expectNoAxeViolations(page, 'announcement page');
    await screenshot(page, 'portal-announcement');
    await page.context().close();
  }, 180_000);
});
