#!/usr/bin/env node
/**
 * `asn` — the command line for HR and auditors. It calls the same services as the API.
 * Connects with DATABASE_URL and TEMPORAL_ADDRESS (the defaults of `npm start`).
 *
 * Exit codes: 0 clean; 1 a finding (a determinism violation, a broken audit chain, a re-derived
 * difference); 2 could not run (bad arguments, unknown round or workflow, cannot connect, a
 * refused request).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../config';
import { dataConverter } from '../config/codec';
import { auditSigner } from '../config/audit-signing';
import { createDb } from '../db/connection';
import { bundleWorkflows, PREBUILT_BUNDLE } from '../worker/worker';
import type { ServiceDeps } from '../api/services/deps';
import { advancePhase, createRound } from '../api/services/rounds';
import { importResults, requestRanking } from '../api/services/imports';
import { announcement, announcementHtml, funnel, listCandidates } from '../api/services/announcements';
import {
  allWorkflowIds,
  exportHistory,
  exportRoundHistories,
  rederiveRound,
  replayHistories,
  roundWorkflowIds,
  verifyAll,
} from '../api/services/audit';
import { loadRoundConfig } from '../api/services/registrations';
import type { RoundConfigInput } from '../domain';
import { ROUND_PHASES, type CandidateStage, type RoundPhase } from '../contracts';
import { AppError, toErrorResponse } from '../api/errors';

async function withDeps<T>(f: (deps: ServiceDeps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // The SDK's native warnings (e.g. each determinism violation a replay reports anyway) would be
  // printed onto stdout, which holds the JSON answer: only errors. (Forwarding them to the logger
  // keeps the process from exiting.)
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  auditSigner(); // the keys verification checks signatures with: refused early when not configured
  const db = createDb(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 5_000 });
  try {
    return await f({
      db,
      client: new Client({ connection, namespace: config.temporalNamespace, dataConverter: dataConverter() }),
      connection,
      taskQueue: config.taskQueue,
    });
  } finally {
    await connection.close();
    await db.destroy();
  }
}

const out = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
function progress(done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write('\n');
}

export const EXIT = { clean: 0, finding: 1, couldNotRun: 2 } as const;

/**
 * The workflow bundle to replay with: `--bundle` as given (it must exist); otherwise
 * ASN_WORKFLOW_BUNDLE or dist/workflow-bundle.js when there, else one built now from the source
 * (worker/worker.ts bundleWorkflows) into a temporary file.
 */
async function resolveBundle(explicit: string | undefined): Promise<string> {
  if (explicit) {
    if (!existsSync(explicit))
      throw new AppError(
        400,
        'BUNDLE_NOT_FOUND',
        `Bundel alur kerja ${explicit} tidak ada (jalankan npm run build, atau hilangkan --bundle agar dibangun otomatis)`,
      );
    return explicit;
  }
  const configured = process.env.ASN_WORKFLOW_BUNDLE ?? PREBUILT_BUNDLE;
  if (existsSync(configured)) return configured;
  process.stderr.write(`bundel alur kerja ${configured} tidak ada: membangun dari kode sumber…\n`);
  const path = join(mkdtempSync(join(tmpdir(), 'asn-bundle-')), 'workflow-bundle.js');
  writeFileSync(path, await bundleWorkflows());
  return path;
}

const program = new Command('asn')
  .description('Seleksi ASN berbasis kinerja — alat baris perintah untuk panitia dan auditor')
  .option('--as <username>', 'who acts (recorded in the audit log)', 'cli');
// Bad arguments exit 2 (could not run), not commander's 1, which means a finding here.
program.exitOverride();
const actor = (): string => program.opts<{ as: string }>().as;

program
  .command('round-start')
  .argument('<file>', 'round configuration (JSON or YAML)')
  .description('start a recruitment round')
  .action(async (file: string) => {
    const text = readFileSync(file, 'utf8');
    const input = (
      file.endsWith('.yaml') || file.endsWith('.yml') ? parseYaml(text) : JSON.parse(text)
    ) as RoundConfigInput;
    await withDeps(async (deps) => out(await createRound(deps, input, actor())));
  });

