import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../../db/connection';
import { canonicalJson } from '../../db/canonical-json';
import { AppError } from '../errors';

/**
 * `Idempotency-Key`: a client that retries after a timeout or a 503 sends the same key with the
 * same request, and the operation happens once. Keys should be random (a UUID v4): a key is only
 * a retry marker, never a credential.
 *
 * One mechanism for every mutating route (a preHandler, after authentication and validation):
 * the key is bound, in `idempotency_records`, to the caller (the user id when authenticated; an
 * anonymous caller's scope is the route and its parameters, e.g. the round of a registration) and
 * to a fingerprint of the request (sha256 of method, route, parameters and canonical body).
 * - the same key with another request → 422 `IDEMPOTENCY_KEY_REUSED`, nothing done;
 * - the same key with the same request → the operation's original outcome: for workflow Updates
 *   the Update id includes the caller, and Temporal answers a repeat with the first outcome; a
 *   registration answers its registration number without any credential.
 * A request refused outright (400–422 except 409) releases its key, so a corrected request may use
 * it again; a 409 or 5xx keeps it (the operation may have happened, or another request holds it).
 */
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RELEASED_ON = new Set([400, 401, 403, 404, 413, 415, 422]);

export interface BoundIdempotencyKey {
  /** The key as the client sent it. */
  key: string;
  /** Whom the key belongs to: `user:<id>`, or `anon:<method> <route> <params>`. */
  scope: string;
  /** The caller part of Update ids: `u<userId>` or `anon`. */
  caller: string;
  /** sha256 of method, route, params and canonical body. */
  fingerprint: string;
  /** This request recorded the key (it is the first to use it). */
  recorded: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: BoundIdempotencyKey | null;
  }
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The raw header, validated. */
function headerKey(req: FastifyRequest): string | undefined {
  const v = req.headers['idempotency-key'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.:-]{8,128}$/.test(v))
    throw new AppError(
      400,
      'VALIDATION_FAILED',
      'Idempotency-Key: 8–128 karakter (huruf, angka, _ . : -); gunakan nilai acak seperti UUID v4',
    );
  return v;
}

const routeOf = (req: FastifyRequest): string => req.routeOptions.url ?? req.url.split('?')[0]!;
const callerOf = (req: FastifyRequest): string => (req.user ? `u${req.user.userId}` : 'anon');
const scopeOf = (req: FastifyRequest): string =>
  req.user ? `user:${req.user.userId}` : `anon:${req.method} ${routeOf(req)} ${canonicalJson(req.params ?? {})}`;

/** sha256 of the request: method, route pattern, path parameters, query and canonical body. */
export function requestFingerprint(req: FastifyRequest): string {
  const body = Buffer.isBuffer(req.body) ? { sha256: sha256(req.body.toString('latin1')) } : (req.body ?? null);
  return sha256(
    canonicalJson({ method: req.method, route: routeOf(req), params: req.params ?? {}, query: req.query ?? {}, body }),
  );
}

/** Records the key for this caller and request, or refuses it when it was used for another request. */
export async function bindIdempotencyKey(db: Db, req: FastifyRequest): Promise<BoundIdempotencyKey | null> {
  if (!MUTATING.has(req.method)) return null;
  const key = headerKey(req);
  if (!key) return null;
  const bound = { key, scope: scopeOf(req), caller: callerOf(req), fingerprint: requestFingerprint(req) };
  const keyHash = sha256(key);
  const inserted = await db
    .insertInto('idempotency_records')
    .values({
      scope: bound.scope,
      key_hash: keyHash,
      fingerprint: bound.fingerprint,
      operation: `${req.method} ${routeOf(req)}`,
    })
    .onConflict((oc) => oc.columns(['scope', 'key_hash']).doNothing())
    .returning('fingerprint')
    .executeTakeFirst();
  if (inserted) return { ...bound, recorded: true };
  const prior = await db
    .selectFrom('idempotency_records')
    .select('fingerprint')
    .where('scope', '=', bound.scope)
    .where('key_hash', '=', keyHash)
    .executeTakeFirst();
  // Released in between by a refused request: bind it now.
  if (!prior) return bindIdempotencyKey(db, req);
  if (prior.fingerprint !== bound.fingerprint) {
    throw new AppError(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'Idempotency-Key ini sudah dipakai untuk permintaan lain; gunakan kunci acak baru (UUID v4) untuk setiap permintaan baru',
    );
  }
  return { ...bound, recorded: false };
}

/** Releases a key whose request was refused outright, so a corrected request may use it. */
async function releaseIdempotencyKey(db: Db, b: BoundIdempotencyKey): Promise<void> {
  await db
    .deleteFrom('idempotency_records')
    .where('scope', '=', b.scope)
    .where('key_hash', '=', sha256(b.key))
    .where('fingerprint', '=', b.fingerprint)
    .execute();
}

/**
 * The key bound to its caller, for services that find an earlier outcome by it (registration):
 * `<scope>\n<key>`, so two callers' equal keys never meet. Undefined without a key.
 */
export function idempotencyKey(req: FastifyRequest): string | undefined {
  const b = req.idempotency ?? (headerKey(req) ? { key: headerKey(req)!, scope: scopeOf(req) } : null);
  return b ? `${b.scope}\n${b.key}` : undefined;
}

/** The Update id for an operation, when the request carries a key: the operation, the caller and the key. */
export function updateIdOf(req: FastifyRequest, operation: string): string | undefined {
  const key = req.idempotency?.key ?? headerKey(req);
  return key ? `${operation}:${req.idempotency?.caller ?? callerOf(req)}:${key}` : undefined;
}

/** `{ updateId }` for executeUpdate's options when the request carries a key, else nothing. */
export function updateOptions(req: FastifyRequest, operation: string): { updateId?: string } {
  const id = updateIdOf(req, operation);
  return id ? { updateId: id } : {};
}

async function idempotencyPlugin(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  app.decorateRequest('idempotency', null);
  app.addHook('preHandler', async (req) => {
    req.idempotency = await bindIdempotencyKey(opts.db, req);
  });
  app.addHook('onResponse', async (req, reply) => {
    const b = req.idempotency;
    if (b?.recorded && RELEASED_ON.has(reply.statusCode))
      await releaseIdempotencyKey(opts.db, b).catch((err: unknown) =>
        req.log.warn({ err }, 'idempotency key not released'),
      );
  });
}

/** Registered after the auth plugin (the caller is known) and before the routes. */
export default fp(idempotencyPlugin, { name: 'idempotency', dependencies: ['auth'] });

/**
 * Forgets keys older than `olderThanMs` (the API's reconciler, ASN_IDEMPOTENCY_RETENTION_HOURS,
 * default 72 h). Safe: a registration's replay is found by its application row (never with a
 * token), and an Update id stays the caller's own.
 */
export async function pruneIdempotencyRecords(db: Db, olderThanMs: number): Promise<number> {
  const r = await db
    .deleteFrom('idempotency_records')
    .where('created_at', '<', new Date(Date.now() - olderThanMs))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
