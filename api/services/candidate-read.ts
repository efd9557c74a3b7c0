import { roundChain } from '../../contracts';
import {
  type DocumentKind,
  type PassingCheck,
  type RoundConfig,
  type SanggahStage,
  wording,
  type Wording,
} from '../../domain';
import type {
  CandidateOutcome,
  CandidateStage,
  CandidateStatus,
  Decision,
  DocumentDecision,
  DocumentRef,
} from '../../contracts';
import { notFound } from '../errors';
import type { ServiceDeps } from './deps';

const iso = (d: Date | string | number): string => new Date(d).toISOString();

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  reason: string | null;
  payload: unknown;
  occurred_at: Date | string;
}

/**
 * A decision as the candidate's workflow words it (both with domain/decision-wording.ts), from its
 * audit row; rows that record no decision (a stage, a first assignment, an SKB score) give none.
 */
function decisionOf(no: string, a: AuditRow): Decision | undefined {
  const p = (a.payload ?? {}) as Record<string, unknown>;
  const who = a.actor === no ? 'pelamar' : a.actor === 'system' ? 'sistem' : a.actor;
  const w = wordingOf(a.action, p, a.reason);
  return w && { what: w.what, who, when: iso(a.occurred_at), ...(w.why ? { why: w.why } : {}) };
}

function wordingOf(action: string, p: Record<string, unknown>, reason: string | null): Wording | undefined {
  const stage = p.stage as SanggahStage;
  switch (action) {
    case 'documents.submitted':
      return wording.documentsSubmitted(((p.documents ?? []) as { kind: string }[]).map((d) => d.kind));
    case 'verification.decided':
      return wording.verification(p.result as 'MS' | 'TMS', (p.decisions ?? []) as DocumentDecision[]);
    case 'task.escalated':
      return wording.escalation(String(p.taskId).split(':')[1]!, String(p.reviewer));
    case 'sanggah.filed':
      return wording.sanggahFiled(stage, reason ?? '');
    case 'sanggah.answered':
      return wording.sanggahAnswered(stage, !!p.accepted, reason ?? '');
    case 'skd.recorded':
      return wording.skd(!!p.passed, (p.checks ?? []) as PassingCheck[]);
    case 'skb.selection':
      return wording.skbSelection(!!p.selected, (p.skdRank as number | null) ?? null);
    case 'final.recorded':
      return wording.final(String(p.result), String(p.score), Number(p.rank));
    case 'drh.submitted':
      return wording.drhSubmitted();
    case 'candidate.appointed':
      return wording.appointed(String(p.nip), String(p.skNumber), String(p.tmt));
    case 'candidate.ended':
      return wording.ended(String(p.outcome), reason);
    default:
      return undefined;
  }
}

/** A write the process's end undid (activities/candidate-audit.ts `undoLeftovers`), by its audit action. */
const VOIDED_BY: Record<string, string> = { 'sanggah.filed': 'sanggah.voided', 'drh.submitted': 'drh.voided' };

/**
 * A sanggah or a DRH the process never accepted (written by a workflow task that did not
 * complete; voided at the process's end) is not part of its story: neither its row among the
 * decisions nor, for a sanggah, its reviewer's task.
 */
function withoutVoided<T extends { kind: string; stage: string; status: string }>(
  audit: AuditRow[],
  tasks: T[],
): { audit: AuditRow[]; tasks: T[] } {
  const stageOf = (a: AuditRow): unknown => (a.payload as { stage?: unknown } | null)?.stage;
  const voided = audit.filter((a) => a.action === 'sanggah.voided' || a.action === 'drh.voided');
  if (!voided.length) return { audit, tasks };
  const sanggahStages = new Set(voided.filter((v) => v.action === 'sanggah.voided').map(stageOf));
  const undone = (a: AuditRow): boolean =>
    voided.some((v) => v.action === VOIDED_BY[a.action] && v.seq > a.seq && stageOf(v) === stageOf(a));
  return {
    audit: audit.filter((a) => !undone(a)),
    tasks: tasks.filter((t) => !(t.kind === 'sanggah' && t.status === 'cancelled' && sanggahStages.has(t.stage))),
  };
}

