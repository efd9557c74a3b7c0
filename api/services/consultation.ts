import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { loadRoundConfig } from './registrations';

/** Public comments on the draft criteria, accepted only while the consultation is open. */
export async function addComment(deps: ServiceDeps, roundId: string, c: { author: string; body: string }): Promise<{ commentId: string }> {
  const { phase } = await loadRoundConfig(deps, roundId);
  if (phase !== 'consultation') throw new AppError(409, 'WRONG_PHASE', `Konsultasi publik tidak sedang dibuka (tahap: ${phase})`);
  const version = await deps.db.selectFrom('criteria_versions').select((eb) => eb.fn.max('version').as('v')).where('round_id', '=', roundId).executeTakeFirst();
  const row = await deps.db
    .insertInto('consultation_comments')
    .values({ round_id: roundId, author: c.author.trim(), body: c.body.trim(), criteria_version: Number(version?.v ?? 1) })
    .returning('comment_id')
    .executeTakeFirstOrThrow();
  return { commentId: String(row.comment_id) };
}

export async function listComments(deps: ServiceDeps, roundId: string): Promise<{ commentId: string; author: string; body: string; criteriaVersion: number; createdAt: string }[]> {
  await loadRoundConfig(deps, roundId);
  const rows = await deps.db.selectFrom('consultation_comments').selectAll().where('round_id', '=', roundId).orderBy('comment_id').limit(5000).execute();
  return rows.map((r) => ({ commentId: String(r.comment_id), author: r.author, body: r.body, criteriaVersion: r.criteria_version, createdAt: new Date(r.created_at).toISOString() }));
}

/** Every version of the criteria; the adopted one (highest adopted version) is what the round uses. */
export async function criteriaVersions(deps: ServiceDeps, roundId: string): Promise<{ version: number; status: string; formations: unknown; response: string | null; actor: string; createdAt: string }[]> {
  await loadRoundConfig(deps, roundId);
  const rows = await deps.db.selectFrom('criteria_versions').selectAll().where('round_id', '=', roundId).orderBy('version').execute();
  return rows.map((r) => ({ version: r.version, status: r.status, formations: r.formations, response: r.response, actor: r.actor, createdAt: new Date(r.created_at).toISOString() }));
}