program
  .command('import')
  .argument('<roundId>')
  .argument('<exam>', 'skd or skb')
  .argument('<file>', 'CSV (comma or semicolon) or .xlsx')
  .option('--correction <reason>', 'replace earlier scores (audited)')
  .description('import exam results (validated whole)')
  .action(async (roundId: string, exam: string, file: string, o: { correction?: string }) => {
    if (exam !== 'skd' && exam !== 'skb') throw new AppError(400, 'VALIDATION_FAILED', 'exam: skd atau skb');
    const format = /\.xlsx$/i.test(file) ? 'xlsx' : 'csv';
    await withDeps(async (deps) =>
      out(
        await importResults(
          deps,
          roundId,
          exam,
          readFileSync(file),
          actor(),
          o.correction ? { reason: o.correction } : undefined,
          format,
        ),
      ),
    );
  });

program
  .command('rank')
  .argument('<roundId>')
  .argument('<kind>', 'skb_selection or final')
  .description('run a ranking and notify the candidates')
  .action(async (roundId: string, kind: string) => {
    if (kind !== 'skb_selection' && kind !== 'final')
      throw new AppError(400, 'VALIDATION_FAILED', 'kind: skb_selection atau final');
    await withDeps(async (deps) => out(await requestRanking(deps, roundId, kind, actor())));
  });

program
  .command('advance')
  .argument('<roundId>')
  .argument('<from>', 'the current phase (a stale one is refused)')
  .requiredOption('--reason <text>', 'why the phase is over (audited)')
  .description('simulation rounds only: end the current phase now and begin the next')
  .action(async (roundId: string, from: string, o: { reason: string }) => {
    if (!(ROUND_PHASES as readonly string[]).includes(from))
      throw new AppError(400, 'VALIDATION_FAILED', `from: salah satu dari ${ROUND_PHASES.join(', ')}`);
    await withDeps(async (deps) => {
      try {
        out(await advancePhase(deps, roundId, { from: from as RoundPhase, reason: o.reason }, actor()));
      } catch (err) {
        // A refused Update (NOT_SIMULATION, WRONG_PHASE, …) is reported with its code.
        const r = toErrorResponse(err);
        if (r.status >= 500) throw err;
        throw new AppError(r.status, r.body.error.code, r.body.error.message);
      }
    });
  });

program
  .command('candidates')
  .argument('<roundId>')
  .option('--stage <stage>')
  .option('--formation <formationId>')
  .description('list candidates by stage (Temporal visibility) and the funnel')
  .action(async (roundId: string, o: { stage?: string; formation?: string }) => {
    await withDeps(async (deps) =>
      out({
        funnel: await funnel(deps, roundId),
        candidates: await listCandidates(deps, roundId, {
          stage: o.stage as CandidateStage | undefined,
          formationId: o.formation,
        }),
      }),
    );
  });

program
  .command('announce')
  .argument('<roundId>')
  .argument('<phase>', 'administrasi | skd | skb_selection | final')
  .option('--html <file>', 'write the printable page')
  .description('an announcement with masked NIKs')
  .action(async (roundId: string, phase: string, o: { html?: string }) => {
    await withDeps(async (deps) => {
      const a = await announcement(deps, roundId, phase);
      if (o.html) {
        writeFileSync(o.html, announcementHtml(a));
        process.stderr.write(`ditulis: ${o.html}\n`);
      } else out(a);
    });
  });

const history = program.command('history').description('export workflow histories');
history
  .command('export')
  .argument('<workflowId>')
  .option('-o, --output <file>')
  .action(async (workflowId: string, o: { output?: string }) => {
    await withDeps(async (deps) => {
      const json = historyToJSON(await exportHistory(deps, workflowId));
      if (o.output) writeFileSync(o.output, json);
      else process.stdout.write(`${json}\n`);
    });
  });