/** Which decision a sanggah stage row follows: the latest one recorded before it. */
function sanggahStageBefore(audit: AuditRow[], seq: number): SanggahStage {
  const before = audit
    .filter((x) => x.seq < seq)
    .reverse()
    .find((x) => ['verification.decided', 'skd.recorded', 'final.recorded'].includes(x.action));
  return before?.action === 'final.recorded' ? 'final' : before?.action === 'skd.recorded' ? 'skd' : 'administrasi';
}

/**
 * A candidate's status read from PostgreSQL, where every activity of the candidate's workflow
 * writes its outcome with an audit row: the stage column, the decision tables, the tasks, the
 * round's current schedule. It answers what the workflow's status query answers, without asking
 * the workflow: a query is answered by replaying the history on a worker that does not hold the
 * workflow, and right after a worker crash that was seen to leave the workflow's next Update
 * ordered differently from its later replay (see README, Retries and faults). A write is visible
 * here once its activity has finished, a moment after the workflow's own state changes.
 */
export async function candidateStatusFromDb(deps: ServiceDeps, registrationNo: string): Promise<CandidateStatus> {
  const row = await applicationRow(deps, registrationNo);
  if (!row) throw notFound('Pendaftaran', registrationNo);
  const config = row.config as RoundConfig;
  const history = await candidateHistory(deps, row.round_id, registrationNo);
  const { audit, tasks } = withoutVoided(history.audit, history.tasks);
  const { sanggahRows } = history;
  const documents = await submittedDocuments(deps, registrationNo, audit);
  const { windowStage, windowEnd } = sanggahWindow(audit);
  const sg = windowStage ? sanggahRows.find((r) => r.stage === windowStage) : undefined;

  const deadlines: Record<string, string> = { documents: config.schedule.registrationCloses };
  for (const t of tasks) deadlines[`${t.kind}Reviewer`] = iso(t.due_at);
  if (windowEnd !== undefined) deadlines.sanggah = iso(windowEnd);
  if (row.final_result && row.final_result !== 'tidak_lulus') deadlines.drh = config.schedule.drhDeadline;

  return {
    registrationNo: row.registration_no,
    roundId: row.round_id,
    formationId: row.formation_id,
    stage: row.stage as CandidateStage,
    outcome: (row.outcome as CandidateOutcome | null) ?? null,
    deadlines,
    documents,
    reviewer: tasks.at(-1)?.reviewer ?? null,
    administrasi: row.administrasi ?? null,
    sanggah: sg
      ? {
          stage: sg.stage as SanggahStage,
          reason: sg.reason,
          filedAt: iso(sg.filed_at),
          accepted: sg.accepted,
          answer: sg.answer,
        }
      : null,
    ...resultsOf(row),
    nip: row.nip ?? null,
    warnings: (row.nik_warnings ?? []) as { code: string; message: string }[],
    decisions: audit.flatMap((a) => decisionOf(registrationNo, a) ?? []),
  };
}

/** The application with its round's config and the decision-table columns the status shows. */
function applicationRow(deps: ServiceDeps, registrationNo: string) {
  return deps.db
    .selectFrom('applications as a')
    .innerJoin('rounds as r', 'r.round_id', 'a.round_id')
    .leftJoin('verifications as v', (j) =>
      j.onRef('v.registration_no', '=', 'a.registration_no').on('v.stage', '=', 'administrasi'),
    )
    .leftJoin('skd_scores as k', 'k.registration_no', 'a.registration_no')
    .leftJoin('skb_results as b', 'b.registration_no', 'a.registration_no')
    .leftJoin('final_results as f', 'f.registration_no', 'a.registration_no')
    .leftJoin('appointments as p', 'p.registration_no', 'a.registration_no')
    .select([
      'a.registration_no',
      'a.round_id',
      'a.formation_id',
      'a.stage',
      'a.outcome',
      'a.nik_warnings',
      'r.config',
      'v.result as administrasi',
      'k.twk',
      'k.tiu',
      'k.tkp',
      'k.total',
      'k.passed as skd_passed',
      'k.reused_from_year',
      'b.selected',
      'b.skd_rank',
      'b.score as skb_score',
      'f.result as final_result',
      'f.score_display',
      'f.rank as final_rank',
      'f.placement_formation_id',
      'p.nip',
    ])
    .where('a.registration_no', '=', registrationNo)
    .executeTakeFirst();
}
type ApplicationRow = NonNullable<Awaited<ReturnType<typeof applicationRow>>>;

