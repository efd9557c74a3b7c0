import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import type { Db } from '../../db/connection';
import { startMailDispatcher, type Dispatcher } from '../../db/mail';
import { createUser } from '../../db/users';
import { layoutSchedule } from '../../demo/driver';
import { ApiClient } from '../../demo/http';
import { wib } from '../../demo/synthetic';
import { SANGGAH_REASON_LIMITS } from '../../domain';
import { sampleRound } from '../fixtures';
import { advanceRound } from '../helpers/advance';
import { expectNoAxeViolations, screenshot, startBrowser, type BrowserSession } from '../helpers/browser';
import { nikFor } from '../helpers/candidates';
import { findLink, startMailSink, type MailSink } from '../helpers/mail';
import { readPdf } from '../helpers/pdf';
import { devServerEnv, testDb, testWorker, uniqueTaskQueue } from '../helpers/temporal';

/**
 * A new visitor through the portal in a real browser (Debian chromium, a 360-px phone), against the
 * real stack: the API and its pages, a worker, a Temporal dev server (real time), PostgreSQL, the
 * mail outbox's dispatcher and the SMTP sink process. One continuous flow: the visitor finds the
 * formation from the home page, creates an account, confirms it from the captured mail, logs in,
 * registers, uploads, downloads the card, sees the verification result, files a sanggah, fills the
 * DRH and sees the NIP; the mails the flow produces are read from the sink. The
 * round's other actors — HR's imports and rankings, the verifikator's decisions — act through the
 * HTTP API, as the demo's driver does. The round is a simulation round (one "day" of the
 * day-counted windows lasts DAY_MS) on the demo's schedule (a week per phase from tomorrow): HR
 * advances each phase once the flow's work in it is done (issue 20), so no step waits for a clock.
 */
const DAY_MS = 60_000;
const PERAWAT = ['pas_foto', 'swafoto', 'ktp', 'ijazah', 'transkrip', 'surat_lamaran', 'str'];
const JPEG = (tag: string): Buffer =>
  Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    Buffer.from(`JFIF ${tag}`),
    Buffer.alloc(40_000, 0x11),
  ]);
const PDF = (tag: string): Buffer =>
  Buffer.concat([Buffer.from(`%PDF-1.4\n% ${tag}\n`), Buffer.alloc(120_000, 0x20), Buffer.from('\n%%EOF\n')]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let env: TestWorkflowEnvironment;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
let sink: MailSink;
let dispatcher: Dispatcher;
const taskQueue = uniqueTaskQueue('portal-e2e');

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  sink = await startMailSink();
  env = await devServerEnv();
  db = testDb();
  worker = await testWorker(env, { db }, taskQueue);
  running = worker.run();
  dispatcher = startMailDispatcher({
    db,
    smtpUrl: sink.smtpUrl,
    from: '"BKPSDM Kota Medan" <no-reply@seleksi-asn.medan.localhost>',
    pollMs: 200,
  });
  const port = await freePort();
  process.env.ASN_PUBLIC_URL = `http://127.0.0.1:${port}`; // the links in the mails point at this server
  app = await buildApp({
    deps: { db, client: env.client, connection: env.connection, taskQueue },
    rateLimit: { max: 100_000, timeWindow: 60_000 },
    bundlePath: inject('bundlePath'),
  });
  base = await app.listen({ host: '127.0.0.1', port });
  browser = await startBrowser();
}, 180_000);
afterAll(async () => {
  delete process.env.ASN_PUBLIC_URL;
  await browser?.close();
  await app?.close();
  await dispatcher?.stop();
  await sink?.stop();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.destroy();
});

/** Presses Tab until `selector` has the focus (at most `max` times). */
async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(`document.activeElement === document.querySelector(${JSON.stringify(selector)})`)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
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

/** Polls until `f` gives a value, for at most `ms` (the machine is shared: generous limits, no timing assertions). */
async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 240_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(500);
  }
}

