import type { Client } from '@temporalio/client';
import { type RawBuilder, sql } from 'kysely';
import { roundChain } from '../contracts';
import { careerChain } from '../contracts';
import { verifyChain } from '../db/audit';
import type { Db } from '../db/connection';
import { skdOutcome } from '../domain';
import { candidateWorkflowId, type CandidateStatus } from '../contracts';
import type { DriverResult, Registered } from './driver';

/**
 * After a driven round: is everything there, once, and where it should be? Used by the fault run
 * (with killed workers and restarted servers) and by the tests of the driver.
 */
export interface RoundCheck {
  candidates: number;
  registered: number;
  /** 2xx registrations with no application row or no workflow. */
  lost: string[];
  /** Rows that exist more than once under their natural key, per table. */
  duplicated: Record<string, number>;
  /** Candidates whose final state differs from what their plan and the published rankings say. */
  wrongOutcome: { registrationNo: string; expected: string; actual: string }[];
  /** Workflows still running (or failed) when they should have ended. */
  notEnded: string[];
  /** Rows without their audit entry, and broken hash chains. */
  auditMissing: { action: string; registrationNo: string }[];
  chainsBroken: string[];
  outcomes: Record<string, number>;
}

/** Natural keys: none of these may repeat, whatever was retried. */
const NATURAL_KEYS: [string, string, string][] = [
  ['applications', 'nik, budget_year', 'round_id = $R'],
  ['users', 'registration_no', 'registration_no in (select registration_no from applications where round_id = $R)'],
  [
    'documents',
    'registration_no, kind, sha256',
    'registration_no in (select registration_no from applications where round_id = $R)',
  ],
  ['tasks', 'registration_no, kind, stage, reviewer', 'round_id = $R'],
  [
    'verifications',
    'registration_no, stage',
    'registration_no in (select registration_no from applications where round_id = $R)',
  ],
  [
    'sanggah',
    'registration_no, stage',
    'registration_no in (select registration_no from applications where round_id = $R)',
  ],
  [
    'skd_scores',
    'registration_no',
    'registration_no in (select registration_no from applications where round_id = $R)',
  ],
  [
    'skb_results',
    'registration_no',
    'registration_no in (select registration_no from applications where round_id = $R)',
  ],
  [
    'final_results',
    'registration_no',
    'registration_no in (select registration_no from applications where round_id = $R)',
  ],
  [
    'appointments',
    'registration_no',
    'registration_no in (select registration_no from applications where round_id = $R)',
  ],
  [
    'appointments',
    'nip',
    'nip is not null and registration_no in (select registration_no from applications where round_id = $R)',
  ],
  ['careers', 'registration_no', 'registration_no in (select registration_no from applications where round_id = $R)'],
  ['exam_imports', 'kind, sha256', 'round_id = $R'],
  ['exam_scores', 'kind, registration_no', 'round_id = $R'],
  ['rankings', 'kind, version, registration_no', 'round_id = $R'],
  ['consultation_comments', 'author, body', 'round_id = $R'],
  ['criteria_versions', 'version', 'round_id = $R'],
  ['audit_log', 'chain, idempotency_key', "chain = 'round:' || $R"],
  ['audit_log', 'chain, seq', "chain = 'round:' || $R"],
];

/** The audit entry each row must have (same subject). */
const AUDITED: [string, string, string][] = [
  ['verifications', 'verification.decided', "select registration_no from verifications where stage = 'administrasi'"],
  ['sanggah', 'sanggah.filed', 'select registration_no from sanggah'],
  ['skd_scores', 'skd.recorded', 'select registration_no from skd_scores'],
  ['skb_results', 'skb.selection', 'select registration_no from skb_results'],
  ['final_results', 'final.recorded', 'select registration_no from final_results'],
  ['appointments', 'candidate.appointed', 'select registration_no from appointments where nip is not null'],
];

export function expectedOutcome(r: Registered, selection: Map<string, string>, finals: Map<string, string>): string {
  const p = r.sim.plan;
  if (!r.documentsSubmitted) return 'documents_missing';
  if (p.tms && !(r.appealFiled && p.appealAccepted)) return 'tms';
  if (!p.skd || !skdOutcome(p.skd, r.sim.request.category).passed) return 'skd_failed';
  const sel = selection.get(r.registrationNo);
  if (sel !== 'selected') return sel === undefined ? 'no SKB selection published' : 'not_selected_for_skb';
  if (p.skb === null) return 'tidak_lulus';
  const f = finals.get(r.registrationNo);
  if (f === 'lulus' || f === 'lulus_optimalisasi') return p.submitsDrh ? 'appointed' : 'drh_missed';
  return f === undefined ? 'no final result published' : 'tidak_lulus';
}

type Outcomes = Pick<RoundCheck, 'lost' | 'notEnded' | 'wrongOutcome' | 'outcomes'>;

