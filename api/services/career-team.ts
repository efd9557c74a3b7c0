import { careerStatusQuery, careerWorkflowId, type CareerStage, type CareerStatus } from '../../contracts';
import type { Db } from '../../db/connection';
import type { User } from '../../db/users';
import { AppError } from '../errors';
import { QUERY_TIMEOUT_MS, type ServiceDeps } from './deps';
import { pageOfQuery, type Page, type PageRequest } from './paging';

/**
 * "My team" (issue 18): the careers a supervisor supervises or heads, one page at a time, each with
 * its current cycle state from the career workflow and what is due from whom. The list comes from
 * the careers rows (supervisor, unit_head: migration 0017), the state from each career's query.
 */

/** What the career waits for, and from whom. */
export type CareerDue =
  | 'expectations' // the supervisor sets the year's SKP expectations
  | 'check_in' // the supervisor holds a check-in of a period not yet held
  | 'evaluation' // the supervisor (or the unit head after escalation) evaluates
  | 'recommendation_decision' // a named official decides a ladder recommendation (HR records it)
  | 'probation_record' // HR records Latsar or the health statement
  | 'probation_decision'; // a named official decides after a failed probation (HR records it)

export interface TeamMember {
  nip: string;
  careerId: string;
  /** The employee's name as registered (null when the career has no registration on record). */
  name: string | null;
  unit: string;
  jabatan: string;
  status: string;
  supervisor: string | null;
  unitHead: string | null;
  /** The workflow's answer; null (with `stage`, `year` and `due` empty) when it did not answer in time. */
  year: number | null;
  stage: CareerStage | null;
  due: CareerDue[];
}

const OPEN_SKP: readonly CareerStage[] = ['planning', 'execution', 'evaluation', 'returned', 're_evaluation'];
const EVALUATING: readonly CareerStage[] = ['evaluation', 'returned', 're_evaluation'];

/** The periods of the year whose check-in has not been held. */
export const missingCheckIns = (s: CareerStatus): number[] =>
  Array.from({ length: s.checkInsPerYear ?? 0 }, (_, i) => i + 1).filter((k) => !s.checkIns.includes(k));

/** What the career waits for now (the same rules the workflow's validators apply). */
export function careerDue(s: CareerStatus): CareerDue[] {
  const due: CareerDue[] = [];
  const skp = s.status === 'pns' && OPEN_SKP.includes(s.stage);
  if (skp && !s.expectations) due.push('expectations');
  if (skp && !EVALUATING.includes(s.stage) && missingCheckIns(s).length) due.push('check_in');
  if (EVALUATING.includes(s.stage)) due.push('evaluation');
  if (s.stage === 'probation' && (s.probation?.latsar === null || s.probation?.healthy === null))
    due.push('probation_record');
  if (s.stage === 'probation_decision') due.push('probation_decision');
  if (s.pendingRecommendation) due.push('recommendation_decision');
  return due;
}

/** Whom the list is for: a supervisor only ever their own team; HR and auditors anyone's, or every career. */
function teamOf(viewer: Pick<User, 'role' | 'username'>, supervisor: string | undefined): string | null {
  const wanted = supervisor === 'me' ? viewer.username : supervisor;
  if (viewer.role !== 'supervisor') return wanted ?? null;
  if (wanted !== undefined && wanted !== viewer.username)
    throw new AppError(403, 'NOT_OWNER', 'Atasan langsung hanya melihat timnya sendiri');
  return viewer.username;
}

function teamQuery(db: Db, who: string | null) {
  let q = db.selectFrom('careers as c').leftJoin('applications as a', 'a.registration_no', 'c.registration_no');
  if (who !== null) q = q.where((eb) => eb.or([eb('c.supervisor', '=', who), eb('c.unit_head', '=', who)]));
  return q.where('c.career_id', 'is not', null);
}

