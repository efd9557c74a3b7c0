/**
 * `npm run demo`: a seeded synthetic round modelled on Kota Medan, end to end through the real
 * API, with a progress bar per stage and a report at the end.
 *
 *   npm run demo -- --candidates 500 --seed 7 [--concurrency 8] [--day-ms 5000] [--exit]
 *
 * HR advances each phase of the (simulation) round once its work is done: the same seed gives the
 * same funnel, decisions and report figures on any machine (issue 20).
 *
 * Uses the stack of `npm start` when it answers; otherwise starts it (its log goes to
 * .data/demo-stack.log) and leaves it running for you to look around, unless --exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadConfig, ROOT } from '../config';
import { createDb } from '../db/connection';
import { createUser } from '../db/users';
import { driveRound } from '../demo/driver';
import { ApiClient } from '../demo/http';
import { Progress } from '../demo/progress';
import { durasi } from '../api/services/report';

const program = new Command('demo')
  .option('--candidates <n>', 'number of applicants', '500')
  .option('--seed <n>', 'random seed (the same seed gives the same people, scores and decisions)', '2025')
  .option('--concurrency <n>', 'simultaneous simulated users', '8')
  .option('--day-ms <ms>', 'length of a simulated day (masa sanggah = 3 days: the appeals are filed within it)', '5000')
  .option('--exit', 'stop the stack afterwards if the demo started it')
  .parse();
const opts = program.opts<{ candidates: string; seed: string; concurrency: string; dayMs: string; exit?: boolean }>();

const config = loadConfig();
const baseUrl = `http://${config.apiHost}:${config.apiPort}`;
const progress = new Progress();
const say = (m: string): void => progress.line(`[demo] ${m}`);
let stack: ChildProcess | undefined;

async function healthy(): Promise<boolean> {
  try {
    const r = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return r.ok;
  } catch {
    return false;
  }
}

async function ensureStack(): Promise<void> {
  if (await healthy()) {
    say(
      `memakai stack yang sudah berjalan di ${baseUrl} (jalankan dengan API_RATE_LIMIT_MAX=1000000 npm start, agar batas 30 pendaftaran/menit per IP tidak memperlambat demo)`,
    );
    return;
  }
  mkdirSync(join(ROOT, '.data'), { recursive: true });
  const logFile = join(ROOT, '.data', 'demo-stack.log');
  const fd = openSync(logFile, 'a');
  say(`stack belum berjalan; menjalankan npm start (log: ${logFile})`);
  // The demo's simulated people all come from this one machine: the stack it starts raises the
  // public write limits (defaults 5 comments and 30 registrations per minute per IP) explicitly.
  stack = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'start.ts')], {
    cwd: ROOT,
    env: { ...process.env, API_RATE_LIMIT_MAX: process.env.API_RATE_LIMIT_MAX ?? '1000000' },
    stdio: ['ignore', fd, fd],
  });
  stack.on('exit', (code) => {
    if (code !== 0 && code !== null) {
      console.error(`[demo] stack berhenti (kode ${code}); lihat ${logFile}`);
      process.exit(1);
    }
  });
  const deadline = Date.now() + 180_000;
  while (!(await healthy())) {
    if (Date.now() > deadline) throw new Error(`stack tidak siap dalam 180 detik; lihat ${logFile}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  say('stack siap');
}

async function stopStack(): Promise<void> {
  if (!stack || stack.exitCode !== null) return;
  stack.kill('SIGTERM');
  await new Promise((r) => stack!.once('exit', r));
}

async function main(): Promise<void> {
  const n = Number(opts.candidates);
  const seed = Number(opts.seed);
  if (!Number.isInteger(n) || n < 10 || n > 100_000) throw new Error('--candidates: 10–100000');
  await ensureStack();

  const db = createDb(config.databaseUrl, { max: 2 });
  const roundId = `medan-demo-${seed}-${Date.now().toString(36)}`;
  const mk = async (
    role: 'hr' | 'reviewer' | 'auditor' | 'supervisor',
    name: string,
  ): Promise<{ username: string; token: string }> => {
    const username = `${roundId}.${name}`;
    const { token } = await createUser(db, { username, displayName: name, role });
    return { username, token };
  };
  const hr = await mk('hr', 'panitia');
  const reviewers = await Promise.all(
    Array.from({ length: Math.max(2, Math.ceil(n / 250)) }, (_, i) => mk('reviewer', `verifikator${i + 1}`)),
  );
  const auditor = await mk('auditor', 'auditor');
  const supervisor = await mk('supervisor', 'atasan');
  const nikOffset = Number(
    (
      await db
        .selectFrom('applications')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  await db.destroy();

  say(`seleksi ${roundId}: ${n} pelamar, seed ${seed}, ${reviewers.length} verifikator`);
  const api = new ApiClient(baseUrl, { timeoutMs: 20_000 });
  const started = Date.now();
  const result = await driveRound({
    api,
    hr,
    reviewers,
    supervisor,
    roundId,
    candidates: n,
    seed,
    budgetYear: new Date().getFullYear() + 1,
    nikOffset,
    concurrency: Number(opts.concurrency),
    dayMs: Number(opts.dayMs),
    log: (m) => say(m),
    progress: (stage, done, total) => progress.update(stage, done, total),
  });
  const elapsed = Date.now() - started;

  const funnel = await api.get<Record<string, number>>(`/rounds/${roundId}/funnel`, { token: hr.token });
  const reportUrl = `${baseUrl}/rounds/${roundId}/report`;
  const html = await (await fetch(reportUrl)).text();
  const dir = join(ROOT, '.data', 'reports');
  mkdirSync(dir, { recursive: true });
  const reportPath = join(dir, `${roundId}.html`);
  writeFileSync(reportPath, html);

  say(`selesai dalam ${durasi(elapsed)}`);
  say(
    `corong: ${funnel.registered} mendaftar → ${funnel.ms} MS → ${funnel.skdPassed} lulus SKD → ${funnel.skbSelected} peserta SKB → ${funnel.lulus} lulus → ${funnel.appointed} diangkat; ${result.refused.length} pendaftaran ditolak saat mendaftar`,
  );
  say(
    `karier: ${result.careers.length} CPNS dengan atasan langsung, hasil Latsar dan surat sehat tercatat; keputusan PNS setelah masa percobaan satu tahun sejak TMT`,
  );
  for (const s of result.stages) say(`  ${s.stage.padEnd(30)} ${durasi(s.endedAt - s.startedAt)}`);
  say(
    `permintaan HTTP: ${api.stats.requests}, diulang: ${api.stats.retries}, 5xx selain 503: ${api.stats.server5xx.length}`,
  );
  say(`laporan: ${reportPath}`);
  say(`laporan (URL): ${reportUrl}`);
  say(
    `API docs: ${baseUrl}/docs · Temporal Web UI: http://127.0.0.1:${config.temporalUiPort}/namespaces/${config.temporalNamespace}/workflows?query=${encodeURIComponent(`RoundId="${roundId}"`)}`,
  );
  say(`token auditor (untuk /codec/login dan /audit): ${auditor.token}`);
  if (stack && !opts.exit) {
    say('stack tetap berjalan agar Anda dapat melihat-lihat; tekan Ctrl-C untuk menghentikannya');
    process.on('SIGINT', () => void stopStack().then(() => process.exit(0)));
    await new Promise(() => undefined);
  }
  await stopStack();
}

main().catch(async (err: unknown) => {
  console.error(`[demo] gagal: ${(err as Error).message}`);
  await stopStack();
  process.exit(1);
});