/** The candidate's audit rows (in order), review tasks and sanggah rows. */
async function candidateHistory(deps: ServiceDeps, roundId: string, registrationNo: string) {
  const db = deps.db;
  const [audit, tasks, sanggahRows] = await Promise.all([
    db
      .selectFrom('audit_log')
      .select(['seq', 'actor', 'action', 'reason', 'payload', 'occurred_at'])
      .where('chain', '=', roundChain(roundId))
      .where('subject', '=', registrationNo)
      .orderBy('seq')
      .execute(),
    db
      .selectFrom('tasks')
      .select(['task_id', 'kind', 'stage', 'status', 'reviewer', 'due_at', 'created_at'])
      .where('registration_no', '=', registrationNo)
      .orderBy('created_at')
      .orderBy('task_id')
      .execute(),
    db.selectFrom('sanggah').selectAll().where('registration_no', '=', registrationNo).orderBy('filed_at').execute(),
  ]);
  return { audit: audit as AuditRow[], tasks, sanggahRows };
}

/** The documents last submitted (kinds and hashes in the audit row), with their upload ids. */
async function submittedDocuments(
  deps: ServiceDeps,
  registrationNo: string,
  audit: AuditRow[],
): Promise<DocumentRef[]> {
  const submitted = [...audit].reverse().find((a) => a.action === 'documents.submitted');
  if (!submitted) return [];
  const refs = (submitted.payload as { documents?: { kind: string; sha256: string }[] }).documents ?? [];
  const rows = refs.length
    ? await deps.db
        .selectFrom('documents')
        .select(['document_id', 'kind', 'sha256'])
        .where('registration_no', '=', registrationNo)
        .where(
          'sha256',
          'in',
          refs.map((d) => d.sha256),
        )
        .execute()
    : [];
  return refs.flatMap((d) => {
    const r = rows.find((x) => x.kind === d.kind && x.sha256 === d.sha256);
    return r ? [{ kind: d.kind as DocumentKind, documentId: String(r.document_id), sha256: d.sha256 }] : [];
  });
}

/**
 * The latest sanggah window: which decision it follows, and when it closes (written by the
 * workflow once the announcement it starts with is known; absent while it waits for it).
 */
function sanggahWindow(audit: AuditRow[]): { windowStage?: SanggahStage; windowEnd?: number } {
  let windowStage: SanggahStage | undefined;
  let windowEnd: number | undefined;
  for (const a of audit) {
    const p = a.payload as { stage?: string; window?: { stage: SanggahStage; closesAt: string } } | null;
    if (a.action !== 'candidate.stage' || p?.stage !== 'sanggah') continue;
    windowStage = p.window?.stage ?? sanggahStageBefore(audit, a.seq);
    windowEnd = p.window ? Date.parse(p.window.closesAt) : undefined;
  }
  return { windowStage, windowEnd };
}

/** The SKD, SKB and final results, each null until recorded. */
function resultsOf(row: ApplicationRow): Pick<CandidateStatus, 'skd' | 'skb' | 'final'> {
  return {
    skd:
      row.total !== null && row.twk !== null && row.tiu !== null && row.tkp !== null
        ? {
            twk: row.twk,
            tiu: row.tiu,
            tkp: row.tkp,
            total: row.total,
            passed: row.skd_passed!,
            reusedFromYear: row.reused_from_year ?? null,
          }
        : null,
    skb:
      row.selected !== null
        ? { selected: row.selected, skdRank: row.skd_rank ?? null, score: row.skb_score ?? null }
        : null,
    final: row.final_result
      ? {
          result: row.final_result,
          score: row.score_display!,
          rank: row.final_rank!,
          placementFormationId: row.placement_formation_id ?? null,
        }
      : null,
  };
}
