import { randomUUID } from 'node:crypto';
import {
  type AuditJobKind,
  type AuditJobRow,
  findAuditJob,
  finishAuditJob,
  heartbeatAuditJobs,
  insertAuditJob,
  listAuditJobs,
  markAuditJobRunning,
  markInterruptedAuditJobs,
  recordAuditJobProgress,
} from '../../db/audit-jobs';
import { AppError, notFound } from '../errors';
import { rederiveRound, replayHistories, replaySummary, roundWorkflowIds, verifyAll } from './audit';
import type { ServiceDeps } from './deps';
import { pageParams, type Page, type PageRequest } from './paging';
import { loadRoundConfig } from './registrations';

/**
 * The auditor's checks of a round as background jobs (issue 18): `verify` (the round's chain and
 * every career's against their signed heads), `replay` (the round's, its candidates' and its
 * careers' histories on the current code, over every core through config/parallel-replay.ts) and
 * `rederive` (every decision recomputed from the recorded inputs). The job's row (db/audit-jobs.ts)
 * holds its progress and result.
 *
 * They run inside the API process, one at a time, not as Temporal workflows: each is read-only
 * and can simply be started again, the replay needs the workflow bundle and worker threads the
 * API already has, and running it on a Temporal worker would compete with the workflows it
 * audits. What Temporal would add — surviving a restart — is covered by marking the job
 * `interrupted` (its process heartbeats it; a stale heartbeat, at start or on any read, marks it)
 * so it never stays `running`; the auditor starts it again.
 */
export interface AuditJobsOptions {
  /** The workflow bundle the replay runs on (absent: replay jobs are refused, 503 REPLAY_UNAVAILABLE). */
  bundlePath?: string;
  /** Replay threads (default: os.availableParallelism()). */
  replayThreads?: number;
  heartbeatMs?: number;
  /** A queued or running job whose heartbeat is older than this is interrupted (default 20 s). */
  staleMs?: number;
}

export interface AuditJobOutcome {
  ok: boolean;
  findings: number;
  result: unknown;
}

interface JobContext {
  deps: ServiceDeps;
  roundId: string;
  progress: (done: number, total: number) => void;
  signal: AbortSignal;
}

/** What each kind does: its result, whether it is clean, and how many findings it has. */
const RUNNERS: Record<AuditJobKind, (ctx: JobContext, opts: AuditJobsOptions) => Promise<AuditJobOutcome>> = {
  verify: async ({ deps, roundId, progress }) => {
    const r = await verifyAll(deps, roundId, undefined, progress);
    const findings = [r.round, ...r.careers].reduce((n, c) => n + c.problems.length, 0);
    return { ok: r.allOk, findings, result: r };
  },
  replay: async ({ deps, roundId, progress, signal }, opts) => {
    const ids = await roundWorkflowIds(deps.db, roundId);
    progress(0, ids.length);
    const results = await replayHistories(deps, ids, opts.bundlePath!, progress, {
      threads: opts.replayThreads ?? 0,
      signal,
    });
    progress(results.length, ids.length);
    const summary = replaySummary(results);
    return { ok: summary.failed.length === 0, findings: summary.failed.length, result: summary };
  },
  rederive: async ({ deps, roundId, progress }) => {
    progress(0, 1);
    const { config } = await loadRoundConfig(deps, roundId);
    const r = await rederiveRound(deps.db, config);
    progress(1, 1);
    return { ok: r.differences.length === 0, findings: r.differences.length, result: r };
  },
};

/** Progress writes at most every `ms` (and always the last one), so a fast replay does not flood PostgreSQL. */
function throttledProgress(write: (done: number, total: number) => Promise<void>, ms = 250) {
  let last = 0;
  let pending: Promise<void> = Promise.resolve();
  const report = (done: number, total: number): void => {
    const now = Date.now();
    if (done < total && now - last < ms) return;
    last = now;
    pending = pending.then(() => write(done, total)).catch(() => undefined);
  };
  return { report, flushed: () => pending };
}

