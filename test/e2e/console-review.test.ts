import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import PDFDocument from 'pdfkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import type { ServiceDeps } from '../../api/services/deps';
import { storeDocument, submitDocuments } from '../../api/services/documents';
import { hashPassword } from '../../db/accounts';
import type { Db } from '../../db/connection';
import { setStaffPassword } from '../../db/staff';
import { createUser } from '../../db/users';
import { layoutSchedule } from '../../demo/driver';
import { ApiClient } from '../../demo/http';
import { wib } from '../../demo/synthetic';
import { sampleRound } from '../fixtures';
import { advanceRound } from '../helpers/advance';
import { expectNoAxeViolations, screenshot, startBrowser, type BrowserSession } from '../helpers/browser';
import { registration } from '../helpers/candidates';
import { devServerEnv, testDb, testWorker, uniqueTaskQueue } from '../helpers/temporal';

/**
 * The staff console in a real browser (Debian chromium) against the real stack (the API and its
 * pages, a worker, a Temporal dev server in real time, PostgreSQL): HR signs in and creates two
 * reviewers; the first reviewer signs in (changing the initial password), opens the inbox and the
 * task, sees the uploaded ijazah PDF inline beside the declared data and decides TMS with a
 * standard reason; the candidate files a sanggah through the API; the second reviewer — not the
 * one who decided — answers it. axe-core on every staff page; screenshots in docs/screenshots.
 */
const DAY_MS = 25_000;
const PERAWAT = ['pas_foto', 'swafoto', 'ktp', 'ijazah', 'transkrip', 'surat_lamaran', 'str'];
const PASSWORD = 'sandi-petugas-awal-1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A real, readable PDF (pdfkit), so the inline viewer has something to show. */
function pdf(title: string, lines: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56 });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(22).text(title, { align: 'center' }).moveDown();
    doc.fontSize(13);
    for (const l of lines) doc.text(l).moveDown(0.5);
    doc.end();
  });
}
/** A real JPEG drawn by the browser itself (a card with a caption), so the page shows a picture. */
async function jpeg(caption: string): Promise<Buffer> {
  const p = await browser.page({ context: { viewport: { width: 420, height: 260 } } });
  await p.setContent(
    `<body style="margin:0;font:20px sans-serif;background:#dfe9f3"><div style="margin:20px;padding:20px;border:3px solid #0b4f8a;border-radius:12px;background:#fff;height:170px">${caption}</div></body>`,
  );
  const out = await p.screenshot({ type: 'jpeg', quality: 70 });
  await p.context().close();
  return out;
}

let env: TestWorkflowEnvironment;
let db: Db;
let worker: Worker;
let running: Promise<void>;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
let deps: ServiceDeps;
const taskQueue = uniqueTaskQueue('console-e2e');

beforeAll(async () => {
  env = await devServerEnv();
  db = testDb();
  worker = await testWorker(env, { db }, taskQueue);
  running = worker.run();
  deps = { db, client: env.client, connection: env.connection, taskQueue } as ServiceDeps;
  app = await buildApp({ deps, rateLimit: { max: 100_000, timeWindow: 60_000 }, bundlePath: inject('bundlePath') });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await startBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.destroy();
});

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 240_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(500);
  }
}

const textOf = async (l: import('playwright-core').Locator): Promise<string> =>
  (await l.innerText()).replace(/\s+/g, ' ');

/** Signs a staff user in on the console's login page (from a console URL: the redirect and back). */
async function signIn(page: Page, username: string, password: string, path = '/portal/konsol'): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.waitForURL(/\/portal\/konsol\/masuk/);
  await expectNoAxeViolations(page, 'halaman masuk konsol');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button:has-text("Masuk")');
}

/** First sign-in: the initial password must be changed before anything else. */
async function changeInitialPassword(page: Page, newPassword: string): Promise<void> {
  await page.waitForURL(/\/portal\/konsol\/sandi/);
  await expectNoAxeViolations(page, 'ganti kata sandi');
  await page.fill('#current', PASSWORD);
  await page.fill('#password', newPassword);
  await page.fill('#password2', newPassword);
  await page.click('button:has-text("Simpan kata sandi")');
  await page.waitForURL(/\/portal\/konsol\?info=sandi-diganti/);
}

/**
 * Opens a task page and waits for every inline PDF frame's response (the frame's navigation, or
 * the PDF viewer's own fetch of the same URL: the first that carries its headers); by document kind.
 */
