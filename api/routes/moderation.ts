import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { requireUser } from '../plugins/auth';
import { errors, Id, Nullable, PlainText, StringEnum } from '../schemas/common';
import { PageOf, PageQueryProps } from '../schemas/page';
import { CommentSchema } from '../schemas/responses';
import type { ServiceDeps } from '../services/deps';
import {
  HIDE_REASONS,
  MODERATION_FILTERS,
  hideComment,
  moderationPage,
  respondToComment,
  restoreComment,
} from '../services/moderation';

/**
 * HR's moderation of the public consultation (issue 18): every comment with its moderation, hide
 * (a standard reason and HR's words), restore, and an official response shown under the comment.
 * Each action is audited in the round's chain (comment.hidden, comment.restored, comment.responded).
 */
const closed = { additionalProperties: false } as const;
const hr = { access: ['hr'] as const };
const CommentParams = Type.Object(
  { roundId: Id, commentId: Type.String({ pattern: '^[1-9][0-9]{0,17}$', description: 'the comment number' }) },
  closed,
);

export const ModeratedCommentSchema = Type.Object(
  {
    ...CommentSchema.properties,
    hidden: Nullable(
      Type.Object(
        {
          at: Type.String(),
          by: Type.String({ description: 'the HR user who hid it' }),
          reasonCode: StringEnum(HIDE_REASONS),
          reason: Nullable(Type.String()),
        },
        { ...closed, description: 'null while the public sees it' },
      ),
    ),
    responseBy: Nullable(Type.String({ description: 'the HR user who wrote the response' })),
  },
  { additionalProperties: true, description: 'A public comment with its moderation' },
);
const Counts = Type.Object(
  Object.fromEntries(MODERATION_FILTERS.map((f) => [f, Type.Integer({ minimum: 0 })])) as Record<
    (typeof MODERATION_FILTERS)[number],
    ReturnType<typeof Type.Integer>
  >,
  { ...closed, description: 'how many comments each filter matches' },
);
const ModerationPage = PageOf(ModeratedCommentSchema, '');
const ModerationListSchema = {
  tags: ['consultation'],
  summary: "Every public comment of the round (hidden ones too) with its moderation and each filter's count",
  params: Type.Object({ roundId: Id }, closed),
  querystring: Type.Object(
    {
      status: Type.Optional(
        StringEnum(MODERATION_FILTERS, { description: 'which comments (default all); unanswered: shown, no response' }),
      ),
      ...PageQueryProps,
    },
    closed,
  ),
  response: {
    200: Type.Object(
      { ...ModerationPage.properties, counts: Counts },
      { ...closed, description: 'The comments, oldest first — one page: { items, total, page, pageSize, counts }' },
    ),
    ...errors(404),
  },
};
const moderated = <B extends TSchema>(summary: string, body: B, conflict: string) => ({
  tags: ['consultation'],
  summary,
  params: CommentParams,
  body,
  response: {
    200: { ...ModeratedCommentSchema, description: 'The comment after the action (audited)' },
    ...errors([404, 'NOT_FOUND: no such round, or the round has no such comment'], [409, conflict]),
  },
});
const HideSchema = moderated(
  'Hide a comment from the public page (kept, with who, when and why)',
  Type.Object(
    {
      reasonCode: StringEnum(HIDE_REASONS, { description: 'the standard reason' }),
      reason: PlainText({ minLength: 5, maxLength: 500, multiline: true, description: "HR's words: why" }),
    },
    { ...closed, examples: [{ reasonCode: 'personal_data', reason: 'Memuat nomor telepon pribadi seseorang' }] },
  ),
  'COMMENT_ALREADY_HIDDEN: the comment is hidden already',
);
const RestoreSchema = moderated(
  'Show a hidden comment on the public page again',
  Type.Object(
    { reason: PlainText({ minLength: 5, maxLength: 500, multiline: true, description: 'why it is shown again' }) },
    { ...closed, examples: [{ reason: 'Setelah ditinjau, komentar tidak melanggar aturan' }] },
  ),
  'COMMENT_NOT_HIDDEN: the comment is not hidden',
);
const RespondSchema = moderated(
  "HR's official response, shown under the comment on the public page (a new one replaces it)",
  Type.Object(
    { body: PlainText({ minLength: 10, maxLength: 2000, multiline: true }) },
    { ...closed, examples: [{ body: 'Terima kasih. Bobot wawancara diturunkan menjadi 20 persen.' }] },
  ),
  'COMMENT_HIDDEN: the comment is hidden; restore it first',
);

export const moderationRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.get('/rounds/:roundId/moderation/comments', { config: hr, schema: ModerationListSchema }, async (req) =>
    moderationPage(deps, req.params.roundId, req.query.status ?? 'all', req.query),
  );
  const base = '/rounds/:roundId/comments/:commentId';
  app.post(`${base}/hide`, { config: hr, schema: HideSchema }, async (req) =>
    hideComment(deps, req.params.roundId, req.params.commentId, req.body, requireUser(req).username),
  );
  app.post(`${base}/restore`, { config: hr, schema: RestoreSchema }, async (req) =>
    restoreComment(deps, req.params.roundId, req.params.commentId, req.body, requireUser(req).username),
  );
  app.put(`${base}/response`, { config: hr, schema: RespondSchema }, async (req) =>
    respondToComment(deps, req.params.roundId, req.params.commentId, req.body.body, requireUser(req).username),
  );
};
