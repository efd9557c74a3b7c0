/**
 * `npm run test:faults`: a whole synthetic round through the real API while its dependencies fail.
 *
 *   - the worker process is SIGKILLed every 15–20 s and started again;
 *   - the Temporal dev server is stopped and started again on the same SQLite file;
 *   - PostgreSQL is restarted (pg_ctlcluster, when this machine manages its cluster) or, failing
 *     that, every connection to the run's database is cut and refused for a few seconds.
 *
 * Then: every registration that got a 2xx exists with its workflow, every candidate ended where
 * its plan and the published rankings say, no natural key repeats in any table, every recorded
 * decision has its audit entry and the hash chains hold, and while a dependency was down the API
 * answered 503 — never another 5xx, never slower than its timeouts allow. Exit 1 otherwise.
 *
 *   npm run test:faults -- [--candidates 2000] [--seed 7] [--pg restart|cut] [--slack 1.4] [--day-ms 60000]
 *
 * The simulated day sets the reviewers' SLA (3 days) before a task escalates: at 2,000 candidates
 * a 10 s day let tasks escalate faster than the reviewers could decide them under faults.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Pool } from 'pg';
import { ROOT, SEARCH_ATTRIBUTES, temporalTools } from '../../config';
import { dataConverter, generateKey } from '../../config/codec';
import { createDb, dropDatabase, ensureDatabase } from '../../db/connection';
import { migrateToLatest } from '../../db/migrate';
import { createUser } from '../../db/users';
import { driveRound } from '../../demo/driver';
import { ApiClient } from '../../demo/http';
import { Progress } from '../../demo/progress';
import { checkPassed, checkRound } from '../../demo/verify';
import { rand } from '../../demo/synthetic';
import { ensureSearchAttributes } from '../../worker/search-attributes';
import { bundleWorkflows } from '../../worker/worker';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
const N = Number(arg('candidates', process.env.CI ? '300' : '2000'));
const SEED = Number(arg('seed', '7'));
const pgCluster = ((): { version: string; name: string } | null => {
  try {
    if (process.getuid?.() !== 0) return null;
    const line = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' })
      .split('\n')
      .find((l) => /\s5432\s+online/.test(l));
    if (!line) return null;
    const [version, name] = line.trim().split(/\s+/);
    return { version: version!, name: name! };
  } catch {
    return null;
  }
})();
const PG_MODE = arg('pg', pgCluster ? 'restart' : 'cut') as 'restart' | 'cut';

const progress = new Progress(process.stdout);
const say = (m: string): void => progress.line(`[faults] ${m}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const work = mkdtempSync(join(tmpdir(), 'asn-faults-'));
const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/asn';
const dbUrl = new URL(base);
const dbName = `asn_faults_${Date.now().toString(36)}`;
dbUrl.pathname = `/${dbName}`;
const adminUrl = new URL(base);
adminUrl.pathname = '/postgres';

interface Managed {
  name: string;
  proc: ChildProcess | null;
  start: () => void;
  restarts: number;
}
let stopping = false;
const managed: Managed[] = [];
function manage(
  name: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { restartOnExit: boolean },
): Managed {
  const log = createWriteStream(join(work, `${name}.log`), { flags: 'a' });
  const m: Managed = {
    name,
    proc: null,
    restarts: 0,
    start: () => {
      const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout.pipe(log, { end: false });
      p.stderr.pipe(log, { end: false });
      m.proc = p;
      p.on('exit', () => {
        if (m.proc !== p) return;
        m.proc = null;
        if (opts.restartOnExit && !stopping)
          setTimeout(() => {
            if (!stopping && !m.proc) {
              m.restarts += 1;
              m.start();
            }
          }, 500);
      });
    },
  };
  managed.push(m);
  return m;
}
async function stopAll(): Promise<void> {
  stopping = true;
  for (const m of [...managed].reverse()) {
    const p = m.proc;
    if (!p) continue;
    p.kill('SIGTERM');
    await Promise.race([new Promise((r) => p.once('exit', r)), sleep(8_000).then(() => p.kill('SIGKILL'))]);
  }
}

async function waitFor(what: string, f: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not ready in ${timeoutMs / 1000} s (logs in ${work})`);
    await sleep(250);
  }
}

/** Calls the API while a dependency is down: 503 expected, nothing else 5xx, nothing slow. */
interface Probe {
  statuses: Record<string, number>;
  other5xx: string[];
  maxMs: number;
  n: number;
}
function probeDuring(api: ApiClient, paths: () => { path: string; token?: string }[]): { stop: () => Promise<Probe> } {
  const probe: Probe = { statuses: {}, other5xx: [], maxMs: 0, n: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        paths().map(async ({ path, token }) => {
          const t = performance.now();
          let status: number;
          try {
            const r = await fetch(api.baseUrl + path, {
              headers: token ? { authorization: `Bearer ${token}` } : {},
              signal: AbortSignal.timeout(30_000),
            });
            status = r.status;
            await r.text();
          } catch {
            status = 0;
          }
          const ms = performance.now() - t;
          probe.n += 1;
          probe.maxMs = Math.max(probe.maxMs, ms);
          probe.statuses[status] = (probe.statuses[status] ?? 0) + 1;
          if (status >= 500 && status !== 503) probe.other5xx.push(`${status} ${path}`);
        }),
      );
      await sleep(300);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return probe;
    },
  };
}

