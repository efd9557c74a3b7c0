/**
 * bench:portal — the registration form page as a candidate on a slow phone connection gets it:
 * Chromium (Debian's, through playwright-core) with the DevTools protocol's network and CPU
 * throttling (Slow 4G ≈ 400 kbit/s down and up, 400 ms round trip; CPU 4× slower), cache
 * disabled (a first visit). Measures the bytes transferred (every response's encoded length) and
 * the time to first render (First Contentful Paint) of the form, median of the runs. Baseline:
 * the portal's smallest page (the 404 page: the layout and the stylesheet only) measured the same
 * way in the same run. Goal: ≤ 150 KB and ≤ 2 s.
 */
import { createRoundActivities } from '../activities/round';
import { buildApp } from '../api/app';
import { createAccount } from '../db/accounts';
import { createSession } from '../db/sessions';
import { withDefaults } from '../domain';
import { sampleRound } from '../test/fixtures';
import { startBrowser } from '../test/helpers/browser';
import { arg, benchDb, benchTemporal, quick, report, round3 } from './lib';

const KBIT = 1024 / 8;
const SLOW_4G = { offline: false, latency: 400, downloadThroughput: 400 * KBIT, uploadThroughput: 400 * KBIT };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Measured {
  bytes: number;
  fcpMs: number;
  requests: number;
  status: number;
}

/** One cold visit of `path` on a throttled phone, signed in: bytes transferred, requests, first contentful paint. */
async function measure(
  browser: Awaited<ReturnType<typeof startBrowser>>,
  base: string,
  sessionId: string,
  path: string,
): Promise<Measured> {
  const page = await browser.page({ phone: true });
  await page
    .context()
    .addCookies([{ name: 'asn_portal', value: sessionId, url: base, httpOnly: true, sameSite: 'Lax' }]);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
    bytes += e.encodedDataLength;
    requests += 1;
  });
  const res = await page.goto(`${base}${path}`, { waitUntil: 'load', timeout: 120_000 });
  await page.waitForFunction('performance.getEntriesByName("first-contentful-paint").length > 0', undefined, {
    timeout: 60_000,
  });
  const fcpMs = Number(await page.evaluate('performance.getEntriesByName("first-contentful-paint")[0].startTime'));
  await page.waitForLoadState('networkidle');
  await page.context().close();
  return { bytes, fcpMs, requests, status: res?.status() ?? 0 };
}

async function main(): Promise<void> {
  const runs = arg('runs', quick ? 2 : 5);
  const { db, drop } = await benchDb('portal');
  const env = await benchTemporal();
  const browser = await startBrowser();
  try {
    const app = await buildApp({
      deps: { db, client: env.client, connection: env.connection, taskQueue: 'bench-portal' },
      rateLimit: { max: 100_000, timeWindow: 60_000 },
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const now = Date.now();
    const config = withDefaults(sampleRound('bench-portal', {}, now - 32 * 86_400_000));
    await createRoundActivities({ db }).recordRound({ config, createdBy: 'bench', at: new Date(now).toISOString() });
    await db.updateTable('rounds').set({ phase: 'registration' }).where('round_id', '=', config.roundId).execute();
    const account = await db
      .transaction()
      .execute((trx) => createAccount(trx, { nik: '1271015204960001', email: 'bench@contoh.id', passwordHash: 'x' }));
    const { sessionId } = await createSession(db, account.userId, { ttlMs: 3_600_000 });

    const formPath = `/portal/seleksi/${config.roundId}/formasi/DINKES-PERAWAT/daftar`;
    const form: Measured[] = [];
    const baseline: Measured[] = [];
    for (let i = 0; i < runs; i++) {
      form.push(await measure(browser, base, sessionId, formPath));
      baseline.push(await measure(browser, base, sessionId, '/portal/tidak-ada'));
    }
    if (form.some((f) => f.status !== 200))
      throw new Error(`the form page answered ${form.map((f) => f.status).join(', ')}`);
    const fcp = median(form.map((f) => f.fcpMs));
    const bytes = median(form.map((f) => f.bytes));
    const baseFcp = median(baseline.map((f) => f.fcpMs));
    await app.close();
    report({
      name: 'portal',
      value: round3(fcp),
      unit: 'ms (first contentful paint, Slow 4G, 4× CPU, cold cache)',
      baseline: round3(baseFcp),
      ratio: round3(fcp / baseFcp),
      goal: '≤ 150 KB transferred and ≤ 2000 ms to first render',
      bytes,
      kb: round3(bytes / 1024),
      requests: form[0]!.requests,
      baseline_bytes: median(baseline.map((f) => f.bytes)),
      runs,
      fcp_runs_ms: form.map((f) => round3(f.fcpMs)),
      throttling: { ...SLOW_4G, cpuRate: 4 },
      met: bytes <= 150 * 1024 && fcp <= 2000,
    });
  } finally {
    await browser.close();
    await env.teardown();
    await drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
