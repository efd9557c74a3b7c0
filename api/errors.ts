import type { ErrorObject } from 'ajv';
import localizeId from 'ajv-i18n/localize/id';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REJECTION_STATUS } from '../contracts';
import { classifyTemporalError } from '../config/temporal-errors';

/** A client-facing error with a stable code. Codes are English; messages are for people. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id: string): AppError =>
  new AppError(404, 'NOT_FOUND', `${what} ${id} tidak ditemukan`, { id });

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const PG_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  '53300',
]);

function isPgUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && PG_UNAVAILABLE.has(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED 127\.0\.0\.1:5432/.test(
    e.message ?? '',
  );
}

const answer = (status: number, code: string, message: string, details?: unknown) => ({
  status,
  body: { error: details === undefined ? { code, message } : { code, message, details } },
});

/** Maps any error to a status and body; never leaks internals for a 5xx. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AppError)
    return { status: err.statusCode, body: { error: { code: err.code, message: err.message, details: err.details } } };
  const fe = err as FastifyError;
  if (fe?.validation)
    return answer(
      400,
      'VALIDATION_FAILED',
      'Permintaan tidak valid',
      validationDetails(fe.validation as ErrorObject[], fe.validationContext),
    );
  const temporal = classifyTemporalError(err);
  if (temporal.kind === 'update-rejected')
    return answer(
      REJECTION_STATUS[temporal.type as keyof typeof REJECTION_STATUS] ?? 422,
      temporal.type,
      temporal.message,
    );
  if (temporal.kind === 'not-found') return answer(404, 'NOT_FOUND', 'Proses tidak ditemukan');
  if (temporal.kind === 'already-started') return answer(409, 'ALREADY_EXISTS', 'Sudah ada');
  if (isPgUnavailable(err))
    return answer(503, 'DATABASE_UNAVAILABLE', 'Basis data sedang tidak dapat dihubungi; coba lagi nanti');
  if (temporal.kind === 'unavailable')
    return answer(
      503,
      'TEMPORAL_UNAVAILABLE',
      temporal.refusedUpdate
        ? 'Layanan alur kerja sedang tidak dapat memproses permintaan; coba lagi nanti'
        : 'Layanan alur kerja sedang tidak dapat dihubungi; coba lagi nanti',
    );
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const { code, message } = frameworkError(fe);
    return answer(fe.statusCode, code, message);
  }
  return answer(500, 'INTERNAL', 'Terjadi kesalahan internal');
}

/**
 * Ajv's errors as `{ field, message }` in Bahasa Indonesia (ajv-i18n). A field that must be one of
 * a list of values gets one message listing them, whether the schema says `enum` or a union of
 * constants (anyOf/const, which Ajv reports once per value and never lists).
 */
