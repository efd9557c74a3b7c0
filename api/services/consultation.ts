import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema';
import type { RoundConfig } from '../../domain/round-config';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';
import { pageOfQuery, type Page, type PageRequest } from './paging';
import { loadRoundConfig } from './registrations';

/** The same text from the same client on the same round and criteria version within this window is refused. */
export const DEFAULT_DUPLICATE_COMMENT_WINDOW_MS = 10 * 60_000;

/** The text compared for duplicates: Unicode NFKC, case folded, whitespace collapsed. */
export const normaliseComment = (body: string): string =>
  body.normalize('NFKC').toLocaleLowerCase('id-ID').replace(/\s+/g, ' ').trim();

export interface CommentClient {
  /** `user:<id>` when authenticated, else `ip:<address>`. */
  key: string;
  /** Duplicate window in ms (default 10 minutes). */
  duplicateWindowMs?: number;
}

/**
 * What a comment is about: the whole round (neither), a formation, or one performance criterion
 * of a formation (its `kind`: experience, interview, priorPerformance).
 */
export interface CommentTarget {
  formationId?: string;
  criterion?: string;
}

function checkTarget(config: RoundConfig, c: CommentTarget): void {
  if (c.criterion !== undefined && c.formationId === undefined)
    throw new AppError(422, 'COMMENT_TARGET_INVALID', 'Kriteria dikomentari bersama formasinya (formationId)');
  if (c.formationId === undefined) return;
  const f = config.formations.find((x) => x.formationId === c.formationId);
  if (!f)
    throw new AppError(422, 'COMMENT_TARGET_INVALID', `Formasi ${c.formationId} tidak ada pada seleksi ini`, {
      formationId: c.formationId,
    });
  const kinds = (f.scoring?.criteria ?? []).map((k) => k.kind as string);
  if (c.criterion !== undefined && !kinds.includes(c.criterion))
    throw new AppError(
      422,
      'COMMENT_TARGET_INVALID',
      `Formasi ${c.formationId} tidak memakai kriteria ${c.criterion}`,
      { criterion: c.criterion, allowed: kinds },
    );
}

/**
 * Public comments on the draft criteria, accepted only while the consultation is open. The
 * same text again from the same client within the window is 409 DUPLICATE_COMMENT (checked and
 * written under one lock, so two copies sent at once cannot both pass).
 */
export async function addComment(
  deps: ServiceDeps,
  roundId: string,
  c: { author: string; body: string } & CommentTarget,
  client?: CommentClient,
): Promise<{ commentId: string }> {
  const { phase, config } = await loadRoundConfig(deps, roundId);
  if (phase !== 'consultation')
    throw new AppError(409, 'WRONG_PHASE', `Konsultasi publik tidak sedang dibuka (tahap: ${phase})`);
  checkTarget(config, c);
  const bodyHash = createHash('sha256').update(normaliseComment(c.body)).digest('hex');
  const windowMs = client?.duplicateWindowMs ?? DEFAULT_DUPLICATE_COMMENT_WINDOW_MS;
  return deps.db.transaction().execute(async (trx) => {
    const version = await trx
      .selectFrom('criteria_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('round_id', '=', roundId)
      .executeTakeFirst();
    const criteriaVersion = Number(version?.v ?? 1);
    if (client) {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`comment:${roundId}:${client.key}:${bodyHash}`}, 0))`.execute(
        trx,
      );
      const since = new Date(Date.now() - windowMs);
      const dup = await trx
        .selectFrom('consultation_comments')
        .select(['comment_id', 'created_at'])
        .where('round_id', '=', roundId)
        .where('criteria_version', '=', criteriaVersion)
        .where('client_key', '=', client.key)
        .where('body_hash', '=', bodyHash)
        .where('created_at', '>=', since)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (dup) {
        throw new AppError(
          409,
          'DUPLICATE_COMMENT',
          `Komentar yang sama sudah Anda kirim; kirim ulang hanya setelah ${Math.round(windowMs / 60_000)} menit`,
          { commentId: String(dup.comment_id), windowMs },
        );
      }
    }
    const row = await trx
      .insertInto('consultation_comments')
      .values({
        round_id: roundId,
        author: c.author.trim(),
        body: c.body.trim(),
        criteria_version: criteriaVersion,
        formation_id: c.formationId ?? null,
        criterion: c.criterion ?? null,
        client_key: client?.key ?? null,
        body_hash: bodyHash,
        created_at: new Date(),
      })
      .returning('comment_id')
      .executeTakeFirstOrThrow();
    return { commentId: String(row.comment_id) };
  });
}

export type CommentView = {
  commentId: string;
  author: string;
  body: string;
  criteriaVersion: number;
  createdAt: string;
  /** HR's official response, shown under the comment. */
  response?: { body: string; at: string };
} & CommentTarget;

/** One page of the public comments, oldest first (without those HR hid). */
export async function listCommentsPage(deps: ServiceDeps, roundId: string, p: PageRequest): Promise<Page<CommentView>> {
  await loadRoundConfig(deps, roundId);
  const of = deps.db.selectFrom('consultation_comments').where('round_id', '=', roundId).where('hidden_at', 'is', null);
  return pageOfQuery(
    p,
    async () => (await of.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
    async (offset, limit) =>
      (await of.selectAll().orderBy('comment_id').offset(offset).limit(limit).execute()).map(commentView),
  );
}

/** Every column of the round's comments (hidden ones too), for a query to narrow. */
export const commentsOf = (db: Kysely<Database>, roundId: string) =>
  db.selectFrom('consultation_comments').selectAll().where('round_id', '=', roundId);

/** Every public comment, oldest first, without those HR hid (the consultation page). */
export async function listComments(deps: ServiceDeps, roundId: string): Promise<CommentView[]> {
  await loadRoundConfig(deps, roundId);
  const rows = await commentsOf(deps.db, roundId).where('hidden_at', 'is', null).orderBy('comment_id').execute();
  return rows.map(commentView);
}

export function commentView(r: {
  comment_id: string | number | bigint;
  author: string;
  body: string;
  criteria_version: number;
  created_at: Date | string;
  formation_id: string | null;
  criterion: string | null;
  response: string | null;
  response_at: Date | string | null;
}): CommentView {
  return {
    commentId: String(r.comment_id),
    author: r.author,
    body: r.body,
    criteriaVersion: r.criteria_version,
    createdAt: new Date(r.created_at).toISOString(),
    ...(r.formation_id ? { formationId: r.formation_id } : {}),
    ...(r.criterion ? { criterion: r.criterion } : {}),
    ...(r.response && r.response_at
      ? { response: { body: r.response, at: new Date(r.response_at).toISOString() } }
      : {}),
  };
}

/** Every version of the criteria; the adopted one (highest adopted version) is what the round uses. */
export async function criteriaVersions(
  deps: ServiceDeps,
  roundId: string,
): Promise<
  { version: number; status: string; formations: unknown; response: string | null; actor: string; createdAt: string }[]
> {
  await loadRoundConfig(deps, roundId);
  const rows = await deps.db
    .selectFrom('criteria_versions')
    .selectAll()
    .where('round_id', '=', roundId)
    .orderBy('version')
    .execute();
  return rows.map((r) => ({
    version: r.version,
    status: r.status,
    formations: r.formations,
    response: r.response,
    actor: r.actor,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