async function statusOrNull(deps: ServiceDeps, careerId: string): Promise<CareerStatus | null> {
  const h = deps.client.workflow.getHandle(careerWorkflowId(careerId));
  try {
    return await deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => h.query(careerStatusQuery));
  } catch {
    return null;
  }
}

/**
 * The team, ordered by NIP: `supervisor` is a username or `me` (a supervisor may leave it out or
 * name only themself: 403 NOT_OWNER otherwise); HR and auditors without it get every career.
 */
export async function listTeam(
  deps: ServiceDeps,
  viewer: Pick<User, 'role' | 'username'>,
  filter: { supervisor?: string },
  p: PageRequest,
): Promise<Page<TeamMember>> {
  const who = teamOf(viewer, filter.supervisor);
  const page = await pageOfQuery(
    p,
    async () =>
      (
        await teamQuery(deps.db, who)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    (offset, limit) =>
      teamQuery(deps.db, who)
        .select([
          'c.nip',
          'c.career_id',
          'a.full_name',
          'c.unit',
          'c.jabatan',
          'c.status',
          'c.supervisor',
          'c.unit_head',
        ])
        .orderBy('c.nip')
        .offset(offset)
        .limit(limit)
        .execute(),
  );
  const items = await Promise.all(
    page.items.map(async (r): Promise<TeamMember> => {
      const s = await statusOrNull(deps, r.career_id!);
      return {
        ...{ nip: r.nip, careerId: r.career_id!, name: r.full_name ?? null, unit: r.unit, jabatan: r.jabatan },
        ...{ status: s?.status ?? r.status, supervisor: r.supervisor, unitHead: r.unit_head },
        ...{ year: s?.year ?? null, stage: s?.stage ?? null, due: s ? careerDue(s) : [] },
      };
    }),
  );
  return { ...page, items };
}

export interface CareerHistory {
  name: string | null;
  unit: string;
  jabatan: string;
  evaluations: {
    year: number;
    attempt: number;
    evaluator: string;
    predikat: string;
    status: string;
    returnReason: string | null;
    at: string;
  }[];
  followUps: {
    year: number;
    kind: string;
    message: string | null;
    decidedBy: string | null;
    decision: string | null;
  }[];
}

/** Every evaluation and follow-up of the career on record, by year (a career has a few dozen at most). */
export async function careerHistory(deps: ServiceDeps, nip: string): Promise<CareerHistory> {
  const row = await deps.db
    .selectFrom('careers as c')
    .leftJoin('applications as a', 'a.registration_no', 'c.registration_no')
    .select(['a.full_name', 'c.unit', 'c.jabatan'])
    .where('c.nip', '=', nip)
    .executeTakeFirstOrThrow();
  const evaluations = await deps.db
    .selectFrom('evaluations')
    .select(['year', 'attempt', 'supervisor', 'predikat', 'status', 'return_reason', 'at'])
    .where('nip', '=', nip)
    .orderBy('year', 'desc')
    .orderBy('attempt', 'desc')
    .execute();
  const followUps = await deps.db
    .selectFrom('follow_ups')
    .select(['year', 'seq', 'kind', 'detail', 'decided_by', 'decision'])
    .where('nip', '=', nip)
    .orderBy('year', 'desc')
    .orderBy('seq', 'desc')
    .execute();
  return {
    ...{ name: row.full_name ?? null, unit: row.unit, jabatan: row.jabatan },
    evaluations: evaluations.map((e) => ({
      ...{ year: e.year, attempt: e.attempt, evaluator: e.supervisor, predikat: e.predikat, status: e.status },
      ...{ returnReason: e.return_reason, at: new Date(e.at as unknown as string).toISOString() },
    })),
    followUps: followUps.map((f) => ({
      ...{ year: f.year, kind: f.kind, decidedBy: f.decided_by, decision: f.decision },
      message: ((f.detail as { message?: string } | null)?.message as string | undefined) ?? null,
    })),
  };
}