history
  .command('export-round')
  .argument('<roundId>')
  .requiredOption('-o, --output <file>', 'NDJSON bundle')
  .action(async (roundId: string, o: { output: string }) => {
    await withDeps(async (deps) => {
      const lines: string[] = [];
      for await (const line of exportRoundHistories(deps, roundId)) lines.push(line);
      writeFileSync(o.output, lines.join(''));
      process.stderr.write(`${lines.length} riwayat → ${o.output}\n`);
    });
  });

program
  .command('replay')
  .option('--workflow <id>')
  .option('--round <roundId>', 'the round, its candidates and its careers')
  .option('--all', 'every workflow of the namespace')
  .option(
    '--bundle <path>',
    'workflow bundle (default: ASN_WORKFLOW_BUNDLE or dist/workflow-bundle.js, else built from source)',
  )
  .description(
    'replay histories on the current code; exit 1 on any determinism violation, 2 if a history cannot be read',
  )
  .action(async (o: { workflow?: string; round?: string; all?: boolean; bundle?: string }) => {
    if (!o.workflow && !o.round && !o.all)
      throw new AppError(400, 'VALIDATION_FAILED', 'beri --workflow, --round atau --all');
    await withDeps(async (deps) => {
      if (o.round) await loadRoundConfig(deps, o.round); // an unknown round is an error, not an empty replay
      const ids = o.workflow
        ? [o.workflow]
        : o.round
          ? await roundWorkflowIds(deps.db, o.round)
          : await allWorkflowIds(deps);
      const bundle = await resolveBundle(o.bundle);
      const results = await replayHistories(deps, ids, bundle, progress, { threads: 0 }); // every core
      const failed = results.filter((r) => !r.ok);
      out({ total: results.length, ok: results.length - failed.length, failed });
      const unreadable = failed.filter((r) => r.error?.startsWith('history not available'));
      if (failed.length > unreadable.length) process.exitCode = EXIT.finding;
      else if (unreadable.length) {
        process.stderr.write(
          `${unreadable.length} riwayat tidak dapat dibaca: ${unreadable
            .slice(0, 5)
            .map((r) => r.workflowId)
            .join(', ')}\n`,
        );
        process.exitCode = EXIT.couldNotRun;
      }
    });
  });

const audit = program.command('audit').description('tamper-evident audit log');
audit
  .command('verify')
  .argument('<roundId>')
  .description(
    "verify the round's and its careers' hash chains against the signed heads in their workflow histories; exit 1 if broken",
  )
  .action(async (roundId: string) => {
    await withDeps(async (deps) => {
      const r = await verifyAll(deps, roundId);
      out(r);
      for (const c of [r.round, ...r.careers])
        for (const p of c.problems) process.stderr.write(`${c.chain}: ${p.problem} — ${p.message}\n`);
      if (!r.allOk) process.exitCode = EXIT.finding;
    });
  });

program
  .command('rederive')
  .argument('<roundId>')
  .description('recompute every decision from the recorded inputs; exit 1 on any difference')
  .action(async (roundId: string) => {
    await withDeps(async (deps) => {
      const r = await rederiveRound(deps.db, (await loadRoundConfig(deps, roundId)).config);
      out(r);
      if (r.differences.length) process.exitCode = EXIT.finding;
    });
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and version are answers; anything else commander refused is a bad argument (it printed why).
    process.exit(
      err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version'
        ? EXIT.clean
        : EXIT.couldNotRun,
    );
  }
  if (err instanceof AppError) {
    console.error(`${err.code}: ${err.message}${err.details ? `\n${JSON.stringify(err.details, null, 2)}` : ''}`);
    process.exit(EXIT.couldNotRun);
  }
  // Cannot connect (PostgreSQL, Temporal), an unreadable file, …: could not run.
  console.error(`tidak dapat dijalankan: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(EXIT.couldNotRun);
});
