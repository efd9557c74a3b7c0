import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { loadConfig } from '../config';
import { AppError, toErrorResponse } from '../api/errors';
import type { ServiceDeps } from '../api/services/deps';
import { ASSETS, STATIC_DIR, renderPage, type SiteConfig } from './render';
import { publicRoutes } from './routes/public';
import { consultationRoutes } from './routes/consultation';
import { accountRoutes } from './routes/account';
import { consoleRoutes } from './routes/console';
import { candidateRoutes } from './routes/candidate';
import { consoleRoundRoutes } from './routes/console-rounds';
import { consoleResultRoutes } from './routes/console-results';
import { consoleImportRoutes } from './routes/console-imports';
import { examRoutes } from './routes/exam';
import { consoleCandidateRoutes } from './routes/console-candidate';
import { consoleCareerRoutes } from './routes/console-career';
import { consoleAuditRoutes } from './routes/console-audit';
import { consoleConsultationRoutes } from './routes/console-consultation';
import { loadSessionUser } from './session';

export interface WebOptions {
  deps: ServiceDeps;
  rateLimit: { max: number; timeWindow: number };
  /** The limit of the consultation comment form (the API's comment limit). */
  commentRateLimit?: { max: number; timeWindow: number };
  commentDuplicateWindowMs?: number;
  /** Overrides of the configuration (tests). */
  site?: Partial<SiteConfig>;
}

export const PORTAL_PREFIX = '/portal';

/**
 * The web portal for candidates and the public, mounted at /portal (register it with that
 * prefix). Encapsulated: its form parser, cookies, CSRF, error pages and CSP apply to pages only,
 * never to the JSON API.
 */
const web: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const cfg = loadConfig();
  const site: SiteConfig = {
    agencyName: cfg.agencyName,
    publicUrl: cfg.publicUrl,
    prefix: app.prefix,
    secureCookies: cfg.production,
    sessionTtlMs: cfg.sessionTtlHours * 3_600_000,
    ...opts.site,
  };
  app.decorateRequest('site', null as unknown as SiteConfig);
  app.addHook('onRequest', async (req) => {
    req.site = site;
  });

  // Before any route: child contexts copy the error handler when they are created.
  app.setErrorHandler((err, req, reply) => errorPage(site, err, req, reply));
  app.setNotFoundHandler((req, reply) => notFoundPage(req, reply));

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  // Double-submit: the secret in an HttpOnly cookie scoped to the portal, the token in each form
  // (`_csrf`) or in an `x-csrf-token` header (fetch/XHR). Checked by `app.csrfProtection`.
  await app.register(csrf, {
    cookieKey: 'asn_csrf',
    cookieOpts: { path: site.prefix, httpOnly: true, sameSite: 'lax', secure: site.secureCookies, signed: false },
  });
  await app.register(fastifyStatic, { root: STATIC_DIR, serve: false });

  // Pages: scripts and styles only from this origin, no framing, forms post only here.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header(
        'content-security-policy',
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
      );
    }
    return payload;
  });

  app.get('/static/:file', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const hash = ASSETS.get(file);
    if (!hash) return notFoundPage(req, reply);
    const versioned = (req.query as { v?: string }).v === hash;
    return reply.sendFile(file, {
      maxAge: versioned ? 365 * 86_400_000 : 300_000,
      immutable: versioned,
      cacheControl: true,
    });
  });

  // The portal session (cookie) → req.user, after the auth plugin (which handles bearer tokens).
  app.addHook('onRequest', async (req) => loadSessionUser(opts.deps.db, req));

  await app.register(publicRoutes, { deps: opts.deps });
  await app.register(accountRoutes, { deps: opts.deps, rateLimit: opts.rateLimit });
  await app.register(candidateRoutes, { deps: opts.deps });
  await app.register(consoleRoutes, { deps: opts.deps, rateLimit: opts.rateLimit });
  await app.register(consoleRoundRoutes, { deps: opts.deps });
  await app.register(consoleResultRoutes, { deps: opts.deps });
  await app.register(consoleImportRoutes, { deps: opts.deps });
  await app.register(examRoutes, { deps: opts.deps });
  await app.register(consoleCandidateRoutes, { deps: opts.deps });
  await app.register(consoleCareerRoutes, { deps: opts.deps });
  await app.register(consoleAuditRoutes, { deps: opts.deps });
  await app.register(consoleConsultationRoutes, { deps: opts.deps });
  await app.register(consultationRoutes, {
    deps: opts.deps,
    rateLimit: opts.commentRateLimit ?? opts.rateLimit,
    duplicateWindowMs: opts.commentDuplicateWindowMs,
  });
};

/** A failed page: sign-in redirects, else an error page in words (never the JSON error). */
function errorPage(site: SiteConfig, err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof AppError && err.code === 'LOGIN_REQUIRED')
    return reply.redirect(`${site.prefix}/akun/masuk?lanjut=${encodeURIComponent(req.url)}`, 303);
  if (err instanceof AppError && err.code === 'STAFF_LOGIN_REQUIRED')
    return reply.redirect(`${site.prefix}/konsol/masuk?lanjut=${encodeURIComponent(req.url)}`, 303);
  if (err instanceof AppError && err.code === 'PASSWORD_CHANGE_REQUIRED')
    return reply.redirect(`${site.prefix}/konsol/sandi?info=ganti-sandi-awal`, 303);
  const { status, body } = toErrorResponse(err);
  if (process.env.ASN_DEBUG_ERRORS) console.error(err);
  if (status >= 500) req.log.error({ err, route: req.routeOptions.url }, 'page failed');
  const e = body.error as { code: string; message: string; details?: unknown };
  let message = e.message;
  if (e.code.startsWith('FST_CSRF') || (err as { code?: string }).code?.startsWith('FST_CSRF'))
    message = 'Formulir ini sudah kedaluwarsa atau tidak berasal dari halaman ini. Muat ulang halaman lalu kirim lagi.';
  if (status === 429) message = 'Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.';
  const details = Array.isArray(e.details)
    ? e.details
        .map((d) => (typeof d === 'object' && d && 'message' in d ? String((d as { message: unknown }).message) : ''))
        .filter(Boolean)
    : [];
  return renderPage(
    req,
    reply,
    'error',
    {
      title:
        status === 404
          ? 'Halaman tidak ditemukan'
          : status >= 500
            ? 'Layanan sedang bermasalah'
            : 'Permintaan tidak dapat diproses',
      message,
      details,
      status,
      code: (err as { code?: string }).code?.startsWith('FST_CSRF') ? 'CSRF_INVALID' : e.code,
    },
    status,
  );
}

function notFoundPage(
  req: Parameters<typeof renderPage>[0],
  reply: Parameters<typeof renderPage>[1],
): ReturnType<typeof renderPage> {
  return renderPage(
    req,
    reply,
    'error',
    {
      title: 'Halaman tidak ditemukan',
      message: 'Halaman yang Anda cari tidak ada. Periksa alamatnya atau mulai dari daftar seleksi.',
      details: [],
      status: 404,
      code: 'NOT_FOUND',
    },
    404,
  );
}

/** The one line in api/app.ts: the portal at /portal, and `/` sends browsers there. */
export async function registerWeb(app: FastifyInstance, opts: WebOptions): Promise<void> {
  await app.register(web, { ...opts, prefix: PORTAL_PREFIX });
  app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.redirect(`${PORTAL_PREFIX}/`, 302),
  );
}
