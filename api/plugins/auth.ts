import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../../db/connection';
import { findUserByToken, type Role, type User } from '../../db/users';
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
  }
  interface FastifyInstance {
    routeTable: { method: string; url: string; access: Access }[];
  }
}

export const CODEC_COOKIE = 'asn_codec';

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === CODEC_COOKIE) return v.join('=');
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
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (route.url.startsWith('/docs')) return; // the OpenAPI UI is public by design
    if (access === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no access`);
    for (const method of [route.method].flat()) if (method !== 'HEAD') app.routeTable.push({ method, url: route.url, access });
  });
  app.addHook('onRequest', async (req) => {
    const cookie = req.routeOptions.config?.cookieAuth && !req.headers.authorization ? cookieToken(req.headers.cookie) : undefined;
    if (cookie) req.user = (await findUserByToken(opts.db, cookie)) ?? null;
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S{10,200})$/i.exec(header);
      if (!m) throw new AppError(401, 'UNAUTHENTICATED', 'Header Authorization harus "Bearer <token>"');
      req.user = (await findUserByToken(opts.db, m[1]!)) ?? null;
      if (!req.user) throw new AppError(401, 'UNAUTHENTICATED', 'Token tidak valid');
    }
    const access = req.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    if (!req.user) throw new AppError(401, 'UNAUTHENTICATED', 'Login diperlukan');
    if (!access.includes(req.user.role)) throw new AppError(403, 'FORBIDDEN', `Peran ${req.user.role} tidak berhak atas tindakan ini`);
  });
}

export default fp(authPlugin, { name: 'auth' });
