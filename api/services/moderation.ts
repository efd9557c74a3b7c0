import type { Transaction, Updateable } from 'kysely';
import { appendAuditInTransaction } from '../../db/audit';
import type { ConsultationCommentsTable, Database } from '../../db/schema';
import { roundChain } from '../../contracts/audit-chains';
import { AppError } from '../errors';
import { commentsOf, commentView, type CommentView } from './consultation';
import type { ServiceDeps } from './deps';
import { pageOfQuery, type Page, type PageRequest } from './paging';
import { loadRoundConfig } from './registrations';

/**
 * HR's moderation of the public consultation: a comment can be hidden (it stays stored, with who,
 * when and why), restored, and answered with an official response shown under it. Each action is
 * an audit row in the round's chain, written in the same transaction as the change.
 */
export const HIDE_REASONS = ['offensive', 'personal_data', 'spam', 'off_topic', 'duplicate', 'other'] as const;
export type HideReason = (typeof HIDE_REASONS)[number];
export const MODERATION_FILTERS = ['all', 'visible', 'hidden', 'responded', 'unanswered'] as const;
export type ModerationFilter = (typeof MODERATION_FILTERS)[number];

export type ModeratedComment = CommentView & {
  hidden: { at: string; by: string; reasonCode: HideReason; reason: string | null } | null;
  responseBy: string | null;
};
export type ModerationCounts = Record<ModerationFilter, number>;

type CommentRow = Parameters<typeof commentView>[0] & {
  hidden_at: Date | string | null;
  hidden_by: string | null;
  hidden_reason_code: string | null;
  hidden_reason: string | null;
  response_by: string | null;
  moderation_rev: number;
};

function moderatedView(r: CommentRow): ModeratedComment {
  return {
    ...commentView(r),
    hidden:
      r.hidden_at && r.hidden_by && r.hidden_reason_code
        ? {
            at: new Date(r.hidden_at).toISOString(),
            by: r.hidden_by,
            reasonCode: r.hidden_reason_code as HideReason,
            reason: r.hidden_reason,
          }
        : null,
    responseBy: r.response_by,
  };
}

