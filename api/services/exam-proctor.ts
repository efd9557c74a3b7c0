/**
 * The proctor's view of the online SKD sessions and the auditor's re-derivation of their scores
 * (docs/exam.md). Live sessions are read from their workflows; ended ones from PostgreSQL.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { dataConverter } from '../../config/codec';
import type { Db } from '../../db/connection';
import { itemKeys } from '../../db/exam';
import { scoreExam, skdTotal, type SkdScores } from '../../domain';
import {
  examWorkflowId,
  type ExamSessionInput,
  type ExamSessionState,
  type IntegrityEvent,
  type SaveAnswersInput,
} from '../../contracts';
import { AppError, notFound } from '../errors';
import type { ServiceDeps } from './deps';
import { queryState, remaining, sessionRowOf } from './exam';
import { pageParams, type Page } from './paging';

type Row = NonNullable<Awaited<ReturnType<typeof sessionRowOf>>>;

export interface ProctorRow {
  sessionId: string;
  registrationNo: string;
  status: ExamSessionState['status'];
  slotId: string;
  startedAt: string | null;
  deadline: string | null;
  remainingMs: number | null;
  answered: number;
  itemCount: number;
  takeovers: number;
  integrity: Record<string, number>;
  lastEvents: IntegrityEvent[];
}
export type ProctorDetail = ProctorRow & {
  device: ExamSessionState['device'];
  endedAt: string | null;
  endedBy: ExamSessionState['endedBy'];
  result: ExamSessionState['result'];
  events: IntegrityEvent[];
  integrityDropped: number;
};

const LIVE = ['waiting', 'in_progress', 'scoring'] as const;

async function detailOf(deps: ServiceDeps, row: Row): Promise<ProctorDetail> {
  const live = (LIVE as readonly string[]).includes(row.status);
  // An ended session's workflow is closed: its last state comes from its result (no replay).
  const s: ExamSessionState = live
    ? await queryState(deps, row.session_id)
    : await deps.client.workflow.getHandle(examWorkflowId(row.session_id)).result();
  const integrity: Record<string, number> = {};
  for (const e of s.integrity) integrity[e.kind] = (integrity[e.kind] ?? 0) + 1;
  return {
    sessionId: row.session_id,
    registrationNo: row.registration_no,
    status: s.status,
    slotId: row.slot_id,
    startedAt: s.startedAt,
    deadline: s.deadline,
    remainingMs: s.status === 'in_progress' ? remaining(s.deadline) : null,
    answered: Object.keys(s.answers).length,
    itemCount: row.items.length,
    takeovers: s.takeovers,
    integrity,
    lastEvents: s.integrity.slice(-5),
    device: s.device,
    endedAt: s.endedAt,
    endedBy: s.endedBy,
    result: s.result,
    events: s.integrity,
    integrityDropped: s.integrityDropped,
  };
}

const rowOf = ({
  device: _d,
  endedAt: _e,
  endedBy: _b,
  result: _r,
  events: _v,
  integrityDropped: _i,
  ...r
}: ProctorDetail): ProctorRow => r;

/** The sessions of a round for the proctor, by registration number; `live` = waiting, in progress or scoring. */
export async function proctorSessions(
  deps: ServiceDeps,
  roundId: string,
  q: { status?: string; page?: string; pageSize?: string },
): Promise<Page<ProctorRow>> {
  const round = await deps.db
    .selectFrom('rounds')
    .select('round_id')
    .where('round_id', '=', roundId)
    .executeTakeFirst();
  if (!round) throw notFound('Seleksi', roundId);
  const { page, pageSize, offset } = pageParams({ page: q.page, pageSize: q.pageSize ?? '50' });
  let base = deps.db.selectFrom('exam_sessions').where('round_id', '=', roundId);
  if (q.status === 'live') base = base.where('status', 'in', [...LIVE]);
  else if (q.status) base = base.where('status', '=', q.status as Row['status']);
  const [{ n }, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    base.selectAll().orderBy('registration_no').limit(pageSize).offset(offset).execute(),
  ]);
  const items: ProctorRow[] = [];
  for (let i = 0; i < rows.length; i += 10)
    items.push(...(await Promise.all(rows.slice(i, i + 10).map(async (r) => rowOf(await detailOf(deps, r))))));
  return { items, total: Number(n), page, pageSize };
}

