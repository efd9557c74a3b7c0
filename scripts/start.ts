/**
 * `npm start`: the whole stack on its embedded defaults, on one machine.
 * PostgreSQL (must be running) → database created and migrated → Temporal dev server with a
 * persistent SQLite file in .data/ and its Web UI → custom search attributes → mail sink (SMTP +
 * web page, mails kept in .data/mail) → worker (which also sends the e-mail outbox) → API.
 * Ctrl-C stops everything. Set TEMPORAL_ADDRESS to use an existing Temporal server instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { loadConfig, ROOT, SEARCH_ATTRIBUTES, temporalTools } from '../config';
import { createDb, ensureDatabase } from '../db/connection';
import { migrateToLatest } from '../db/migrate';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { bundleWorkflows } from '../worker/worker';
import { DEV_KEYS_FILE, loadCodecKeys } from '../config/codec';
import { auditSigner, DEV_AUDIT_KEYS_FILE } from '../config/audit-signing';

const config = loadConfig();
const children: { name: string; proc: ChildProcess }[] = [];
let stopping = false;
const say = (msg: string): void => console.log(`[start] ${msg}`);

async function checkPostgres(): Promise<void> {
  const url = new URL(config.databaseUrl);
  url.pathname = '/postgres';
  const pool = new Pool({ connectionString: url.toString(), max: 1, connectionTimeoutMillis: 3_000 });
  try {
    await pool.query('select 1');
  } catch (err) {
    console.error(
      `PostgreSQL is not reachable at DATABASE_URL=${config.databaseUrl} (${(err as Error).message}); start it or set DATABASE_URL.`,
    );
    process.exit(1);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

function run(name: string, cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (d: Buffer): string =>
    d
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}`)
      .join('\n') + '\n';
  proc.stdout?.on('data', (d: Buffer) => process.stdout.write(prefix(d)));
  proc.stderr?.on('data', (d: Buffer) => process.stderr.write(prefix(d)));
  proc.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${code ?? signal}); stopping the stack`);
      void stop(1);
    }
  });
  children.push({ name, proc });
  return proc;
}

async function waitForTemporal(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Connection.connect({ address, connectTimeout: 1_000 });
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal not reachable at ${address}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // API and worker first, Temporal last, so the worker can finish its tasks.
  for (const { name, proc } of [...children].reverse()) {
    if (proc.exitCode !== null || proc.signalCode !== null) continue;
    proc.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise((r) => proc.once('exit', () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 10_000)),
    ]);
    if (!exited) {
      say(`${name} did not stop in 10 s; killing`);
      proc.kill('SIGKILL');
    }
  }
  process.exit(code);
}

/** Creates the database if needed and applies the migrations. */
async function prepareDatabase(): Promise<void> {
  await checkPostgres();
  const created = await ensureDatabase(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  const applied = await migrateToLatest(db);
  await db.destroy();
  say(
    `PostgreSQL: ${config.databaseUrl.replace(/\/\/[^@]*@/, '//')} (${created === 'created' ? 'created, ' : ''}${applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date'})`,
  );
}

/** Loads (in development: creates once) the payload and audit keys and says which are active. */
function announceKeys(): void {
  const keys = loadCodecKeys();
  say(
    `payload encryption: AES-256-GCM, active key ${keys.active}${process.env.ASN_CODEC_KEYS || process.env.ASN_CODEC_KEYS_FILE ? '' : ` (${DEV_KEYS_FILE}, created on first start)`}`,
  );
  // Created here once (before worker and API start) so they share the same dev key file.
  const signer = auditSigner();
  say(
    `audit checkpoints: Ed25519, active key ${signer.activeKeyId}${process.env.ASN_AUDIT_SIGNING_KEYS || process.env.ASN_AUDIT_SIGNING_KEYS_FILE ? '' : ` (${DEV_AUDIT_KEYS_FILE}, created on first start)`}`,
  );
}

/** The Temporal dev server (unless TEMPORAL_ADDRESS names one) with the search attributes; returns its address. */
async function startTemporal(dataDir: string): Promise<string> {
  let temporalAddress = config.temporalAddress;
  if (process.env.TEMPORAL_ADDRESS) {
    say(`Temporal: using the existing server at ${temporalAddress}`);
  } else {
    const [ip, port] = temporalAddress.split(':');
    const args = [
      'server',
      'start-dev',
      '--db-filename',
      join(dataDir, 'temporal.sqlite'),
      '--ip',
      ip ?? '127.0.0.1',
      '--port',
      port ?? '7233',
      '--ui-port',
      String(config.temporalUiPort),
      '--log-level',
      'error',
      '--ui-codec-endpoint',
      `http://${config.apiHost}:${config.apiPort}/codec`,
    ];
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
    run('temporal', temporalTools().cli, args);
    temporalAddress = `${ip ?? '127.0.0.1'}:${port ?? '7233'}`;
  }
  const connection = await waitForTemporal(temporalAddress, 30_000);
  const added = await ensureSearchAttributes(connection, config.temporalNamespace);
  await connection.close();
  say(
    `Temporal: gRPC ${temporalAddress}${process.env.TEMPORAL_ADDRESS ? '' : `, Web UI http://127.0.0.1:${config.temporalUiPort}`}${added.length ? ` (search attributes added: ${added.join(', ')})` : ''}`,
  );
  return temporalAddress;
}

/** The development mail sink (scripts/mail-sink.ts), unless SMTP_URL points at a real server; returns the worker's mail env. */
async function startMail(): Promise<Record<string, string>> {
  const mailEnv: Record<string, string> = {};
  if (process.env.SMTP_URL) {
    say(
      process.env.SMTP_URL === 'none'
        ? 'mail: off (SMTP_URL=none); e-mails wait in mail_outbox'
        : `mail: outbox sent to ${process.env.SMTP_URL.replace(/\/\/[^@]*@/, '//')} by the worker`,
    );
  } else {
    const sink = run('mail-sink', process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'mail-sink.ts')]);
    const ready = await new Promise<string>((resolve) =>
      sink.stdout?.on('data', (d: Buffer) => {
        const m = /MAIL_SINK_READY smtp=(\d+) http=(\d+)/.exec(d.toString());
        if (m) resolve(`${m[1]} ${m[2]}`);
      }),
    );
    const [smtpPort, httpPort] = ready.split(' ');
    mailEnv.SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;
    say(
      `mail sink: http://127.0.0.1:${httpPort}/ (JSON at /api/messages; SMTP 127.0.0.1:${smtpPort}, mails kept in .data/mail); the worker sends the outbox there`,
    );
  }
  return mailEnv;
}

