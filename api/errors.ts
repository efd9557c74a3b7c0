import {
  isGrpcServiceError,
  WorkflowUpdateFailedError,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { ApplicationFailure, ServerFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { ErrorObject } from 'ajv';
import localizeId from 'ajv-i18n/localize/id';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RuleViolation } from '../domain';
import { REJECTION_STATUS } from '../contracts';

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
export const ruleErrors = (status: number, code: string, message: string, violations: RuleViolation[]): AppError =>
  new AppError(status, code, message, violations);

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

function isTemporalUnavailable(err: unknown): boolean {
  // UNAVAILABLE, DEADLINE_EXCEEDED, and CANCELLED (the channel dropped the call while the server restarted)
  // "Unable to perform workflow execution update due to unexpected workflow task failure" / "…
  // Workflow Task in failed state": the Update could not run now (a busy, restarting or
  // crashed worker); the client retries.
  // The same for a query: "Unable to query workflow due to Workflow Task in failed state" while
  // a workflow task is being retried (a worker crashed or a local activity is still failing),
  // and "no poller seen for task queue recently": no worker is running right now.
  if (
    /Unable to (perform workflow execution update|query workflow) due to|no poller seen for task queue recently/.test(
      (err as { message?: string } | undefined)?.message ?? '',
    )
  )
    return true;
  if (isGrpcServiceError(err)) return [14, 4, 1].includes(err.code);
  const e = err as { name?: string; message?: string; cause?: unknown } | undefined;
  if (e?.name === 'ServiceError' && e.cause) return isTemporalUnavailable(e.cause);
  return /Failed to connect|UNAVAILABLE|TransportError|DEADLINE_EXCEEDED|1 CANCELLED: Call cancelled/.test(
    e?.message ?? '',
  );
}

/** Maps any error to a status and body; never leaks internals for a 5xx. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof AppError)
    return {
      status: err.statusCode,
      body: { error: { code: err.code, message: err.message, details: err.details } },
      internal: false,
    };
  const fe = err as FastifyError;
  if (fe?.validation) {
    return {
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'Permintaan tidak valid',
          details: validationDetails(fe.validation as ErrorObject[], fe.validationContext),
        },
      },
      internal: false,
    };
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    // Refused by the server, not the workflow: "rejected because it wasn't processed by worker"
    // (a worker died holding it). Nothing was applied; the client retries.
    if (cause instanceof ServerFailure)
      return {
        status: 503,
        body: {
          error: {
            code: 'TEMPORAL_UNAVAILABLE',
            message: 'Layanan alur kerja sedang tidak dapat memproses permintaan; coba lagi nanti',
          },
        },
        internal: true,
      };
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'REJECTED') : 'REJECTED';
    const status = REJECTION_STATUS[type as keyof typeof REJECTION_STATUS] ?? 422;
    return { status, body: { error: { code: type, message: cause?.message ?? err.message } }, internal: false };
  }
  if (err instanceof WorkflowNotFoundError)
    return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'Proses tidak ditemukan' } }, internal: false };
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return { status: 409, body: { error: { code: 'ALREADY_EXISTS', message: 'Sudah ada' } }, internal: false };
  if (isPgUnavailable(err))
    return {
      status: 503,
      body: {
        error: { code: 'DATABASE_UNAVAILABLE', message: 'Basis data sedang tidak dapat dihubungi; coba lagi nanti' },
      },
      internal: true,
    };
  if (isTemporalUnavailable(err))
    return {
      status: 503,
      body: {
        error: {
          code: 'TEMPORAL_UNAVAILABLE',
          message: 'Layanan alur kerja sedang tidak dapat dihubungi; coba lagi nanti',
        },
      },
      internal: true,
    };
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const { code, message } = frameworkError(fe);
    return { status: fe.statusCode, body: { error: { code, message } }, internal: false };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Terjadi kesalahan internal' } }, internal: true };
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
    const { status, body, internal } = toErrorResponse(err);
    if (process.env.ASN_DEBUG_ERRORS) console.error(err);
    if (status >= 500)
      req.log.error({ err, reqId: req.id, route: req.routeOptions.url, method: req.method }, 'request failed');
    else req.log.info({ code: body.error.code, status }, 'request rejected');
    void reply.status(status).send(internal && status === 500 ? body : body);
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