export function validationDetails(
  errors: readonly ErrorObject[],
  context?: string,
): { field: string; message: string }[] {
  const copy = errors.map((e) => ({ ...e, params: { ...e.params } }));
  localizeId(copy);
  const fieldOf = (e: ErrorObject): string =>
    `${e.instancePath}${e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : ''}` ||
    context ||
    '';
  const allowed = new Map<string, unknown[]>();
  for (const e of copy)
    if (e.keyword === 'const')
      allowed.set(e.schemaPath.replace(/\/anyOf\/\d+\/const$/, ''), [
        ...(allowed.get(e.schemaPath.replace(/\/anyOf\/\d+\/const$/, '')) ?? []),
        e.params.allowedValue,
      ]);
  const out: { field: string; message: string }[] = [];
  for (const e of copy) {
    let message = e.message ?? 'tidak valid';
    if (e.keyword === 'enum')
      message = `harus salah satu dari: ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
    else if (e.keyword === 'const' && /\/anyOf\/\d+\/const$/.test(e.schemaPath))
      continue; // folded into the anyOf below
    else if (e.keyword === 'anyOf' && allowed.has(`${e.schemaPath.replace(/\/anyOf$/, '')}`))
      message = `harus salah satu dari: ${allowed
        .get(e.schemaPath.replace(/\/anyOf$/, ''))!
        .map(String)
        .join(', ')}`;
    const field = fieldOf(e);
    if (!out.some((o) => o.field === field && o.message === message)) out.push({ field, message });
  }
  return out;
}

/** Fastify's and its plugins' own errors: a stable code and a message in Bahasa Indonesia. */
function frameworkError(fe: FastifyError): { code: string; message: string } {
  if (fe.code && !fe.code.startsWith('FST')) return { code: fe.code, message: fe.message };
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'MALFORMED_JSON', message: 'Isi permintaan bukan JSON yang sah' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'MALFORMED_JSON', message: 'Isi permintaan kosong padahal Content-Type application/json' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type tidak didukung oleh rute ini' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE', message: 'Isi permintaan terlalu besar' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'BAD_REQUEST', message: 'Content-Length tidak sesuai dengan isi permintaan' };
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return { code: 'PAYLOAD_TOO_LARGE', message: 'Unggahan melebihi batas (satu berkas, ukuran per jenis dokumen)' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: 'URI_TOO_LONG', message: 'Parameter path terlalu panjang (paling banyak 100 karakter)' };
    case 'FST_ERR_BAD_URL':
      return { code: 'BAD_URL', message: 'URL tidak sah' };
    default:
      break;
  }
  switch (fe.statusCode) {
    case 413:
      return { code: 'PAYLOAD_TOO_LARGE', message: 'Isi permintaan terlalu besar' };
    case 415:
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type tidak didukung oleh rute ini' };
    case 429:
      return { code: 'RATE_LIMITED', message: 'Terlalu banyak permintaan; coba lagi nanti' };
    case 404:
      return { code: 'NOT_FOUND', message: 'Tidak ditemukan' };
    case 414:
      return { code: 'URI_TOO_LONG', message: 'URL terlalu panjang' };
    default:
      return /JSON/.test(fe.message)
        ? { code: 'MALFORMED_JSON', message: 'Isi permintaan bukan JSON yang sah' }
        : { code: 'BAD_REQUEST', message: 'Permintaan tidak dapat diproses' };
  }
}

/** Statuses for framework errors that happen before routing (Fastify's `frameworkErrors` option). */
const FRAMEWORK_STATUS: Record<string, number> = { FST_ERR_MAX_PARAM_LENGTH: 414, FST_ERR_BAD_URL: 400 };

/** For Fastify's `frameworkErrors` option: the 414 of an over-long path parameter, a bad URL — in the envelope. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = FRAMEWORK_STATUS[err.code] ?? (err.statusCode && err.statusCode >= 400 ? err.statusCode : 400);
  const { code, message } = frameworkError({
    ...err,
    code: err.code,
    statusCode: status,
    message: err.message,
  } as FastifyError);
  req.log.info({ code, status }, 'request rejected');
  void reply.status(status).send({ error: { code, message } });
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorResponse(err);
    if (process.env.ASN_DEBUG_ERRORS) console.error(err);
    if (status >= 500)
      req.log.error({ err, reqId: req.id, route: req.routeOptions.url, method: req.method }, 'request failed');
    else req.log.info({ code: body.error.code, status }, 'request rejected');
    void reply.status(status).send(body);
  });
  // Patterns of every route, to tell "no such path" (404) from "not with this method" (405).
  const routes: { method: string; re: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    const re = new RegExp(
      `^${route.url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}/?$`,
    );
    for (const method of [route.method].flat()) routes.push({ method, re });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allow = [...new Set(routes.filter((r) => r.re.test(path)).map((r) => r.method))];
    if (allow.length) {
      void reply
        .status(405)
        .header('allow', allow.join(', '))
        .send({
          error: {
            code: 'METHOD_NOT_ALLOWED',
            message: `${req.method} tidak didukung untuk ${path}; gunakan ${allow.join(', ')}`,
            details: { allow },
          },
        });
      return;
    }
    void reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `Tidak ada ${req.method} ${path}` } });
  });
}
