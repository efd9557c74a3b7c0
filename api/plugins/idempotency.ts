import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors';

/**
 * `Idempotency-Key`: a client that retries after a timeout or a 503 sends the same key, and the
 * operation happens once. For workflow Updates it becomes the Update id (Temporal returns the
 * first outcome to a repeat); for registrations it finds the application already recorded.
 */
export function idempotencyKey(req: FastifyRequest): string | undefined {
  const v = req.headers['idempotency-key'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.:-]{8,128}$/.test(v)) throw new AppError(400, 'VALIDATION_FAILED', 'Idempotency-Key: 8–128 karakter (huruf, angka, _ . : -)');
  return v;
}

/** The Update id for an operation, when the request carries a key. */
export function updateIdOf(req: FastifyRequest, operation: string): string | undefined {
  const key = idempotencyKey(req);
  return key ? `${operation}:${key}` : undefined;
}

/** `{ updateId }` for executeUpdate's options when the request carries a key, else nothing. */
export function updateOptions(req: FastifyRequest, operation: string): { updateId?: string } {
  const id = updateIdOf(req, operation);
  return id ? { updateId: id } : {};
}
