import type { FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../services/deps';
import { AppError } from '../errors';
import { requireUser } from './auth';
import { hasTaskFor } from '../services/people';

/**
 * Who may see or act on one application: the candidate only their own; HR and auditors any;
 * a reviewer only one with a task assigned to them.
 */
export async function assertCanSeeRegistration(
  deps: ServiceDeps,
  req: FastifyRequest,
  registrationNo: string,
): Promise<void> {
  const user = requireUser(req);
  if (user.role === 'hr' || user.role === 'auditor') return;
  if (user.role === 'candidate' && user.registrationNo === registrationNo) return;
  if (user.role === 'reviewer' && (await hasTaskFor(deps, registrationNo, user.username))) return;
  throw new AppError(403, 'NOT_OWNER', 'Anda tidak berhak atas pendaftaran ini');
}

export function assertOwnRegistration(req: FastifyRequest, registrationNo: string): void {
  const user = requireUser(req);
  if (user.role !== 'candidate' || user.registrationNo !== registrationNo)
    throw new AppError(403, 'NOT_OWNER', 'Hanya pelamar yang bersangkutan');
}

/** `serve` for the caller's own registration number (403 NOT_OWNER for anyone else). */
export function asOwner<T>(req: FastifyRequest & { params: { registrationNo: string } }, serve: (no: string) => T): T {
  assertOwnRegistration(req, req.params.registrationNo);
  return serve(req.params.registrationNo);
}
