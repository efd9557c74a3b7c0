import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { createSession, findUserBySession, revokeSession } from '../db/sessions';
import type { User } from '../db/users';
import { AppError } from '../api/errors';

/**
 * Portal login sessions: the cookie `asn_portal` carries a random session id (db/sessions.ts
 * stores only its hash), HttpOnly, SameSite=Lax, Path=/portal, Secure in production. The web
 * plugin resolves it on every portal request into `req.user` (unless the request carries a
 * bearer token, which the auth plugin resolved already).
 */
export const SESSION_COOKIE = 'asn_portal';

export async function loadSessionUser(db: Db, req: FastifyRequest): Promise<void> {
  if (req.headers.authorization) return;
  const sid = req.cookies[SESSION_COOKIE];
  if (sid) req.user = (await findUserBySession(db, sid)) ?? null;
}

/** Logs a user in: a fresh session id (never reusing one from before the login), the old one revoked. */
export async function startSession(db: Db, req: FastifyRequest, reply: FastifyReply, userId: string): Promise<void> {
  const old = req.cookies[SESSION_COOKIE];
  if (old) await revokeSession(db, old);
  const { sessionId, expiresAt } = await createSession(db, userId, { ttlMs: req.site.sessionTtlMs });
  reply.setCookie(SESSION_COOKIE, sessionId, {
    path: req.site.prefix,
    httpOnly: true,
    sameSite: 'lax',
    secure: req.site.secureCookies,
    expires: expiresAt,
  });
}

export async function endSession(db: Db, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const sid = req.cookies[SESSION_COOKIE];
  if (sid) await revokeSession(db, sid);
  reply.clearCookie(SESSION_COOKIE, {
    path: req.site.prefix,
    httpOnly: true,
    sameSite: 'lax',
    secure: req.site.secureCookies,
  });
  req.user = null;
}

/**
 * The logged-in candidate, or a redirect to the login page (then back here): call it first in a
 * page that needs a login. `user.registrationNo` is set once the account has registered.
 */
export function requireCandidate(req: FastifyRequest): User {
  if (!req.user || req.user.role !== 'candidate')
    throw new AppError(401, 'LOGIN_REQUIRED', 'Silakan masuk terlebih dahulu');
  return req.user;
}

/** Where to go after the login: only a path inside the portal (never another site). */
export function safeNext(prefix: string, next: unknown): string {
  if (
    typeof next !== 'string' ||
    !next.startsWith(`${prefix}/`) ||
    next.startsWith('//') ||
    /[\\\r\n]/.test(next) ||
    next.length > 500
  )
    return `${prefix}/akun`;
  return next;
}