async function main(): Promise<void> {
  say(
    `${N} candidates, seed ${SEED}; PostgreSQL fault: ${PG_MODE}${PG_MODE === 'restart' ? ` (cluster ${pgCluster!.version}/${pgCluster!.name})` : ''}; logs in ${work}`,
  );
  await ensureDatabase(dbUrl.toString());
  const db = createDb(dbUrl.toString(), { max: 4 });
  await migrateToLatest(db);
  const bundlePath = join(work, 'workflow-bundle.js');
  writeFileSync(bundlePath, await bundleWorkflows());

  const [tPort, apiPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${tPort}`;
  const keys = JSON.stringify({ active: 'faults', keys: { faults: generateKey() } });
  process.env.ASN_CODEC_KEYS = keys;
  const env = {
    DATABASE_URL: dbUrl.toString(),
    TEMPORAL_ADDRESS: address,
    TASK_QUEUE: 'asn-faults',
    ASN_WORKFLOW_BUNDLE: bundlePath,
    ASN_CODEC_KEYS: keys,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    API_RATE_LIMIT_MAX: '1000000',
    ASN_RECONCILE_INTERVAL_MS: '3000',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
  };
  const saArgs = Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, t]) => ['--search-attribute', `${k}=${t}`]);
  const temporalServer = manage(
    'temporal',
    temporalTools().cli,
    [
      'server',
      'start-dev',
      '--db-filename',
      join(work, 'temporal.sqlite'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(tPort),
      '--headless',
      '--log-level',
      'error',
      ...saArgs,
    ],
    {},
    { restartOnExit: false },
  );
  temporalServer.start();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  await waitFor('Temporal', async () => {
    const c = await Connection.connect({ address, connectTimeout: 1_000 });
    await ensureSearchAttributes(c, 'default');
    await c.close();
    return true;
  });
  const worker = manage('worker', process.execPath, ['--import', 'tsx', join(ROOT, 'worker', 'main.ts')], env, {
    restartOnExit: true,
  });
  worker.start();
  const apiProc = manage('api', process.execPath, ['--import', 'tsx', join(ROOT, 'api', 'main.ts')], env, {
    restartOnExit: true,
  });
  apiProc.start();
  const api = new ApiClient(`http://127.0.0.1:${apiPort}`, { timeoutMs: 30_000 });
  await waitFor('API', async () => (await fetch(`${api.baseUrl}/healthz`)).ok);

  const roundId = `faults-${SEED}-${Date.now().toString(36)}`;
  const mk = async (role: 'hr' | 'reviewer', name: string): Promise<{ username: string; token: string }> => {
    const username = `${roundId}.${name}`;
    return { username, token: (await createUser(db, { username, displayName: name, role })).token };
  };
  const hr = await mk('hr', 'panitia');
  const reviewers = await Promise.all([1, 2, 3, 4].map((i) => mk('reviewer', `v${i}`)));

  // ---- the faults ----
  const faults = { workerKills: 0, temporalRestarts: 0, postgresRestarts: 0 };
  const outages: { what: string; downMs: number; probe: Probe }[] = [];
  const probeTarget: { candidate?: { registrationNo: string; token: string } } = {};
  const probePaths = (): { path: string; token?: string }[] => [
    { path: '/healthz' },
    { path: `/rounds/${roundId}` },
    ...(probeTarget.candidate
      ? [{ path: `/registrations/${probeTarget.candidate.registrationNo}`, token: probeTarget.candidate.token }]
      : []),
  ];
  const r = rand(SEED);
  let killing = false;
  const killer = (async () => {
    while (!stopping) {
      await sleep(r.int(15_000, 20_000));
      if (!killing || stopping || !worker.proc) continue;
      worker.proc.kill('SIGKILL');
      faults.workerKills += 1;
      say(`worker SIGKILLed (${faults.workerKills})`);
    }
  })();
  let busy = false;
  const outage = async (
    what: string,
    down: () => Promise<void>,
    up: () => Promise<void>,
    downMs: number,
  ): Promise<void> => {
    busy = true;
    say(`${what}: down for ${downMs / 1000} s`);
    const p = probeDuring(api, probePaths);
    const t = Date.now();
    await down();
    await sleep(downMs);
    await up();
    const took = Date.now() - t;
    await sleep(2_000);
    const probe = await p.stop();
    outages.push({ what, downMs: took, probe });
    say(
      `${what}: back after ${(took / 1000).toFixed(1)} s; probe answers ${JSON.stringify(probe.statuses)}, slowest ${Math.round(probe.maxMs)} ms`,
    );
    busy = false;
  };
  const restartTemporal = (): Promise<void> =>
    outage(
      'Temporal dev server',
      async () => {
        const p = temporalServer.proc!;
        p.kill('SIGTERM');
        await new Promise((res) => p.once('exit', res));
      },
      async () => {
        temporalServer.start();
        await waitFor('Temporal after restart', async () => {
          const c = await Connection.connect({ address, connectTimeout: 1_000 });
          await c.close();
          return true;
        });
        faults.temporalRestarts += 1;
      },
      5_000,
    );
  const restartPostgres = (): Promise<void> =>
    outage(
      PG_MODE === 'restart' ? 'PostgreSQL (restart)' : 'PostgreSQL (connections cut)',
      async () => {
        if (PG_MODE === 'restart') {
          execFileSync(
            'pg_ctlcluster',
            ['--skip-systemctl-redirect', pgCluster!.version, pgCluster!.name, 'stop', '-m', 'fast'],
            { stdio: 'ignore' },
          );
        } else {
          const admin = new Pool({ connectionString: adminUrl.toString(), max: 1 });
          await admin.query(`alter database "${dbName}" with allow_connections false`);
          await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [dbName],
          );
          await admin.end();
        }
      },
      async () => {
        if (PG_MODE === 'restart')
          execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgCluster!.version, pgCluster!.name, 'start'], {
            stdio: 'ignore',
          });
        else {
          const admin = new Pool({ connectionString: adminUrl.toString(), max: 1 });
          await admin.query(`alter database "${dbName}" with allow_connections true`);
          await admin.end();
        }
        await waitFor('PostgreSQL after restart', async () => {
          const p = new Pool({ connectionString: dbUrl.toString(), max: 1, connectionTimeoutMillis: 1_000 });
          try {
            await p.query('select 1');
            return true;
          } finally {
            await p.end();
          }
        });
        faults.postgresRestarts += 1;
      },
      5_000,
    );

  // Faults keyed to the work in flight: Temporal during registration, PostgreSQL during the
  // reviewers' decisions, both again while the SKD results fan out to the candidates.
  const triggers: { stage: string; at: number; fire: () => Promise<void>; fired?: boolean }[] = [
    { stage: 'pendaftaran', at: 0.4, fire: restartTemporal },
    { stage: 'verifikasi administrasi', at: 0.5, fire: restartPostgres },
    { stage: 'SKD: nilai dikirim ke peserta', at: 0, fire: restartTemporal },
    { stage: 'DRH', at: 0.3, fire: restartPostgres },
  ];
  const pending: Promise<void>[] = [];
  const started = Date.now();
  const result = await driveRound({
    api,
    hr,
    reviewers,
    roundId,
    candidates: N,
    seed: SEED,
    budgetYear: 2030,
    concurrency: 8,
    dayMs: Number(arg('day-ms', N >= 1000 ? '60000' : '10000')),
    retryForMs: 240_000,
    log: (m) => say(m),
    onRegistered: (reg) => {
      if (!reg.lostToken) probeTarget.candidate ??= reg;
    },
    progress: (stage, done, total) => {
      progress.update(stage, done, total);
      if (stage === 'pendaftaran') killing = true;
      for (const t of triggers) {
        if (!t.fired && !busy && stage === t.stage && done >= t.at * total) {
          t.fired = true;
          pending.push(t.fire());
        }
      }
    },
  });
  await Promise.all(pending);
  killing = false;
  const elapsed = Date.now() - started;

  // ---- the checks ----
  say('round closed; checking every candidate, every table and the audit chains');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: dataConverter() });
  await waitFor(
    'reconciler',
    async () =>
      Number(
        (
          await db
            .selectFrom('applications')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('workflow_started_at', 'is', null)
            .executeTakeFirstOrThrow()
        ).n,
      ) === 0,
    60_000,
  ).catch(() => undefined);
  const check = await checkRound(db, client, result, { resultTimeoutMs: 30_000 });
  await connection.close();

  const probe5xx = outages.flatMap((o) => o.probe.other5xx);
  const slowest = Math.max(0, ...outages.map((o) => o.probe.maxMs));
  const answered503 = outages.every((o) => (o.probe.statuses['503'] ?? 0) > 0);
  const totalFaults = faults.workerKills + faults.temporalRestarts + faults.postgresRestarts;
  const fiveXX = api.stats.server5xx.length + probe5xx.length;
  const summary = {
    candidates: N,
    registered: check.registered,
    faults: totalFaults,
    ...faults,
    lost: check.lost.length,
    // Registrations whose first answer (the only one with the token) timed out: the candidate could not act, and is checked as documents_missing.
    lostTokens: result.lostTokens,
    duplicated: Object.values(check.duplicated).reduce((s, n) => s + n, 0),
    wrongOutcome: check.wrongOutcome.length,
    notEnded: check.notEnded.length,
    auditMissing: check.auditMissing.length,
    chainsBroken: check.chainsBroken.length,
    fiveXX,
    answered503DuringEveryOutage: answered503,
    slowestAnswerDuringOutagesMs: Math.round(slowest),
    requests: api.stats.requests,
    retried: api.stats.retries,
    workerRestarts: worker.restarts,
    apiRestarts: apiProc.restarts,
    elapsedS: Math.round(elapsed / 1000),
    outcomes: check.outcomes,
  };
  const ok =
    checkPassed(check) &&
    fiveXX === 0 &&
    answered503 &&
    slowest < 12_000 &&
    apiProc.restarts === 0 &&
    faults.temporalRestarts >= 1 &&
    faults.postgresRestarts >= 1 &&
    faults.workerKills >= 1;
  if (!ok) {
    console.log(
      JSON.stringify(
        {
          lost: check.lost.slice(0, 20),
          duplicated: check.duplicated,
          wrongOutcome: check.wrongOutcome.slice(0, 20),
          notEnded: check.notEnded.slice(0, 20),
          auditMissing: check.auditMissing.slice(0, 20),
          chainsBroken: check.chainsBroken,
          server5xx: api.stats.server5xx.slice(0, 10),
          probe5xx: probe5xx.slice(0, 10),
        },
        null,
        2,
      ),
    );
  }
  mkdirResults(summary);
  console.log(
    `[faults] ${ok ? 'PASS' : 'FAIL'} candidates=${N} faults=${totalFaults} (worker kills ${faults.workerKills}, Temporal restarts ${faults.temporalRestarts}, PostgreSQL ${PG_MODE === 'restart' ? 'restarts' : 'cuts'} ${faults.postgresRestarts}) lost=${summary.lost} lost-tokens=${summary.lostTokens} duplicated=${summary.duplicated} wrong=${summary.wrongOutcome} 5xx=${fiveXX} slowest-during-outage=${summary.slowestAnswerDuringOutagesMs}ms elapsed=${summary.elapsedS}s`,
  );
  await stopAll();
  await db.destroy();
  if (!process.env.KEEP_FAULTS_DATABASE) await dropDatabase(dbUrl.toString()).catch(() => undefined);
  if (ok && !process.env.KEEP_FAULTS_LOGS) rmSync(work, { recursive: true, force: true });
  void killer;
  process.exit(ok ? 0 : 1);
}

function mkdirResults(summary: Record<string, unknown>): void {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `faults-${N}.json`),
    `${JSON.stringify({ at: new Date().toISOString(), ...summary }, null, 2)}\n`,
  );
}

main().catch(async (err: unknown) => {
  console.error(`[faults] FAIL: ${(err as Error).stack ?? String(err)}`);
  console.error(`[faults] logs: ${work} (${existsSync(work) ? readdirSync(work).join(', ') : 'none'})`);
  if (pgCluster && PG_MODE === 'restart') {
    try {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgCluster.version, pgCluster.name, 'start'], {
        stdio: 'ignore',
      });
    } catch {
      /* already running */
    }
  }
  await stopAll();
  process.exit(1);
});