export async function proctorSession(deps: ServiceDeps, sessionId: string): Promise<ProctorDetail> {
  const row = await sessionRowOf(deps, { sessionId });
  if (!row) throw notFound('Sesi ujian', sessionId);
  return detailOf(deps, row);
}

// ---------------------------------------------------------------------------------------------
// Re-derivation

async function decode(p: temporal.api.common.v1.IPayload | null | undefined): Promise<unknown> {
  if (!p) return undefined;
  let payloads = [p as Payload];
  for (const c of [...(dataConverter().payloadCodecs ?? [])].reverse()) payloads = await c.decode(payloads);
  return defaultPayloadConverter.fromPayload(payloads[0]!);
}

/** The session's input and the answers its accepted updates leave, folded in history order. */
export async function answersFromHistory(
  deps: ServiceDeps,
  sessionId: string,
): Promise<{ input: ExamSessionInput; answers: Record<string, string> }> {
  const history = await deps.client.workflow.getHandle(examWorkflowId(sessionId)).fetchHistory();
  const events = history.events ?? [];
  const input = (await decode(
    events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0],
  )) as ExamSessionInput;
  const answers: Record<string, string> = {};
  for (const e of events) {
    const req = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (!req || (req.name !== 'saveAnswers' && req.name !== 'submitExam')) continue;
    const batch = (await decode(req.args?.payloads?.[0])) as SaveAnswersInput;
    for (const a of batch.answers) {
      if (a.option === null) delete answers[a.itemId];
      else answers[a.itemId] = a.option;
    }
  }
  return { input, answers };
}

const withTotal = (s: SkdScores) => ({ ...s, total: skdTotal(s) });
const sameAnswers = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** The auditor's check of one session: its score re-derived from the history and the bank versions' keys. */
export async function rederiveSession(deps: ServiceDeps, sessionId: string) {
  const row = await sessionRowOf(deps, { sessionId });
  if (!row) throw notFound('Sesi ujian', sessionId);
  if (row.status !== 'finished' && row.status !== 'absent')
    throw new AppError(409, 'EXAM_NOT_ENDED', 'Sesi ujian belum berakhir');
  const { input, answers } = await answersFromHistory(deps, sessionId);
  const keys = await itemKeys(deps.db, input.bankId, input.bankVersions, input.items);
  const rederived = row.status === 'finished' ? withTotal(scoreExam(keys, answers)) : null;
  const recorded = row.status === 'finished' ? withTotal({ twk: row.twk!, tiu: row.tiu!, tkp: row.tkp! }) : null;
  const answersMatch = sameAnswers(answers, row.answers ?? {});
  return {
    sessionId,
    bankId: input.bankId,
    bankVersions: input.bankVersions,
    recorded,
    rederived,
    answersMatch,
    match: answersMatch && JSON.stringify(recorded) === JSON.stringify(rederived) && recorded?.total === row.total,
  };
}

/** For the round's rederive (PostgreSQL only): every finished session re-scored from its recorded answers and bank versions. */
export async function rederiveExamScores(
  db: Db,
  roundId: string,
): Promise<{ checked: number; differences: { registrationNo: string; published: number; rederived: number }[] }> {
  const rows = await db
    .selectFrom('exam_sessions')
    .selectAll()
    .where('round_id', '=', roundId)
    .where('status', '=', 'finished')
    .execute();
  const differences: { registrationNo: string; published: number; rederived: number }[] = [];
  for (const r of rows) {
    const keys = await itemKeys(db, r.bank_id, r.bank_versions, r.items);
    const total = skdTotal(scoreExam(keys, r.answers ?? {}));
    if (total !== r.total)
      differences.push({ registrationNo: r.registration_no, published: r.total!, rederived: total });
  }
  return { checked: rows.length, differences };
}