/** Each registration's application row and candidate workflow: recorded, ended, with the outcome its plan leads to. */
async function checkCandidates(
  client: Client,
  result: DriverResult,
  apps: Set<string>,
  ranked: { selection: Map<string, string>; finals: Map<string, string> },
  graceUntil: number,
  resultTimeoutMs: number,
): Promise<Outcomes> {
  const lost: string[] = [];
  const notEnded: string[] = [];
  const wrongOutcome: RoundCheck['wrongOutcome'] = [];
  const outcomes: Record<string, number> = {};
  for (const r of result.registered) {
    if (!apps.has(r.registrationNo)) {
      lost.push(r.registrationNo);
      continue;
    }
    const h = client.workflow.getHandle(candidateWorkflowId(r.registrationNo));
    let status: string;
    try {
      status = (await h.describe()).status.name;
    } catch {
      lost.push(r.registrationNo);
      continue;
    }
    if (status === 'RUNNING') {
      // A candidate's own deadline timer may trail the round's close by the seconds a crashed
      // worker cost it (its DRH deadline is waited on its own task): give it until graceUntil.
      try {
        await client.withDeadline(graceUntil, () => h.result());
      } catch {
        // still running (or failed): the describe below says which
      }
      status = (await h.describe()).status.name;
    }
    if (status !== 'COMPLETED') {
      notEnded.push(`${r.registrationNo}:${status}`);
      continue;
    }
    const res = (await client.withDeadline(Date.now() + resultTimeoutMs, () => h.result())) as CandidateStatus;
    const actual = res.outcome ?? 'none';
    outcomes[actual] = (outcomes[actual] ?? 0) + 1;
    const expected = expectedOutcome(r, ranked.selection, ranked.finals);
    if (actual !== expected) wrongOutcome.push({ registrationNo: r.registrationNo, expected, actual });
  }
  return { lost, notEnded, wrongOutcome, outcomes };
}

/** The round's rows stored twice under one natural key, counted per table and key. */
async function duplicatedKeys(db: Db, roundId: string): Promise<Record<string, number>> {
  /** A fragment with `$R` standing for the round id (bound as a parameter). */
  const withRound = (text: string): RawBuilder<unknown> => {
    const parts = text.split('$R');
    return parts
      .slice(1)
      .reduce<RawBuilder<unknown>>((acc, p) => sql`${acc}${roundId}${sql.raw(p)}`, sql.raw(parts[0]!));
  };
  const duplicated: Record<string, number> = {};
  for (const [table, key, where] of NATURAL_KEYS) {
    const { rows } = await sql<{
      dup: string;
    }>`select count(*) - count(distinct (${sql.raw(key)})) as dup from ${sql.table(table)} where ${withRound(where)}`.execute(
      db,
    );
    const n = Number(rows[0]?.dup ?? 0);
    if (n) duplicated[`${table}(${key})`] = n;
  }
  return duplicated;
}

/** The round's audited actions with no entry in its audit chain. */
async function missingAudits(db: Db, roundId: string): Promise<RoundCheck['auditMissing']> {
  const auditMissing: RoundCheck['auditMissing'] = [];
  for (const [, action, rowsSql] of AUDITED) {
    const { rows } = await sql<{
      registration_no: string;
    }>`select x.registration_no from (${sql.raw(rowsSql)}) x join applications a on a.registration_no = x.registration_no
      where a.round_id = ${roundId} and not exists (select 1 from audit_log l where l.chain = ${roundChain(roundId)} and l.action = ${action} and l.subject = x.registration_no)`.execute(
      db,
    );
    for (const r of rows) auditMissing.push({ action, registrationNo: r.registration_no });
  }
  return auditMissing;
}

/** The round's audit chain and its appointees' career chains that fail verification. */
async function brokenChains(db: Db, roundId: string, nos: string[]): Promise<string[]> {
  const chainsBroken: string[] = [];
  if (!(await verifyChain(db, roundChain(roundId))).ok) chainsBroken.push(roundChain(roundId));
  const nips = await db
    .selectFrom('appointments')
    .select('nip')
    .where('registration_no', 'in', nos.length ? nos : [''])
    .where('nip', 'is not', null)
    .execute();
  for (const { nip } of nips) if (!(await verifyChain(db, careerChain(nip!))).ok) chainsBroken.push(careerChain(nip!));
  return chainsBroken;
}

export async function checkRound(
  db: Db,
  client: Client,
  result: DriverResult,
  opts: { resultTimeoutMs?: number; endGraceMs?: number } = {},
): Promise<RoundCheck> {
  const roundId = result.roundId;
  const nos = result.registered.map((r) => r.registrationNo);
  const apps = new Set(
    (await db.selectFrom('applications').select('registration_no').where('round_id', '=', roundId).execute()).map(
      (a) => a.registration_no,
    ),
  );
  const graceUntil = Date.now() + (opts.endGraceMs ?? 120_000);

  const ranks = await db
    .selectFrom('rankings')
    .select(['registration_no', 'kind', 'result', 'version'])
    .where('round_id', '=', roundId)
    .orderBy('version')
    .execute();
  const selection = new Map(ranks.filter((r) => r.kind === 'skb_selection').map((r) => [r.registration_no, r.result]));
  const finals = new Map(ranks.filter((r) => r.kind === 'final').map((r) => [r.registration_no, r.result]));

  const checked = await checkCandidates(
    client,
    result,
    apps,
    { selection, finals },
    graceUntil,
    opts.resultTimeoutMs ?? 10_000,
  );
  const duplicated = await duplicatedKeys(db, roundId);
  const auditMissing = await missingAudits(db, roundId);
  const chainsBroken = await brokenChains(db, roundId, nos);
  return {
    candidates: result.candidates.length,
    registered: result.registered.length,
    lost: checked.lost,
    duplicated,
    wrongOutcome: checked.wrongOutcome,
    notEnded: checked.notEnded,
    auditMissing,
    chainsBroken,
    outcomes: checked.outcomes,
  };
}

export function checkPassed(c: RoundCheck): boolean {
  return (
    c.lost.length === 0 &&
    Object.keys(c.duplicated).length === 0 &&
    c.wrongOutcome.length === 0 &&
    c.notEnded.length === 0 &&
    c.auditMissing.length === 0 &&
    c.chainsBroken.length === 0
  );
}