/** One page of every comment of the round (hidden ones too), oldest first, with the counts of each filter. */
export async function moderationPage(
  deps: ServiceDeps,
  roundId: string,
  filter: ModerationFilter,
  p: PageRequest,
): Promise<Page<ModeratedComment> & { counts: ModerationCounts }> {
  await loadRoundConfig(deps, roundId);
  const all = deps.db.selectFrom('consultation_comments').where('round_id', '=', roundId);
  const of =
    filter === 'visible'
      ? all.where('hidden_at', 'is', null)
      : filter === 'hidden'
        ? all.where('hidden_at', 'is not', null)
        : filter === 'responded'
          ? all.where('response', 'is not', null)
          : filter === 'unanswered'
            ? all.where('hidden_at', 'is', null).where('response', 'is', null)
            : all;
  const [page, counts] = await Promise.all([
    pageOfQuery(
      p,
      async () => (await of.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
      async (offset, limit) =>
        (await of.selectAll().orderBy('comment_id').offset(offset).limit(limit).execute()).map(moderatedView),
    ),
    moderationCounts(deps, roundId),
  ]);
  return { ...page, counts };
}

/** How many comments of the round each filter matches. */
export async function moderationCounts(deps: ServiceDeps, roundId: string): Promise<ModerationCounts> {
  const c = await deps.db
    .selectFrom('consultation_comments')
    .where('round_id', '=', roundId)
    .select((eb) => [
      eb.fn.countAll<string>().as('all'),
      eb.fn.count<string>('hidden_at').as('hidden'),
      eb.fn.count<string>('response').as('responded'),
      eb.fn
        .countAll<string>()
        .filterWhere('hidden_at', 'is', null)
        .filterWhere('response', 'is', null)
        .as('unanswered'),
    ])
    .executeTakeFirstOrThrow();
  return {
    all: Number(c.all),
    visible: Number(c.all) - Number(c.hidden),
    hidden: Number(c.hidden),
    responded: Number(c.responded),
    unanswered: Number(c.unanswered),
  };
}

/** Every moderation action on a comment, oldest first, from the round's audit chain. */
export async function commentHistory(
  deps: ServiceDeps,
  roundId: string,
  commentId: string,
): Promise<{ at: string; actor: string; action: string; reason: string | null; reasonCode?: string }[]> {
  const rows = await deps.db
    .selectFrom('audit_log')
    .select(['occurred_at', 'actor', 'action', 'reason', 'payload'])
    .where('chain', '=', roundChain(roundId))
    .where('idempotency_key', 'like', `comment:${commentId}:%`)
    .orderBy('seq')
    .execute();
  return rows.map((r) => {
    const code = (r.payload as { reasonCode?: unknown } | null)?.reasonCode;
    return {
      at: new Date(r.occurred_at).toISOString(),
      actor: r.actor,
      action: r.action,
      reason: r.reason,
      ...(typeof code === 'string' ? { reasonCode: code } : {}),
    };
  });
}

/** One comment of the round, hidden or not; 404 NOT_FOUND when the round has no such comment. */
export async function moderatedComment(
  deps: ServiceDeps,
  roundId: string,
  commentId: string,
): Promise<ModeratedComment> {
  await loadRoundConfig(deps, roundId);
  const row = await commentsOf(deps.db, roundId).where('comment_id', '=', commentId).executeTakeFirst();
  if (!row) throw commentNotFound(roundId, commentId);
  return moderatedView(row);
}

const commentNotFound = (roundId: string, commentId: string) =>
  new AppError(404, 'NOT_FOUND', `Komentar ${commentId} tidak ada pada seleksi ${roundId}`, { commentId });

/**
 * One moderation action in a transaction: the comment locked, `refuse` asked whether the action
 * applies to it now (a message → 409 with `code`), then the change, the revision and its audit row.
 */
async function moderate(
  deps: ServiceDeps,
  roundId: string,
  commentId: string,
  action: {
    actor: string;
    audit: string;
    code: string;
    refuse: (r: CommentRow) => string | undefined;
    set: Updateable<ConsultationCommentsTable>;
    reason: string | null;
    payload: Record<string, unknown>;
  },
): Promise<ModeratedComment> {
  await loadRoundConfig(deps, roundId);
  return deps.db.transaction().execute(async (trx: Transaction<Database>) => {
    const row = await commentsOf(trx, roundId).where('comment_id', '=', commentId).forUpdate().executeTakeFirst();
    if (!row) throw commentNotFound(roundId, commentId);
    const refusal = action.refuse(row);
    if (refusal) throw new AppError(409, action.code, refusal, { commentId });
    const rev = row.moderation_rev + 1;
    const at = new Date().toISOString();
    const updated = await trx
      .updateTable('consultation_comments')
      .set({ ...action.set, moderation_rev: rev })
      .where('comment_id', '=', commentId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAuditInTransaction(trx, {
      chain: roundChain(roundId),
      idempotencyKey: `comment:${commentId}:${rev}`,
      actor: action.actor,
      action: action.audit,
      subject: roundId,
      reason: action.reason,
      payload: { commentId, ...action.payload },
      occurredAt: at,
    });
    return moderatedView(updated);
  });
}

/** Hide a comment from the public page: 409 COMMENT_ALREADY_HIDDEN when it is hidden already. */
export function hideComment(
  deps: ServiceDeps,
  roundId: string,
  commentId: string,
  h: { reasonCode: HideReason; reason: string },
  actor: string,
): Promise<ModeratedComment> {
  return moderate(deps, roundId, commentId, {
    actor,
    audit: 'comment.hidden',
    code: 'COMMENT_ALREADY_HIDDEN',
    refuse: (r) => (r.hidden_at ? `Komentar ${commentId} sudah disembunyikan` : undefined),
    set: {
      hidden_at: new Date(),
      hidden_by: actor,
      hidden_reason_code: h.reasonCode,
      hidden_reason: h.reason.trim(),
    },
    reason: h.reason.trim(),
    payload: { reasonCode: h.reasonCode },
  });
}

/** Show a hidden comment again: 409 COMMENT_NOT_HIDDEN when it is not hidden. */
export function restoreComment(
  deps: ServiceDeps,
  roundId: string,
  commentId: string,
  r: { reason: string },
  actor: string,
): Promise<ModeratedComment> {
  return moderate(deps, roundId, commentId, {
    actor,
    audit: 'comment.restored',
    code: 'COMMENT_NOT_HIDDEN',
    refuse: (row) => (row.hidden_at ? undefined : `Komentar ${commentId} tidak sedang disembunyikan`),
    set: { hidden_at: null, hidden_by: null, hidden_reason_code: null, hidden_reason: null },
    reason: r.reason.trim(),
    payload: {},
  });
}

/** HR's official response under a comment (a new one replaces it): 409 COMMENT_HIDDEN on a hidden comment. */
export function respondToComment(
  deps: ServiceDeps,
  roundId: string,
  commentId: string,
  response: string,
  actor: string,
): Promise<ModeratedComment> {
  const body = response.trim();
  return moderate(deps, roundId, commentId, {
    actor,
    audit: 'comment.responded',
    code: 'COMMENT_HIDDEN',
    refuse: (r) =>
      r.hidden_at ? `Komentar ${commentId} disembunyikan; tampilkan kembali sebelum menanggapinya` : undefined,
    set: { response: body, response_by: actor, response_at: new Date() },
    reason: body,
    payload: {},
  });
}
