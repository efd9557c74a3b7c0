import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { dataConverter } from '../../config/codec';
import { examStateQuery, examWorkflowId, type ExamSessionState } from '../../contracts';
import type { Db } from '../../db/connection';
import { createSession } from '../../db/sessions';
import { createUser } from '../../db/users';
import { scoreExam, skdTotal, type ExamSubtest } from '../../domain';
import { expectNoAxeViolations, screenshot, startBrowser, type BrowserSession } from '../helpers/browser';
import { spawnTs, type Spawned } from '../helpers/processes';
import { devServerEnv, testDb, uniqueTaskQueue } from '../helpers/temporal';
import { SESSION_COOKIE } from '../../web/session';
import { examParticipants } from './fixtures/exam-participants';

/**
 * A whole online SKD session in a real browser (Debian chromium, a 360-px phone) against the real
 * stack: the API and its pages in this process, the worker as a child process (so it can be
 * SIGKILLed), a Temporal dev server, PostgreSQL. A small configured exam (2 items per subtest,
 * 3 minutes). Candidate A answers, loses the network while answering, reloads (the clock goes on
 * from the server's deadline), answers while the worker is dead (SIGKILL, then a new worker), is
 * refused on a second device, takes over there after the confirmation (the first device is then
 * locked), and submits after the confirmation: the score shown equals the domain's scoring of the
 * answers given, and the session's state holds every one of them. Candidate B starts and is
 * submitted by the timer. Both histories replay; the proctor's page lists both with their events.
 */
const ITEMS: Record<ExamSubtest, number> = { twk: 2, tiu: 2, tkp: 2 };
const DURATION_MIN = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let env: TestWorkflowEnvironment;
let db: Db;
let app: FastifyInstance;
let base: string;
let browser: BrowserSession;
const workers: Spawned[] = [];
const taskQueue = uniqueTaskQueue('exam-e2e');

function startWorker(): Spawned {
  const w = spawnTs('worker/main.ts', {
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: taskQueue,
    ASN_WORKFLOW_BUNDLE: inject('bundlePath'),
  });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  env = await devServerEnv();
  db = testDb();
  await startWorker().waitFor('WORKER_READY', 120_000);
  app = await buildApp({
    deps: { db, client: env.client, connection: env.connection, taskQueue },
    rateLimit: { max: 100_000, timeWindow: 60_000 },
    bundlePath: inject('bundlePath'),
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await startBrowser();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  for (const w of workers) await w.kill('SIGKILL');
  await env?.teardown();
  await db?.destroy();
});

/** A browser context signed in as `userId` (a portal session cookie, as the login page sets it). */
async function signedIn(userId: string, phone = true): Promise<{ context: BrowserContext; page: Page }> {
  const page = await browser.page({ phone });
  const { sessionId } = await createSession(db, userId, { ttlMs: 3_600_000 });
  await page
    .context()
    .addCookies([{ name: SESSION_COOKIE, value: sessionId, url: `${base}/portal/`, httpOnly: true, sameSite: 'Lax' }]);
  return { context: page.context(), page };
}

/** Polls until `f` gives a value (the machine is shared: generous limits, no timing assertions). */
async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(300);
  }
}

const secondsLeft = async (page: Page): Promise<number> =>
  Number(await page.getAttribute('#sisa-waktu', 'data-seconds'));
const saved = async (page: Page): Promise<boolean> => (await page.getAttribute('#status-simpan', 'data-kind')) === 'ok';

/**
 * The page's clock is the server's: within 2 s (rounding, one request's latency) of the session's
 * deadline as the workflow holds it, which was set once at the start and never moves.
 */
async function expectServerClock(page: Page, registrationNo: string): Promise<void> {
  const st = await sessionState(registrationNo);
  const serverLeft = (Date.parse(st.deadline!) - Date.now()) / 1000;
  expect(Math.abs((await secondsLeft(page)) - serverLeft)).toBeLessThanOrEqual(2);
  expect(Date.parse(st.deadline!) - Date.parse(st.startedAt!)).toBe(DURATION_MIN * 60_000);
}