async function openTask(
  page: Page,
  href: string,
): Promise<Map<string, { status: number; headers: Record<string, string> }>> {
  const seen = new Map<string, { status: number; headers: Record<string, string> }[]>();
  const pending: Promise<void>[] = [];
  const listener = (r: import('playwright-core').Response): void => {
    if (!r.url().includes('/portal/konsol/dokumen/')) return;
    const id = r.url().split('/').pop()!;
    pending.push(
      r.allHeaders().then((headers) => void seen.set(id, [...(seen.get(id) ?? []), { status: r.status(), headers }])),
    );
  };
  page.on('response', listener);
  await page.goto(href);
  const frames = await page.locator('iframe.doc-frame').evaluateAll((els) =>
    els.map((e) => ({
      kind: e.getAttribute('data-kind')!,
      id: (e as unknown as { src: string }).src.split('/').pop()!,
    })),
  );
  // Scroll each lazy frame into view so it loads.
  for (const f of frames) await page.locator(`iframe[data-kind="${f.kind}"]`).scrollIntoViewIfNeeded();
  const best = (id: string) => seen.get(id)?.find((x) => x.headers['content-type']) ?? seen.get(id)?.[0];
  await until(
    'every PDF frame loaded',
    async () => {
      await Promise.all(pending);
      return frames.every((f) => best(f.id)?.headers['content-type']);
    },
    60_000,
  ).catch(() => undefined); // the assertions below say what is missing
  page.off('response', listener);
  await page.evaluate('window.scrollTo(0, 0)');
  return new Map(frames.map((f) => [f.kind, best(f.id) ?? { status: 0, headers: {} }]));
}