/** Bundles the workflow code, starts the worker, waits until it polls, then starts the API. */
async function startWorkerAndApi(dataDir: string, env: Record<string, string>): Promise<void> {
  say('bundling workflow code…');
  const bundlePath = join(dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, await bundleWorkflows());
  const procEnv = { ...env, ASN_WORKFLOW_BUNDLE: bundlePath };
  const worker = run('worker', process.execPath, ['--import', 'tsx', join(ROOT, 'worker', 'main.ts')], procEnv);
  await new Promise<void>((resolve) =>
    worker.stdout?.on('data', (d: Buffer) => d.toString().includes('WORKER_READY') && resolve()),
  );
  say(`worker: polling task queue ${config.taskQueue}`);
  run('api', process.execPath, ['--import', 'tsx', join(ROOT, 'api', 'main.ts')], procEnv);
  say(`API: http://${config.apiHost}:${config.apiPort} (OpenAPI docs at /docs, health at /healthz)`);
  say(
    `payloads are encrypted (AES-256-GCM); auditors and HR sign in at http://${config.apiHost}:${config.apiPort}/codec/login to read them in the Web UI`,
  );
  say('create a user with: npm run user:create -- --role hr --username <name>   ·   Ctrl-C stops everything');
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  await prepareDatabase();
  const dataDir = join(ROOT, '.data');
  mkdirSync(dataDir, { recursive: true });
  announceKeys();
  const temporalAddress = await startTemporal(dataDir);
  const mailEnv = await startMail();
  await startWorkerAndApi(dataDir, { TEMPORAL_ADDRESS: temporalAddress, ...mailEnv });
}

main().catch((err: unknown) => {
  console.error(`[start] ${(err as Error).message}`);
  void stop(1);
});