export class AuditJobs {
  readonly instanceId = randomUUID();
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly opts: AuditJobsOptions = {},
  ) {}

  private get staleMs(): number {
    return this.opts.staleMs ?? 20_000;
  }

  /** At the API's start (and before every read): jobs left queued or running by a process that is gone are interrupted. */
  async recover(): Promise<number> {
    return markInterruptedAuditJobs(this.deps.db, { staleMs: this.staleMs });
  }

  /** A new job for the round (404 NOT_FOUND for an unknown round); it runs in the background. */
  async submit(kind: AuditJobKind, roundId: string, requestedBy: string): Promise<AuditJobRow> {
    if (kind === 'replay' && !this.opts.bundlePath)
      throw new AppError(503, 'REPLAY_UNAVAILABLE', 'Paket kode alur kerja tidak tersedia pada server ini');
    if (this.abort.signal.aborted) throw new AppError(503, 'SHUTTING_DOWN', 'Server API sedang berhenti');
    await loadRoundConfig(this.deps, roundId);
    const jobId = randomUUID();
    await insertAuditJob(this.deps.db, { jobId, kind, roundId, requestedBy, instanceId: this.instanceId });
    this.queue.push(jobId);
    this.pump();
    return (await findAuditJob(this.deps.db, jobId))!;
  }

  async get(jobId: string): Promise<AuditJobRow> {
    await this.recover();
    const row = await findAuditJob(this.deps.db, jobId);
    if (!row) throw notFound('Pekerjaan audit', jobId);
    return row;
  }

  async list(p: PageRequest & { roundId?: string }): Promise<Page<Omit<AuditJobRow, 'result'>>> {
    await this.recover();
    const { page, pageSize, offset } = pageParams(p);
    const { total, rows } = await listAuditJobs(this.deps.db, { offset, limit: pageSize, roundId: p.roundId });
    return { items: rows, total, page, pageSize };
  }

  /** At the API's close: the running job stops at its next step; it and the queued ones are interrupted. */
  async close(): Promise<void> {
    this.abort.abort();
    this.queue.length = 0;
    await this.running;
    this.stopHeartbeat();
    await markInterruptedAuditJobs(this.deps.db, { instanceId: this.instanceId }).catch(() => undefined);
  }

  private pump(): void {
    if (this.running) return;
    this.heartbeat ??= setInterval(() => {
      heartbeatAuditJobs(this.deps.db, this.instanceId).catch(() => undefined);
    }, this.opts.heartbeatMs ?? 5_000);
    this.heartbeat.unref();
    this.running = (async () => {
      while (this.queue.length && !this.abort.signal.aborted) await this.run(this.queue.shift()!);
    })().finally(() => {
      this.running = undefined;
      if (this.queue.length && !this.abort.signal.aborted) this.pump();
      else this.stopHeartbeat();
    });
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async run(jobId: string): Promise<void> {
    const db = this.deps.db;
    try {
      if (!(await markAuditJobRunning(db, jobId, this.instanceId))) return;
      const job = (await findAuditJob(db, jobId))!;
      let at = { done: 0, total: 0 };
      const progress = throttledProgress((done, total) => recordAuditJobProgress(db, jobId, done, total));
      const ctx: JobContext = {
        deps: this.deps,
        roundId: job.round_id,
        signal: this.abort.signal,
        progress: (done, total) => {
          at = { done, total };
          progress.report(done, total);
        },
      };
      const outcome = await RUNNERS[job.kind](ctx, this.opts);
      await progress.flushed();
      if (this.abort.signal.aborted) return; // close() marks it interrupted: its result is partial
      await finishAuditJob(db, jobId, { status: 'succeeded', ...outcome, ...at });
    } catch (err) {
      await finishAuditJob(db, jobId, { status: 'failed', error: (err as Error).message ?? String(err) }).catch(
        () => undefined,
      );
    }
  }
}
