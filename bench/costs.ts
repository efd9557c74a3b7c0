/**
 * What one candidate costs, measured around a bench:e2e run (issue 20's national sizing): CPU of
 * the worker, the Temporal server and this process (the services the API runs), Temporal's
 * persistence requests (its metrics endpoint), PostgreSQL bytes and rows, and history bytes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Db } from '../db/connection';

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * User + system CPU of a process so far, in ms (0 when it is gone); with `children`, also that of
 * its children it has waited for (cutime, cstime).
 */
export function cpuMsOf(pid: number, children = false): number {
  try {
    // Fields after the command's closing parenthesis: state is 3rd, utime 14th, stime 15th,
    // cutime 16th, cstime 17th of the whole line.
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const own = Number(rest[11]) + Number(rest[12]);
    return ((own + (children ? Number(rest[13]) + Number(rest[14]) : 0)) / TICKS_PER_S) * 1000;
  } catch {
    return 0;
  }
}

/**
 * CPU of PostgreSQL on this machine so far, in ms: every postgres process's own, and the
 * backends that have exited (the postmaster waited for them: its cutime and cstime).
 */
export function postgresCpuMs(): number {
  let ms = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') ms += cpuMsOf(Number(d), true);
    } catch {
      /* gone */
    }
  }
  return ms;
}

/** The dev server process listening on `port` (its command line names it). */
export function serverPid(port: number): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('start-dev') && cmd.includes(String(port))) return Number(d);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const WRITE = /^(Create|Update|Append|Put|Delete|Complete|RangeComplete|RangeDelete|Upsert|Set|Insert|Add|Conflict)/;

/** Temporal's persistence requests so far, split into writes and reads (by operation name). */
export async function persistenceRequests(metricsPort: number): Promise<{ writes: number; reads: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out = { writes: 0, reads: 0 };
  for (const m of text.matchAll(/^persistence_requests\{[^}]*operation="(\w+)"[^}]*\} (\d+(?:\.\d+)?)/gm))
    if (WRITE.test(m[1]!)) out.writes += Number(m[2]);
    else out.reads += Number(m[2]);
  return out;
}

/** The database's size and its tables' live rows. */
export async function pgSize(db: Db): Promise<{ bytes: number; rows: number }> {
  const r = await sql<{ bytes: string; rows: string | null }>`
    select pg_database_size(current_database())::text as bytes,
           (select sum(n_live_tup) from pg_stat_user_tables)::text as rows`.execute(db);
  return { bytes: Number(r.rows[0]!.bytes), rows: Number(r.rows[0]!.rows ?? 0) };
}

/** Mean encoded history size (protobuf bytes, payloads as stored: encrypted) of the given workflows. */
export async function historyBytes(client: Client, ids: string[]): Promise<number> {
  let total = 0;
  for (const id of ids)
    total += temporal.api.history.v1.History.encode(await client.workflow.getHandle(id).fetchHistory()).finish().length;
  return ids.length ? total / ids.length : 0;
}

export interface CostSnapshot {
  workerCpuMs: number;
  serverCpuMs: number;
  driverCpuMs: number;
  /** Every postgres process's CPU (the machine's PostgreSQL serves only the bench while it runs). */
  postgresCpuMs: number;
  persistence: { writes: number; reads: number };
  pg: { bytes: number; rows: number };
}

export interface Metered {
  db: Db;
  /** The worker processes whose CPU counts (a path may run several). */
  workerPids: number[];
  serverPid: number | undefined;
  metricsPort: number;
}

export async function snapshot(m: Metered): Promise<CostSnapshot> {
  const { db, serverPid: serverPidNo, metricsPort } = m;
  const u = process.cpuUsage();
  await sql`select pg_stat_force_next_flush()`.execute(db).catch(() => undefined);
  return {
    workerCpuMs: m.workerPids.reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    serverCpuMs: serverPidNo ? cpuMsOf(serverPidNo) : 0,
    driverCpuMs: (u.user + u.system) / 1000,
    postgresCpuMs: postgresCpuMs(),
    persistence: await persistenceRequests(metricsPort),
    pg: await pgSize(db),
  };
}

/** Per candidate, between two snapshots. */
export function perCandidate(a: CostSnapshot, b: CostSnapshot, n: number) {
  const per = (x: number): number => Math.round((x / n) * 100) / 100;
  return {
    workerCpuMs: per(b.workerCpuMs - a.workerCpuMs),
    temporalServerCpuMs: per(b.serverCpuMs - a.serverCpuMs),
    servicesCpuMs: per(b.driverCpuMs - a.driverCpuMs),
    postgresCpuMs: per(b.postgresCpuMs - a.postgresCpuMs),
    temporalPersistenceWrites: per(b.persistence.writes - a.persistence.writes),
    temporalPersistenceReads: per(b.persistence.reads - a.persistence.reads),
    postgresBytes: per(b.pg.bytes - a.pg.bytes),
    postgresRows: per(b.pg.rows - a.pg.rows),
  };
}

export type CandidateCosts = ReturnType<typeof perCandidate>;

/** Adds two costs per candidate, field by field (`a` may be absent). */
function addCosts(a: CandidateCosts | undefined, b: CandidateCosts): CandidateCosts {
  if (!a) return b;
  const out = { ...b };
  for (const k of Object.keys(b) as (keyof CandidateCosts)[]) out[k] = Math.round((a[k] + b[k]) * 100) / 100;
  return out;
}

/**
 * Snapshots at phase boundaries: each phase's cost per candidate, and the whole run's. A pause
 * (`pause`, until the next `mark`) leaves out what the machine does meanwhile: bench:e2e drives
 * the skeleton's phase there, on the same Temporal server and PostgreSQL. A phase marked twice
 * adds up.
 */
export class PhaseMeter {
  private open: { name: string; at: CostSnapshot } | undefined;
  private whole: CandidateCosts | undefined;
  readonly phases: Record<string, CandidateCosts> = {};
  constructor(
    private readonly m: Metered,
    private readonly n: number,
  ) {}

  /** The phase `name` starts now (and the one before it ends). */
  async mark(name: string): Promise<void> {
    const at = await snapshot(this.m);
    this.close(at);
    this.open = { name, at };
  }

  /** The open phase ends; nothing is counted until the next `mark`. */
  async pause(): Promise<void> {
    if (!this.open) return;
    this.close(await snapshot(this.m));
    this.open = undefined;
  }

  private close(at: CostSnapshot): void {
    if (!this.open) return;
    const d = perCandidate(this.open.at, at, this.n);
    this.phases[this.open.name] = addCosts(this.phases[this.open.name], d);
    this.whole = addCosts(this.whole, d);
  }

  /** Ends the last phase; the whole run per candidate (the phases' sum, pauses left out). */
  async end(): Promise<CandidateCosts> {
    await this.pause();
    return this.whole!;
  }
}
