import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { AppError, frameworkErrors, registerErrorHandler } from './errors';
import { documentRoute } from './openapi';
import authPlugin from './plugins/auth';
import idempotencyPlugin from './plugins/idempotency';
import { authRoutes } from './routes/auth';
import { healthRoutes } from './routes/health';
import { registrationRoutes } from './routes/registrations';
import { roundOpsRoutes } from './routes/round-ops';
import { moderationRoutes } from './routes/moderation';
import { roundRoutes } from './routes/rounds';
import { taskRoutes } from './routes/tasks';
import { auditRoutes } from './routes/audit';
import { registerAuditJobs } from './routes/audit-jobs';
import { careerRoutes } from './routes/careers';
import { codecRoutes } from './routes/codec';
import { examRoutes } from './routes/exam';
import multipart from '@fastify/multipart';
import type { ServiceDeps } from './services/deps';
import { registerWeb } from '../web/plugin';
import { DEFAULT_RATE_LIMITS, type PublicWriteLimits } from '../config';

export interface BuildAppOptions {
  deps: ServiceDeps;
  logger?: FastifyBaseLogger;
  /** Replaces the limit of every public write route (tests and benches that need throughput). */
  rateLimit?: { max: number; timeWindow: number };
  /** Per-minute limits of the public write routes; default DEFAULT_RATE_LIMITS (config/index.ts). */
  rateLimits?: Partial<PublicWriteLimits>;
  /** The duplicate-comment window (default 10 minutes). */
  commentDuplicateWindowMs?: number;
  /** The workflow bundle the auditors' replay runs against. */
  bundlePath?: string;
  /** Origins of the Temporal Web UI allowed to call /codec (CORS). */
  codecCorsOrigins?: string[];
}

/** External plugins, then app plugins, then routes (fastify/demo's order). */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger ?? pino({ level: 'silent' }),
    bodyLimit: 1024 * 1024,
    genReqId: (req) =>
      typeof req.headers['x-request-id'] === 'string' && /^[\w-]{1,64}$/.test(req.headers['x-request-id'])
        ? req.headers['x-request-id']
        : randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    // Errors before routing (a path parameter over 100 characters, a bad URL) in the envelope too.
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Security, the error statuses and the descriptions of every operation, from the route itself.
  app.addHook('onRoute', documentRoute);

  await app.register(helmet, { contentSecurityPolicy: false });
  const perMinute = (max: number) => ({ max, timeWindow: 60_000 });
  const limits = {
    comments: opts.rateLimit ?? perMinute(opts.rateLimits?.comments ?? DEFAULT_RATE_LIMITS.comments),
    registrations: opts.rateLimit ?? perMinute(opts.rateLimits?.registrations ?? DEFAULT_RATE_LIMITS.registrations),
  };
  // Per token when there is one (an invalid token is refused with 401 before any write), else
  // per IP; applied to the public write routes.
  await app.register(rateLimit, {
    global: false,
    ...limits.registrations,
    errorResponseBuilder: (_req, ctx) =>
      new AppError(
        429,
        'RATE_LIMITED',
        `Terlalu banyak permintaan: paling banyak ${ctx.max} per ${ctx.after}; coba lagi nanti`,
        { max: ctx.max, retryAfter: ctx.after },
      ),
    keyGenerator: (req) =>
      typeof req.headers.authorization === 'string' ? `t:${req.headers.authorization.slice(-24)}` : `ip:${req.ip}`,
  });
  await app.register(multipart, { limits: { fileSize: 800 * 1024, files: 1, fields: 5, parts: 6 } });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ASN Recruitment API',
        version: '0.1.0',
        description:
          'Seleksi ASN berbasis kinerja — BKPSDM Kota Medan. Every error comes in one envelope `{ "error": { "code", "message", "details" } }`: stable English codes, messages in Bahasa Indonesia. ' +
          'Operations with `security: []` are public; the others need `Authorization: Bearer <token>`. Retries of writes may carry an `Idempotency-Key` header (a random value per operation).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerErrorHandler(app);
  await app.register(authPlugin, { db: opts.deps.db });
  await app.register(idempotencyPlugin, { db: opts.deps.db });

  await app.register(healthRoutes, { deps: opts.deps });
  await app.register(roundRoutes, { deps: opts.deps });
  await app.register(roundOpsRoutes, {
    deps: opts.deps,
    rateLimit: limits.comments,
    commentDuplicateWindowMs: opts.commentDuplicateWindowMs,
  });
  await app.register(moderationRoutes, { deps: opts.deps });
  await app.register(registrationRoutes, { deps: opts.deps, rateLimit: limits.registrations });
  await app.register(taskRoutes, { deps: opts.deps });
  await app.register(careerRoutes, { deps: opts.deps });
  await app.register(auditRoutes, { deps: opts.deps, bundlePath: opts.bundlePath });
  await registerAuditJobs(app, { deps: opts.deps, bundlePath: opts.bundlePath });
  await app.register(authRoutes, { deps: opts.deps });
  await app.register(examRoutes, { deps: opts.deps });
  await app.register(codecRoutes, { deps: opts.deps, corsOrigins: opts.codecCorsOrigins ?? [] });
  // The portal's public forms (registration) share the registrations limit.
  await registerWeb(app, {
    deps: opts.deps,
    rateLimit: limits.registrations,
    commentRateLimit: limits.comments,
    commentDuplicateWindowMs: opts.commentDuplicateWindowMs,
  });
  return app;
}