describe('a candidate through the portal, in a real browser', () => {
  it('finds a formation, creates an account, confirms it from the mail, logs in, registers, uploads every document, downloads the card, sees the verification result, files a sanggah, fills the DRH and sees the NIP', async () => {
    const roundId = `portal-e2e-${Date.now().toString(36)}`;
    const api = new ApiClient(base, { timeoutMs: 30_000 });
    const hr = await createUser(db, { username: `${roundId}.hr`, displayName: 'Panitia', role: 'hr' });
    const rv = await createUser(db, { username: `${roundId}.v1`, displayName: 'Verifikator', role: 'reviewer' });

    const s = layoutSchedule(Date.now());
    const config = sampleRound(roundId, {
      budgetYear: 2031,
      referenceDate: '2031-08-01',
      simulation: { dayMs: DAY_MS },
      schedule: {
        ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, wib(v)])),
        sanggahDays: 1,
        jawabSanggahDays: 1,
      } as never,
    });
    await api.request('POST', '/rounds', { token: hr.token, body: config });
    await until(
      'reviewer pool set',
      async () =>
        (
          await api.request('PUT', `/rounds/${roundId}/reviewers`, {
            token: hr.token,
            body: { usernames: [rv.user.username] },
            accept: (st) => st === 404,
          })
        ).status === 200,
    );
    const advance = (from: string, reason: string) => advanceRound(api, roundId, hr.token, from, reason);
    await advance('draft', 'Rancangan kriteria diumumkan');
    await advance('consultation', 'Konsultasi publik uji selesai');
    await advance('criteria_adoption', 'Kriteria ditetapkan');

    // 0. A new visitor: the formation found from the home page; registering asks for an account.
    const birthDate = '2001-04-12';
    const nik = nikFor(birthDate, 'P');
    const email = `pelamar-${Date.now().toString(36)}@contoh.id`;
    const password = 'rahasia-panjang-sekali';
    const page = await browser.page({ phone: true, context: { acceptDownloads: true } });
    const formationPath = `/portal/seleksi/${roundId}/formasi/DINKES-PERAWAT`;
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/portal/');
    await expectNoAxeViolations(page, 'beranda');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${formationPath}"]`)]);
    expect(await page.textContent('main')).toContain('Keperawatan');
    await expectNoAxeViolations(page, 'halaman formasi');
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: /Daftar ke formasi ini/ }).click()]);
    expect(new URL(page.url()).pathname).toBe('/portal/akun/masuk');
    await expectNoAxeViolations(page, 'halaman masuk');
    await Promise.all([page.waitForNavigation(), page.click('nav >> text=Buat akun')]);
    await expectNoAxeViolations(page, 'formulir buat akun');
    await fillByKeyboard(
      page,
      [
        ['#nik', nik],
        ['#email', email],
        ['#password', password],
        ['#password2', password],
      ],
      'form.stack button[type="submit"]',
    );
    expect(new URL(page.url()).pathname).toBe('/portal/akun/masuk');
    expect(await page.textContent('[role="status"]')).toContain('tautan konfirmasi');

    // The confirmation link from the mail the SMTP sink captured; then the login page, by keyboard.
    const confirmMail = await sink.waitForMail((m) => m.to.includes(email) && /Konfirmasi/.test(m.subject), 180_000);
    const confirmLink = findLink(confirmMail, /\/portal\/akun\/konfirmasi\?token=/);
    expect(confirmLink.startsWith(base)).toBe(true);
    await page.goto(confirmLink);
    await expectNoAxeViolations(page, 'halaman konfirmasi');
    await tabTo(page, 'form.stack button[type="submit"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.textContent('[role="status"]')).toContain('sudah dikonfirmasi');
    await fillByKeyboard(
      page,
      [
        ['#email', email],
        ['#password', password],
      ],
      'form.stack button[type="submit"]',
    );
    expect(new URL(page.url()).pathname).toBe('/portal/akun');
    expect((await page.context().cookies()).find((c) => c.name === 'asn_portal')?.httpOnly).toBe(true);
    await expectNoAxeViolations(page, 'halaman akun');

    // 1. The registration form, found from the formation page; checks shown while typing.
    await page.goto(`${base}${formationPath}`);
    await page.getByRole('link', { name: /Daftar ke formasi ini/ }).click();
    await page.waitForURL(/\/daftar$/);
    await expectNoAxeViolations(page, 'formulir pendaftaran');
    await page.fill('#f-nik', `${nik.slice(0, 10)}`);
    await page.fill('#f-fullName', 'Siti Aminah Lubis');
    await until(
      'inline NIK error',
      async () => ((await page.textContent('#f-nik-error')) ?? '').includes('16 digit'),
      30_000,
    );
    await page.fill('#f-birthDate', '1990-01-01');
    await until(
      'inline age error',
      async () => /Usia \d+ tahun/.test((await page.textContent('#f-birthDate-error')) ?? ''),
      30_000,
    );
    expect(await page.getAttribute('#f-birthDate', 'aria-invalid')).toBe('true');
    await screenshot(page, 'portal-form-errors');
    await page.fill('#f-nik', nik);
    await page.fill('#f-birthDate', birthDate);
    await page.check('input[name="sex"][value="P"]');
    await page.selectOption('#f-program', 'Keperawatan');
    await page.fill('#f-ipk', '3,62');
    await until(
      'inline errors cleared',
      async () =>
        ((await page.textContent('#f-nik-error')) ?? '') === '' &&
        ((await page.textContent('#f-birthDate-error')) ?? '') === '',
      30_000,
    );
    await expectNoAxeViolations(page, 'formulir pendaftaran (terisi)');
    await screenshot(page, 'portal-form');
    // Keyboard only: the submit button is reached with Tab and pressed with Enter.
    await page.focus('#f-experienceYears');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Daftar');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/pendaftaran\/dokumen/);
    const registrationNo = (
      await db.selectFrom('applications').select('registration_no').where('nik', '=', nik).executeTakeFirstOrThrow()
    ).registration_no;
    const mailFor = (subject: RegExp) =>
      sink.waitForMail((m) => m.to.includes(email) && subject.test(m.subject), 300_000);
    const registered = await mailFor(/^Pendaftaran diterima/);
    expect(registered.subject).toBe(`Pendaftaran diterima — ${registrationNo}`);
    expect(registered.text).toContain('Perawat Ahli Pertama pada Dinas Kesehatan');

    // 2. Every document: its type and limit shown before the upload, a progress bar, then submit.
    await expectNoAxeViolations(page, 'halaman dokumen');
    expect(await page.textContent('#doc-ijazah')).toContain('Berkas PDF, paling besar 800 KB');
    for (const kind of PERAWAT) {
      const jpeg = ['pas_foto', 'swafoto', 'ktp'].includes(kind);
      await page.setInputFiles(`#file-${kind}`, {
        name: `${kind}.${jpeg ? 'jpg' : 'pdf'}`,
        mimeType: jpeg ? 'image/jpeg' : 'application/pdf',
        buffer: jpeg ? JPEG(kind) : PDF(kind),
      });
      await page.click(`form[data-kind="${kind}"] button`);
      await until(
        `${kind} uploaded`,
        async () => ((await page.textContent(`#doc-${kind}-state`)) ?? '').startsWith('Sudah diunggah'),
        60_000,
      );
      expect(await page.getAttribute(`form[data-kind="${kind}"] progress`, 'value')).toBe('100');
    }
    // A file over its kind's limit is refused in the page before it is sent.
    await page.setInputFiles('#file-pas_foto', {
      name: 'besar.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.concat([JPEG('x'), Buffer.alloc(300 * 1024)]),
    });
    await page.click('form[data-kind="pas_foto"] button');
    expect(await page.textContent('#file-pas_foto-msg')).toContain('melebihi batas 200 KB');
    await page.click('#kirim-dokumen');
    await page.waitForURL(/info=dokumen-terkirim/);
    await screenshot(page, 'portal-documents');

    // 3. The card: a PDF whose QR code reads the registration number.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('text=Unduh kartu pendaftaran (PDF)'),
    ]);
    const card = await readPdf(readFileSync((await download.path())!));
    expect(card.qr).toBe(registrationNo);
    expect(card.text).toContain('Siti Aminah Lubis');

    // 4. The verifikator finds a document wanting (through the API), after registration closes.
    await advance('registration', 'Pelamar uji sudah mendaftar dan mengirim dokumen');
    const task = await until(
      'verification task',
      async () =>
        (
          await api.getAll<{ taskId: string; registrationNo: string; kind: string }>('/tasks', { token: rv.token })
        ).find((t) => t.registrationNo === registrationNo && t.kind === 'verification'),
      120_000,
    );
    const decisions = PERAWAT.map((kind) =>
      kind === 'str' ? { kind, result: 'TMS', reason: 'STR tidak terbaca' } : { kind, result: 'MS' },
    );
    await api.request('POST', `/tasks/${task.taskId}/decision`, { token: rv.token, body: { decisions } });
    await page.goto(`${base}/portal/pendaftaran`);
    await until('TMS shown', async () => {
      await page.reload();
      return ((await page.textContent('#hasil-administrasi').catch(() => '')) ?? '').includes('Tidak Memenuhi Syarat');
    });
    expect(await page.textContent('.timeline')).toContain('STR tidak terbaca');
    expect(await page.textContent('.deadlines')).toMatch(/WIB/);
    await expectNoAxeViolations(page, 'status pendaftaran');
    await screenshot(page, 'portal-status');
    // No sanggah before the announcement; the announcement begins once every document is decided.
    await page.goto(`${base}/portal/pendaftaran/sanggah`);
    expect(await page.locator('textarea').count()).toBe(0);
    await advance('administrative_check', 'Semua dokumen uji sudah diverifikasi');
    // The result and the sanggah window are mailed with the announcement (held in the outbox till then).
    const adm = await mailFor(/^Hasil seleksi administrasi/);
    expect(adm.subject).toBe(`Hasil seleksi administrasi: Tidak Memenuhi Syarat — ${registrationNo}`);
    expect(adm.text).toContain('STR tidak terbaca');
    expect((await mailFor(/^Masa sanggah/)).subject).toBe(
      `Masa sanggah seleksi administrasi dibuka — ${registrationNo}`,
    );

    // 5. The sanggah, only inside the window (it opens with the announcement).
    await until(
      'sanggah window open',
      async () => {
        await page.goto(`${base}/portal/pendaftaran/sanggah`);
        return (await page.locator('#f-reason').count()) > 0;
      },
      60_000,
    );
    await expectNoAxeViolations(page, 'formulir sanggah');
    expect(await page.getAttribute('#f-reason', 'maxlength')).toBe(String(SANGGAH_REASON_LIMITS.max));
    await page.fill('#f-reason', 'STR saya masih berlaku sampai 2032; halaman kedua berkas memuat masa berlakunya.');
    await page.click('button:has-text("Ajukan sanggah")');
    await page.waitForURL(/info=sanggah-terkirim/);
    const appeal = await until(
      'sanggah task',
      async () =>
        (
          await api.getAll<{ taskId: string; registrationNo: string; kind: string }>('/tasks', { token: rv.token })
        ).find((t) => t.registrationNo === registrationNo && t.kind === 'sanggah'),
      120_000,
    );
    await api.request('POST', `/tasks/${appeal.taskId}/decision`, {
      token: rv.token,
      body: { accepted: true, answer: 'Masa berlaku STR terbaca di halaman kedua; dinyatakan MS.' },
    });
    const answered = await mailFor(/^Jawaban sanggah/);
    expect(answered.subject).toBe(`Jawaban sanggah seleksi administrasi: diterima — ${registrationNo}`);
    expect(answered.text).toContain('Masa berlaku STR terbaca di halaman kedua');

    /** Waits until the candidate has a row in `table` (written by the worker's activity). */
    const recorded = (what: string, table: 'skd_scores' | 'skb_results' | 'final_results') =>
      until(
        what,
        async () =>
          (await db
            .selectFrom(table)
            .select('registration_no')
            .where('registration_no', '=', registrationNo)
            .executeTakeFirst()) !== undefined,
      );

    // 6. HR: SKD, the SKB cut, SKB and the final ranking (through the API), each phase advanced once its work is done.
    await advance('announcement', 'Sanggah uji sudah dijawab; peserta SKD ditetapkan');
    await api.request('POST', `/rounds/${roundId}/imports/skd`, {
      token: hr.token,
      raw: { data: `registration_no,twk,tiu,tkp\n${registrationNo},120,110,190`, contentType: 'text/csv' },
    });
    await recorded('SKD recorded', 'skd_scores');
    await api.post(`/rounds/${roundId}/rankings/skb_selection`, {}, { token: hr.token });
    await recorded('SKB selection recorded', 'skb_results');
    await advance('skd', 'Nilai SKD diimpor dan peserta SKB ditetapkan');
    await api.request('POST', `/rounds/${roundId}/imports/skb`, {
      token: hr.token,
      raw: { data: `registration_no,skb,interview\n${registrationNo},420,`, contentType: 'text/csv' },
    });
    await until(
      'SKB score recorded',
      async () =>
        (
          await db
            .selectFrom('skb_results')
            .select('score')
            .where('registration_no', '=', registrationNo)
            .executeTakeFirst()
        )?.score != null,
    );
    await api.post(`/rounds/${roundId}/rankings/final`, {}, { token: hr.token });
    await recorded('final result recorded', 'final_results');
    await advance('skb', 'Nilai SKB diimpor dan hasil akhir ditetapkan');

    // 7. The DRH, then the NIP.
    await until('DRH open', async () => {
      await page.goto(`${base}/portal/pendaftaran`);
      return (await page.locator('a:has-text("Isi DRH")').count()) > 0;
    });
    await page.click('a:has-text("Isi DRH")');
    await expectNoAxeViolations(page, 'formulir DRH');
    await page.fill('#f-identitas-tempatLahir', 'Medan');
    await page.selectOption('#f-identitas-agama', 'islam');
    await page.selectOption('#f-identitas-statusPerkawinan', 'belum_kawin');
    await page.fill('#f-identitas-nomorHp', '0812 3456 7890');
    await page.fill('#f-identitas-alamat-jalan', 'Jl. Sisingamangaraja No. 12');
    await page.fill('#f-identitas-alamat-kelurahan', 'Teladan Barat');
    await page.fill('#f-identitas-alamat-kecamatan', 'Medan Kota');
    await page.fill('#f-identitas-alamat-kabupatenKota', 'Kota Medan');
    await page.fill('#f-identitas-alamat-provinsi', 'Sumatera Utara');
    await page.fill('#f-pendidikan-0-namaInstitusi', 'Universitas Sumatera Utara');
    await page.fill('#f-pendidikan-0-tahunLulus', '2023');
    await page.fill('#f-keluarga-ayah-nama', 'Ahmad Lubis');
    await page.fill('#f-keluarga-ibu-nama', 'Rahmah Siregar');
    // First without the statement: the page says what is missing, keeps what was typed.
    await page.click('button:has-text("Simpan DRH")');
    await until(
      'DRH error shown',
      async () => ((await page.textContent('#ringkasan-kesalahan').catch(() => '')) ?? '').includes('pernyataan'),
      30_000,
    );
    expect(await page.inputValue('#f-identitas-tempatLahir')).toBe('Medan');
    await page.check('#f-pernyataan');
    await expectNoAxeViolations(page, 'formulir DRH (terisi)');
    await screenshot(page, 'portal-drh');
    await page.click('button:has-text("Simpan DRH")');
    await page.waitForURL(/info=drh-terkirim/);
    const nip = await until('NIP shown', async () => {
      await page.goto(`${base}/portal/pendaftaran`);
      return (await page.locator('#nip').count()) > 0 && (await page.textContent('#nip'))!.trim();
    });
    expect(nip).toMatch(/^\d{18}$/);
    expect(nip.slice(0, 8)).toBe('20010412');
    expect((await mailFor(/^Hasil SKD/)).subject).toBe(`Hasil SKD: memenuhi nilai ambang batas — ${registrationNo}`);
    expect((await mailFor(/^Lolos ke SKB/)).subject).toBe(`Lolos ke SKB — ${registrationNo}`);
    expect((await mailFor(/^Hasil akhir seleksi/)).subject).toBe(`Hasil akhir seleksi: LULUS — ${registrationNo}`);
    const appointed = await mailFor(/^NIP dan SK CPNS/);
    expect(appointed.text).toContain(`NIP: ${nip}`);
    // Each mail once (the DRH reminder may or may not have gone out before the DRH: not asserted).
    const all = (await sink.messages(email)).filter((m) => !m.subject.startsWith('Pengingat'));
    expect(all.map((m) => m.subject.split(' — ')[0]).sort()).toEqual(
      [
        'Hasil SKD: memenuhi nilai ambang batas',
        'Hasil akhir seleksi: LULUS',
        'Hasil seleksi administrasi: Tidak Memenuhi Syarat',
        'Jawaban sanggah seleksi administrasi: diterima',
        'Konfirmasi akun portal seleksi ASN',
        'Lolos ke SKB',
        'Masa sanggah seleksi administrasi dibuka',
        'NIP dan SK CPNS ditetapkan',
        'Pendaftaran diterima',
      ].sort(),
    );
    expect(all.every((m) => m.duplicates === 0)).toBe(true);
    await screenshot(page, 'portal-status-nip');
  }, 900_000);
});
