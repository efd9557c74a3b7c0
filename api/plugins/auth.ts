import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../../db/connection';
import { findUserBySession } from '../../db/sessions';
import { authenticateToken, type Role, type TokenRejection, type User } from '../../db/users';
import { AppError } from '../errors';

/**
 * Authorisation in one place. Every route declares `config.access`: 'public', or the roles
 * allowed. A route without it fails at startup, so no route can skip the role matrix.
 */
export type Access = 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** Also accept the token from the /codec session cookie (the Temporal Web UI calls from a browser). */
    cookieAuth?: boolean;
  }
  interface FastifyRequest {
    user: User | null;
    /** The bearer token the request authenticated with (for logout), else null. */
    bearerToken: string | null;
    /** The codec session id the request authenticated with, else null. */
    sessionId: string | null;
  }
  interface FastifyInstance {
    routeTable: { method: string; url: string; access: Access }[];
  }
}

/** The codec login cookie: a server-side session id (db/sessions.ts), never the bearer token. */
export const CODEC_COOKIE = 'asn_codec';

/**
 * Stable codes of a refused credential (all 401): UNAUTHENTICATED (none, malformed or unknown),
 * TOKEN_EXPIRED (past its lifetime, ASN_TOKEN_TTL_HOURS), TOKEN_REVOKED (logged out or revoked by HR).
 */
const TOKEN_REFUSED: Record<TokenRejection, () => AppError> = {
  invalid: () => new AppError(401, 'UNAUTHENTICATED', 'Token tidak valid'),
  expired: () => new AppError(401, 'TOKEN_EXPIRED', 'Token sudah kedaluwarsa; minta token baru kepada admin SDM'),
  revoked: () =>
    new AppError(401, 'TOKEN_REVOKED', 'Token sudah dicabut (logout atau dicabut admin SDM); minta token baru'),
};

export function cookieValue(header: string | undefined, name: string = CODEC_COOKIE): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export function requireUser(req: FastifyRequest): User {
  if (!req.user) throw new AppError(401, 'UNAUTHENTICATED', 'Token tidak ada atau tidak valid');
  return req.user;
}

async function authPlugin(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  app.decorate('routeTable', []);
  app.decorateRequest('user', null);
  app.decorateRequest('bearerToken', null);
  app.decorateRequest('sessionId', null);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (route.url.startsWith('/docs')) return; // the OpenAPI UI is public by design
    if (access === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no access`);
    // Web pages (web/, hidden from the OpenAPI document) are not API operations: the route table
    // (the role matrix, the OpenAPI checks) lists the API only.
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
    for (const method of [route.method].flat())
      if (method !== 'HEAD') app.routeTable.push({ method, url: route.url, access });
  });
  app.addHook('onRequest', async (req) => {
    const session =
      req.routeOptions.config?.cookieAuth && !req.headers.authorization ? cookieValue(req.headers.cookie) : undefined;
    if (session) {
      req.user = (await findUserBySession(opts.db, session)) ?? null;
      if (req.user) req.sessionId = session;
    }
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S{10,200})$/i.exec(header);
      if (!m) throw new AppError(401, 'UNAUTHENTICATED', 'Header Authorization harus "Bearer <token>"');
      const r = await authenticateToken(opts.db, m[1]!);
      if (!('user' in r)) throw TOKEN_REFUSED[r.rejected]();
      req.user = r.user;
      req.bearerToken = m[1]!;
    }
    const access = req.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    if (!req.user)
      throw new AppError(
        401,
        'UNAUTHENTICATED',
        session ? 'Sesi sudah berakhir atau dicabut; masuk kembali di /codec/login' : 'Login diperlukan',
      );
    if (!access.includes(req.user.role))
      throw new AppError(403, 'FORBIDDEN', `Peran ${req.user.role} tidak berhak atas tindakan ini`);
  });
}

export default fp(authPlugin, { name: 'auth' });