/** Picks option `optionId` on the item on screen; returns the item's id. */
async function answer(page: Page, optionId: string): Promise<string> {
  const sec = page.locator('section.soal:not([hidden])');
  const itemId = (await sec.getAttribute('data-item'))!;
  await sec.locator(`input[type="radio"][value="${optionId}"]`).check();
  return itemId;
}
const next = (page: Page): Promise<void> => page.locator('section.soal:not([hidden]) button[data-go="next"]').click();

async function sessionIdOf(registrationNo: string): Promise<string> {
  const row = await db
    .selectFrom('exam_sessions')
    .select('session_id')
    .where('registration_no', '=', registrationNo)
    .executeTakeFirstOrThrow();
  return row.session_id;
}
async function sessionState(registrationNo: string): Promise<ExamSessionState> {
  return env.client.workflow.getHandle(examWorkflowId(await sessionIdOf(registrationNo))).query(examStateQuery);
}

describe('an online SKD session in a real browser', () => {
  it('survives a network loss, a reload and a worker SIGKILL without losing an answer or resetting the clock; refuses a second device until the confirmed takeover; scores as the domain does; the timer submits by itself; histories replay; the proctor sees it all', async () => {
    const roundId = `exam-e2e-${Date.now().toString(36)}`;
    const hr = await createUser(db, { username: `${roundId}.hr`, displayName: 'Panitia Ujian', role: 'hr' });
    const { a, b, c, keys } = await examParticipants(
      { db, client: env.client, connection: env.connection, taskQueue },
      { roundId, items: ITEMS, durationMinutes: DURATION_MIN },
    );
    const keyOf = new Map(keys.map((k) => [k.itemId, k]));
    /** The option a test "candidate" picks for an item: the right one for even positions, another for odd ones. */
    const choose = (itemId: string, i: number): string => {
      const pts = Object.entries(keyOf.get(itemId)!.points).sort((x, y) => y[1] - x[1]);
      return (i % 2 === 0 ? pts[0] : pts[pts.length - 1])![0];
    };

    // ---- B starts first and never submits: the timer ends B's session. ----
    const B = await signedIn(b.userId);
    await B.page.goto(`${base}/portal/ujian`);
    await Promise.all([B.page.waitForNavigation(), B.page.getByRole('button', { name: 'Mulai ujian' }).click()]);
    const bFirst = await B.page.locator('section.soal:not([hidden])').getAttribute('data-item');
    const bAnswers: Record<string, string> = { [bFirst!]: choose(bFirst!, 0) };
    await answer(B.page, bAnswers[bFirst!]!);
    await until('B saved', () => saved(B.page), 30_000);

    // ---- A: the start page, then the first items. ----
    const A = await signedIn(a.userId);
    await A.page.goto(`${base}/portal/ujian`);
    await expectNoAxeViolations(A.page, 'halaman mulai ujian');
    await Promise.all([A.page.waitForNavigation(), A.page.getByRole('button', { name: 'Mulai ujian' }).click()]);
    expect(await A.page.locator('section.soal').count()).toBe(6);
    expect(await A.page.content()).not.toMatch(/points|"key"/);
    await expectNoAxeViolations(A.page, 'halaman ujian');
    const given: Record<string, string> = {};
    let i = 0;
    const answerNext = async (page: Page): Promise<void> => {
      const sec = page.locator('section.soal:not([hidden])');
      const itemId = (await sec.getAttribute('data-item'))!;
      given[itemId] = choose(itemId, i);
      await answer(page, given[itemId]!);
      i += 1;
      if (i < 6) await next(page);
    };
    await answerNext(A.page);
    await A.page.locator('section.soal:not([hidden]) label.ragu').click(); // flag item 2 before answering it
    await answerNext(A.page);
    await until('A saved', () => saved(A.page), 30_000);
    // Integrity: a copy attempt and a focus loss.
    await A.page.evaluate(
      "document.dispatchEvent(new Event('copy', { bubbles: true, cancelable: true })); window.dispatchEvent(new Event('blur'))",
    );

    // ---- The network goes away while answering: the answer is queued, then sent. ----
    await A.context.setOffline(true);
    await answerNext(A.page);
    await until(
      'offline shown',
      async () => (await A.page.textContent('#status-simpan'))?.includes('Koneksi terputus'),
      30_000,
    );
    await screenshot(A.page, 'exam-offline');
    await A.context.setOffline(false);
    await until('A saved after the network came back', () => saved(A.page), 60_000);

    // ---- Reload: the server's answers and clock, never reset. ----
    const before = await secondsLeft(A.page);
    const t0 = Date.now();
    await A.page.reload();
    const after = await secondsLeft(A.page);
    const elapsed = (Date.now() - t0) / 1000;
    expect(Math.abs(after - (before - elapsed))).toBeLessThanOrEqual(3);
    await expectServerClock(A.page, a.registrationNo);
    expect(await A.page.locator('.exam-grid a[data-answered="1"]').count()).toBe(3);
    expect(await A.page.locator('.exam-grid a[data-flagged="1"]').count()).toBe(1);

    // ---- The worker is SIGKILLed; the candidate answers on; a new worker takes the queue. ----
    await A.page.locator('.exam-grid a').nth(3).click();
    await workers[0]!.kill('SIGKILL');
    await answerNext(A.page);
    await sleep(4_000); // a batch or two fails while no worker runs
    expect(await saved(A.page)).toBe(false);
    await startWorker().waitFor('WORKER_READY', 120_000);
    await until('A saved after the new worker started', () => saved(A.page), 90_000);
    await expectServerClock(A.page, a.registrationNo); // the clock ran on while no worker did

    // ---- A second device is refused, then takes over after the confirmation; the first is locked. ----
    const A2 = await signedIn(a.userId);
    const refused = await A2.page.goto(`${base}/portal/ujian`);
    expect(refused?.status()).toBe(409);
    expect(await A2.page.textContent('main')).toContain('sedang dikerjakan di perangkat lain');
    await expectNoAxeViolations(A2.page, 'penolakan perangkat kedua');
    await screenshot(A2.page, 'exam-second-device');
    await A2.page.getByLabel(/Saya memindahkan ujian ke perangkat ini/).check();
    await Promise.all([
      A2.page.waitForNavigation(),
      A2.page.getByRole('button', { name: 'Pindahkan ujian ke perangkat ini' }).click(),
    ]);
    expect(await A2.page.locator('section.soal').count()).toBe(6);
    await expectServerClock(A2.page, a.registrationNo);
    expect(await A2.page.locator('.exam-grid a[data-answered="1"]').count()).toBe(4);
    await A.page.locator('section.soal:not([hidden]) input[type="radio"]').first().check();
    await until(
      'the first device locked',
      async () => (await A.page.textContent('#status-simpan'))?.includes('perangkat lain'),
      30_000,
    );

    // ---- A finishes on the second device and submits after the confirmation. ----
    await A2.page.locator('.exam-grid a').nth(4).click();
    await answerNext(A2.page);
    await answerNext(A2.page);
    await until('A2 saved', () => saved(A2.page), 30_000);
    await screenshot(A2.page, 'exam-session');
    await A2.page.getByRole('button', { name: 'Akhiri ujian' }).click();
    expect(await A2.page.textContent('#konfirmasi-isi')).toContain('Belum dijawab: 0 soal');
    await expectNoAxeViolations(A2.page, 'konfirmasi akhiri ujian');
    await Promise.all([A2.page.waitForNavigation(), A2.page.getByRole('button', { name: 'Ya, akhiri ujian' }).click()]);
    const expected = scoreExam(keys, given);
    expect(Number(await A2.page.textContent('#skor-total'))).toBe(skdTotal(expected));
    for (const k of ['twk', 'tiu', 'tkp'] as const)
      expect(Number(await A2.page.textContent(`td[data-subtest="${k}"]`))).toBe(expected[k]);
    await expectNoAxeViolations(A2.page, 'hasil ujian');
    await screenshot(A2.page, 'exam-result');
    const aState = await sessionState(a.registrationNo);
    expect(aState.answers).toEqual(given); // no answer lost
    expect(aState.endedBy).toBe('submit');
    expect(aState.takeovers).toBe(1);

    const kinds = new Set(aState.integrity.map((e) => e.kind));
    for (const k of ['copy', 'focus_lost', 'offline', 'online'] as const) expect(kinds).toContain(k);

    // ---- The proctor's page, refreshing by itself: A submitted, B running (or already ended), C not started. ----
    const P = await signedIn(hr.user.userId, false); // staff work at a desk
    await P.page.goto(`${base}/portal/konsol/ujian?seleksi=${roundId}`);
    const aSession = await sessionIdOf(a.registrationNo);
    const bSession = await sessionIdOf(b.registrationNo);
    const cSession = await sessionIdOf(c.registrationNo);
    const row = async (id: string) => P.page.locator(`tr[data-session="${id}"]`);
    const rowA = await row(aSession);
    expect(await rowA.getAttribute('data-state')).toBe('submitted');
    expect(await rowA.textContent()).toMatch(/mencoba menyalin/);
    expect(await rowA.textContent()).toMatch(/meninggalkan halaman ujian/);
    expect(await rowA.textContent()).toMatch(/6 \/ 6/);
    expect(await rowA.textContent()).toMatch(/pindah perangkat 1×/);
    expect(await (await row(cSession)).getAttribute('data-state')).toBe('waiting');
    expect(['in_progress', 'expired']).toContain(await (await row(bSession)).getAttribute('data-state'));
    await expectNoAxeViolations(P.page, 'pengawasan ujian');
    await screenshot(P.page, 'exam-proctor');
    const asOf = await P.page.textContent('#pengawasan-waktu');

    // ---- B: the timer submits; B's page shows the score of B's one answer; the proctor's table follows without a reload. ----
    await until(
      'B ended by the timer',
      async () => (await B.page.textContent('main'))?.includes('Waktu ujian habis'),
      240_000,
    ).catch(async (err: Error) => {
      // What to look at when it does not: the page, the session's row and the workflow's state.
      const row = await db
        .selectFrom('exam_sessions')
        .select(['status', 'ended_by', 'ended_at'])
        .where('session_id', '=', bSession)
        .executeTakeFirst();
      const state = await sessionState(b.registrationNo).catch((e: Error) => e.message);
      const page = (await B.page.textContent('main'))?.replace(/\s+/g, ' ').slice(0, 300);
      throw new Error(
        `${err.message}; row ${JSON.stringify(row)}; workflow ${JSON.stringify(state).slice(0, 500)}; page: ${page}`,
      );
    });
    const bState = await sessionState(b.registrationNo);
    expect(bState.endedBy).toBe('timer');
    expect(bState.answers).toEqual(bAnswers);
    expect(Number(await B.page.textContent('#skor-total'))).toBe(skdTotal(scoreExam(keys, bAnswers)));
    await until(
      "B expired on the proctor's page",
      async () => (await (await row(bSession)).getAttribute('data-state')) === 'expired',
      30_000,
    );
    await until(
      'the proctor page refreshed',
      async () => (await P.page.textContent('#pengawasan-waktu')) !== asOf,
      30_000,
    );

    // ---- Both histories replay on the same code. ----
    for (const s of [aSession, bSession]) {
      const history = await env.client.workflow.getHandle(examWorkflowId(s)).fetchHistory();
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('bundlePath') }, dataConverter: dataConverter() },
        history,
        examWorkflowId(s),
      );
    }
  }, 480_000);
});
