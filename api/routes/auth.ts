import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { findUserByUsername, revokeToken, revokeUserCredentials, ROLES } from '../../db/users';
import { notFound } from '../errors';
import { requireUser } from '../plugins/auth';
import { errors, Id } from '../schemas/common';
import type { ServiceDeps } from '../services/deps';

/**
 * Ending credentials. Every caller can revoke the token it calls with (logout); HR revokes every
 * token and session of a user (a leaked token, a leaver). Refused tokens answer 401
 * TOKEN_REVOKED from then on. New tokens: `npm run user:create` (staff) or the registration
 * answer (candidates).
 */
export const authRoutes: FastifyPluginAsyncTypebox<{ deps: ServiceDeps }> = async (app, { deps }) => {
  app.post(
    '/auth/logout',
    {
      config: { access: ROLES },
      schema: {
        tags: ['auth'],
        summary: 'Revoke the bearer token of this request (logout); every role',
        response: {
          200: Type.Object({ revoked: Type.Boolean() }, { description: 'revoked: whether this token was still valid' }),
        },
      },
    },
    async (req) => {
      requireUser(req);
      const revoked = req.bearerToken ? await revokeToken(deps.db, req.bearerToken) : false;
      req.log.info({ userId: req.user?.userId, revoked }, 'logout');
      return { revoked };
    },
  );

  app.post(
    '/users/:username/tokens/revoke',
    {
      config: { access: ['hr'] },
      schema: {
        tags: ['auth'],
        summary: 'Revoke every token and session of a user (HR)',
        params: Type.Object({ username: Id }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            { username: Type.String(), tokensRevoked: Type.Integer(), sessionsRevoked: Type.Integer() },
            { description: 'How many tokens and codec sessions were ended' },
          ),
          ...errors(404),
        },
      },
    },
    async (req) => {
      const actor = requireUser(req);
      const user = await findUserByUsername(deps.db, req.params.username);
      if (!user) throw notFound('Pengguna', req.params.username);
      const r = await revokeUserCredentials(deps.db, user.userId);
      req.log.info({ actorId: actor.userId, userId: user.userId, ...r }, 'credentials revoked');
      return { username: user.username, tokensRevoked: r.tokens, sessionsRevoked: r.sessions };
    },
  );
};