describe('the staff console in a real browser', () => {
  it('HR creates reviewers; one verifies a candidate while looking at the uploaded PDF; a second reviewer answers the sanggah', async () => {
    const roundId = `console-e2e-${Date.now().toString(36)}`;
    const api = new ApiClient(base, { timeoutMs: 30_000 });
    const hr = await createUser(db, { username: `${roundId}.sdm`, displayName: 'Rina Siregar (SDM)', role: 'hr' });
    await setStaffPassword(db, hr.user.userId, await hashPassword('sandi-sdm-yang-panjang'), { initial: false });

    // 1. HR signs in and creates two reviewers on the user page.
    const hrPage = await browser.page();
    await signIn(hrPage, hr.user.username, 'sandi-sdm-yang-panjang');
    await hrPage.waitForURL(/\/portal\/konsol$/);
    await expectNoAxeViolations(hrPage, 'beranda konsol (SDM)');
    await hrPage.click('a:has-text("Pengguna petugas")');
    await hrPage.waitForURL(/\/konsol\/pengguna$/);
    await expectNoAxeViolations(hrPage, 'pengguna petugas');
    const reviewerNames = [`${roundId}.va`, `${roundId}.vb`];
    for (const [k, username] of reviewerNames.entries()) {
      await hrPage.fill('#username', username);
      await hrPage.fill('#displayName', k === 0 ? 'Andi Nasution' : 'Butet Simanjuntak');
      await hrPage.selectOption('#role', 'reviewer');
      await hrPage.fill('form.stack #password', PASSWORD);
      await hrPage.fill('#password2', PASSWORD);
      await hrPage.click('button:has-text("Tambah pengguna")');
      await hrPage.waitForURL(/info=pengguna-dibuat/);
    }
    expect(await textOf(hrPage.locator('table'))).toContain(reviewerNames[1]!);
    await expectNoAxeViolations(hrPage, 'pengguna petugas (setelah tambah)');
    await screenshot(hrPage, 'console-users');

    // 2. A round with both in its pool; a candidate registers (API) and uploads every document.
    // The demo's schedule (a week per phase from tomorrow): HR advances each phase once its work is done.
    const s = layoutSchedule(Date.now());
    const config = sampleRound(roundId, {
      budgetYear: 2032,
      referenceDate: '2032-08-01',
      simulation: { dayMs: DAY_MS },
      schedule: {
        ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, wib(v)])),
        sanggahDays: 1,
        jawabSanggahDays: 2,
      } as never,
    });
    await api.request('POST', '/rounds', { token: hr.token, body: config });
    await until(
      'reviewer pool set',
      async () =>
        (
          await api.request('PUT', `/rounds/${roundId}/reviewers`, {
            token: hr.token,
            body: { usernames: reviewerNames },
            accept: (st) => st === 404,
          })
        ).status === 200,
    );
    const advance = (from: string, reason: string) => advanceRound(api, roundId, hr.token, from, reason);
    await advance('draft', 'Rancangan kriteria diumumkan');
    await advance('consultation', 'Konsultasi publik uji selesai');
    await advance('criteria_adoption', 'Kriteria ditetapkan');
    const reg = registration({ fullName: 'Siti Aminah Lubis', birthDate: '2001-04-12' });
    const created = (
      await api.request<{ registrationNo: string; token: string }>('POST', `/rounds/${roundId}/registrations`, {
        body: reg,
        retryForMs: 30_000,
      })
    ).body;
    const { registrationNo, token: candidateToken } = created;
    const ids: string[] = [];
    for (const kind of PERAWAT) {
      const content = ['pas_foto', 'swafoto', 'ktp'].includes(kind)
        ? await jpeg(
            `${kind === 'ktp' ? 'KARTU TANDA PENDUDUK<br>NIK ' + reg.nik : kind === 'pas_foto' ? 'Pas foto' : 'Swafoto dengan KTP'}<br>Siti Aminah Lubis`,
          )
        : await pdf(
            kind === 'ijazah' ? 'IJAZAH' : kind.toUpperCase(),
            kind === 'ijazah'
              ? [
                  'Universitas Sumatera Utara',
                  'menyatakan bahwa',
                  'Siti Aminah Lubis',
                  'lahir di Medan, 12 April 2001',
                  'telah menyelesaikan Program Studi D3 Kebidanan',
                  'dengan IPK 3,51',
                  `(contoh untuk uji konsol — ${registrationNo})`,
                ]
              : [`Dokumen ${kind} pelamar ${registrationNo}`],
          );
      ids.push((await storeDocument(deps, registrationNo, kind, content)).documentId);
    }
    await until(
      'documents submitted',
      async () =>
        submitDocuments(deps, registrationNo, ids).then(
          () => true,
          () => false,
        ),
      60_000,
    );
    await advance('registration', 'Pelamar uji sudah mendaftar dan mengirim dokumen');

    // 3. Registration closes: the task goes to one of the pool (both idle: the first by username).
    const task = await until(
      'verification task',
      async () =>
        db
          .selectFrom('tasks')
          .select(['task_id', 'reviewer'])
          .where('registration_no', '=', registrationNo)
          .where('kind', '=', 'verification')
          .executeTakeFirst(),
      120_000,
    );
    expect(task.reviewer).toBe(reviewerNames[0]);
    const [first, second] = reviewerNames as [string, string];

    // 4. The first reviewer signs in, changes the initial password, opens the inbox and the task.
    const rv = await browser.page();
    await signIn(rv, first, PASSWORD, '/portal/konsol/tugas');
    await changeInitialPassword(rv, 'sandi-peninjau-baru-1');
    await rv.click('a:has-text("Tugas saya")');
    await rv.waitForURL(/\/konsol\/tugas$/);
    expect(await textOf(rv.locator('ul.counts'))).toContain('1 terbuka');
    await expectNoAxeViolations(rv, 'kotak tugas peninjau');
    await screenshot(rv, 'console-inbox');
    const href = await rv.locator('table a', { hasText: 'Siti Aminah Lubis' }).getAttribute('href');
    const docs = await openTask(rv, `${base}${href}`);
    expect([...docs.keys()].sort()).toEqual(['ijazah', 'str', 'surat_lamaran', 'transkrip']);
    const ijazah = docs.get('ijazah')!;
    expect(ijazah.status).toBe(200);
    expect(ijazah.headers['content-type']).toBe('application/pdf');
    expect(ijazah.headers['cache-control']).toBe('no-store');
    expect(ijazah.headers['x-content-type-options']).toBe('nosniff');
    expect(ijazah.headers['content-disposition']).toMatch(/^inline/);
    // The photos load as images.
    expect(
      await rv
        .locator('img.doc-image[data-kind="ktp"]')
        .evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    const photo = await rv.evaluate(
      async (src) => {
        const r = await fetch(src);
        return { status: r.status, type: r.headers.get('content-type') };
      },
      (await rv.locator('img.doc-image[data-kind="ktp"]').getAttribute('src'))!,
    );
    expect(photo).toEqual({ status: 200, type: 'image/jpeg' });
    // Beside the documents: what the candidate declared and what the formation requires.
    const declared = rv.locator('section.declared');
    for (const text of [
      'Siti Aminah Lubis',
      '12 April 2001',
      'S1',
      'Keperawatan',
      '3,51',
      'Umum',
      'Program studi yang diterima',
    ])
      expect(await textOf(declared)).toContain(text);
    await expectNoAxeViolations(rv, 'halaman tugas verifikasi');
    await screenshot(rv, 'console-task');

    // 5. TMS on the ijazah with a standard reason plus free text, MS on the rest; keyboard-submittable form.
    for (const kind of PERAWAT)
      await rv.check(`input[name="result_${kind}"][value="${kind === 'ijazah' ? 'TMS' : 'MS'}"]`);
    await rv.selectOption('#reason_ijazah', 'Ijazah tidak sesuai kualifikasi pendidikan formasi');
    await rv.fill('#note_ijazah', 'Ijazah D3 Kebidanan, formasi meminta S1 Keperawatan');
    await rv.focus('#note_ijazah');
    await rv.keyboard.press('Tab');
    await rv.keyboard.press('Enter');
    await rv.waitForURL(/info=keputusan-tersimpan-habis/);
    expect(await textOf(rv.locator('ul.counts'))).toContain('0 terbuka');
    const verification = await db
      .selectFrom('verifications')
      .select(['result', 'reviewer', 'decisions'])
      .where('registration_no', '=', registrationNo)
      .executeTakeFirstOrThrow();
    expect(verification).toMatchObject({ result: 'TMS', reviewer: first });
    expect(
      (verification.decisions as { kind: string; reason?: string }[]).find((d) => d.kind === 'ijazah')?.reason,
    ).toBe('Ijazah tidak sesuai kualifikasi pendidikan formasi — Ijazah D3 Kebidanan, formasi meminta S1 Keperawatan');

    // 6. The second reviewer has no task on this candidate yet: the documents are refused.
    const rv2 = await browser.page();
    await signIn(rv2, second, PASSWORD);
    await changeInitialPassword(rv2, 'sandi-peninjau-baru-2');
    const refused = await rv2.evaluate(
      async (src) => (await fetch(src)).status,
      `${base}/portal/konsol/dokumen/${ids[3]}`,
    );
    expect(refused).toBe(403);

    // 7. The candidate files a sanggah through the API once the announcement opens the window.
    await advance('administrative_check', 'Semua dokumen uji sudah diverifikasi');
    await until(
      'sanggah filed',
      async () => {
        const r = await api.request('POST', `/registrations/${registrationNo}/sanggah`, {
          token: candidateToken,
          body: {
            reason:
              'Ijazah saya S1 Keperawatan; berkas D3 yang terbaca adalah halaman lampiran. Mohon diperiksa kembali.',
          },
          accept: (st) => st === 409 || st === 422,
        });
        return r.status === 200;
      },
      120_000,
    );

    // 8. After the window: the sanggah goes to the second reviewer, not the one who decided.
    const appeal = await until(
      'sanggah task',
      async () =>
        db
          .selectFrom('tasks')
          .select(['task_id', 'reviewer'])
          .where('registration_no', '=', registrationNo)
          .where('kind', '=', 'sanggah')
          .executeTakeFirst(),
      DAY_MS * 2 + 120_000,
    );
    expect(appeal.reviewer).toBe(second);
    await rv2.goto(`${base}/portal/konsol/tugas`);
    await expectNoAxeViolations(rv2, 'kotak tugas peninjau kedua');
    const href2 = await rv2.locator('table a', { hasText: 'Siti Aminah Lubis' }).getAttribute('href');
    const docs2 = await openTask(rv2, `${base}${href2}`);
    expect(docs2.get('ijazah')).toMatchObject({ status: 200, headers: { 'content-type': 'application/pdf' } });
    expect(await textOf(rv2.locator('blockquote.sanggah'))).toContain('halaman lampiran');
    expect(await textOf(rv2.locator('section.declared'))).toContain(`TMS oleh ${first}`);
    await expectNoAxeViolations(rv2, 'halaman tugas jawab sanggah');
    await screenshot(rv2, 'console-sanggah');
    await rv2.check('input[name="accepted"][value="ya"]');
    await rv2.fill('#answer', 'Halaman utama ijazah menunjukkan S1 Keperawatan; keputusan TMS dikoreksi menjadi MS.');
    await rv2.click('button:has-text("Simpan jawaban")');
    await rv2.waitForURL(/info=keputusan-tersimpan/);
    const answered = await until(
      'sanggah answered',
      async () =>
        db
          .selectFrom('sanggah')
          .select(['answered_by', 'accepted'])
          .where('registration_no', '=', registrationNo)
          .where('answered_at', 'is not', null)
          .executeTakeFirst(),
      60_000,
    );
    expect(answered).toEqual({ answered_by: second, accepted: true });

    // A task that the process's end cancelled (undoLeftovers, when a lost workflow task had left it
    // open) says so on its page, and offers no decision form. The status is set here as the end
    // sets it: that path needs a worker killed inside a workflow task (the fault run covers it).
    await db.updateTable('tasks').set({ status: 'cancelled' }).where('task_id', '=', appeal.task_id).execute();
    await rv2.goto(`${base}${href2}`);
    expect(await textOf(rv2.locator('p.meta').first())).toContain(
      'status dibatalkan (proses pendaftaran sudah selesai)',
    );
    expect(await textOf(rv2.locator('#tugas-dibatalkan'))).toContain('tidak ada keputusan yang perlu diambil');
    expect(await rv2.locator('form.decision').count()).toBe(0);
    await expectNoAxeViolations(rv2, 'halaman tugas yang dibatalkan');
    await screenshot(rv2, 'console-task-cancelled');

    // The first reviewer cannot decide the second one's task (server-side check), nor see HR's page.
    const forbidden = await rv.goto(`${base}/portal/konsol/pengguna`);
    expect(forbidden?.status()).toBe(403);
  }, 900_000);
});
