import { isGrpcServiceError, WorkflowUpdateFailedError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure, ServerFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { RuleViolation } from '../domain';
import { REJECTION_STATUS } from '../workflows/rejections';

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

export const notFound = (what: string, id: string): AppError => new AppError(404, 'NOT_FOUND', `${what} ${id} tidak ditemukan`, { id });
export const ruleErrors = (status: number, code: string, message: string, violations: RuleViolation[]): AppError => new AppError(status, code, message, violations);

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const PG_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);

function isPgUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && PG_UNAVAILABLE.has(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED 127\.0\.0\.1:5432/.test(e.message ?? '');
}

function isTemporalUnavailable(err: unknown): boolean {
  // UNAVAILABLE, DEADLINE_EXCEEDED, and CANCELLED (the channel dropped the call while the server restarted)
  // "Unable to perform workflow execution update due to unexpected workflow task failure" / "…
  // Workflow Task in failed state": the Update could not run now (a busy, restarting or
  // crashed worker); the client retries.
  // The same for a query: "Unable to query workflow due to Workflow Task in failed state" while
  // a workflow task is being retried (a worker crashed or a local activity is still failing),
  // and "no poller seen for task queue recently": no worker is running right now.
  if (/Unable to (perform workflow execution update|query workflow) due to|no poller seen for task queue recently/.test((err as { message?: string } | undefined)?.message ?? '')) return true;
  if (isGrpcServiceError(err)) return [14, 4, 1].includes(err.code);
  const e = err as { name?: string; message?: string; cause?: unknown } | undefined;
  if (e?.name === 'ServiceError' && e.cause) return isTemporalUnavailable(e.cause);
  return /Failed to connect|UNAVAILABLE|TransportError|DEADLINE_EXCEEDED|1 CANCELLED: Call cancelled/.test(e?.message ?? '');
}

/** Maps any error to a status and body; never leaks internals for a 5xx. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof AppError) return { status: err.statusCode, body: { error: { code: err.code, message: err.message, details: err.details } }, internal: false };
  const fe = err as FastifyError;
  if (fe?.validation) {
    const details = fe.validation.map((v) => ({ field: v.instancePath || (v.params as { missingProperty?: string })?.missingProperty || fe.validationContext, message: v.message }));
    return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'Permintaan tidak valid', details } }, internal: false };
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    // Refused by the server, not the workflow: "rejected because it wasn't processed by worker"
    // (a worker died holding it). Nothing was applied; the client retries.
    if (cause instanceof ServerFailure) return { status: 503, body: { error: { code: 'TEMPORAL_UNAVAILABLE', message: 'Layanan alur kerja sedang tidak dapat memproses permintaan; coba lagi nanti' } }, internal: true };
    const type = cause instanceof ApplicationFailure ? cause.type ?? 'REJECTED' : 'REJECTED';
    const status = REJECTION_STATUS[type as keyof typeof REJECTION_STATUS] ?? 422;
    return { status, body: { error: { code: type, message: cause?.message ?? err.message } }, internal: false };
  }
  if (err instanceof WorkflowNotFoundError) return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'Proses tidak ditemukan' } }, internal: false };
  if (err instanceof WorkflowExecutionAlreadyStartedError) return { status: 409, body: { error: { code: 'ALREADY_EXISTS', message: 'Sudah ada' } }, internal: false };
  if (isPgUnavailable(err)) return { status: 503, body: { error: { code: 'DATABASE_UNAVAILABLE', message: 'Basis data sedang tidak dapat dihubungi; coba lagi nanti' } }, internal: true };
  if (isTemporalUnavailable(err)) return { status: 503, body: { error: { code: 'TEMPORAL_UNAVAILABLE', message: 'Layanan alur kerja sedang tidak dapat dihubungi; coba lagi nanti' } }, internal: true };
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.code?.startsWith('FST_') || fe.code?.startsWith('FST') ? fastifyCode(fe) : (fe.code ?? 'BAD_REQUEST');
    return { status: fe.statusCode, body: { error: { code, message: fe.message } }, internal: false };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Terjadi kesalahan internal' } }, internal: true };
}

function fastifyCode(fe: FastifyError): string {
  switch (fe.statusCode) {
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMITED';
    case 404:
      return 'NOT_FOUND';
    default:
      return fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(fe.message) ? 'MALFORMED_JSON' : 'BAD_REQUEST';
  }
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body, internal } = toErrorResponse(err);
    if (process.env.ASN_DEBUG_ERRORS) console.error(err);
    if (status >= 500) req.log.error({ err, reqId: req.id, route: req.routeOptions.url, method: req.method }, 'request failed');
    else req.log.info({ code: body.error.code, status }, 'request rejected');
    void reply.status(status).send(internal && status === 500 ? body : body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `Tidak ada ${req.method} ${req.url.split('?')[0]}` } });
  });
}
