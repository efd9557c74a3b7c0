import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { isStaffRole, mustChangePassword, STAFF_ROLES, type StaffRole } from '../db/staff';
import type { User } from '../db/users';
import { AppError } from '../api/errors';

export const ROLE_LABEL: Record<string, string> = {
  hr: 'SDM (HR)',
  reviewer: 'Peninjau (verifikator)',
  supervisor: 'Atasan langsung',
  auditor: 'Auditor',
  candidate: 'Pelamar',
};

/**
 * The signed-in staff user with one of `roles`: else the console sign-in page (no staff session),
 * the password page (an initial password not yet changed), or 403 (another role). Every console
 * page calls it first.
 */
export async function requireStaff(
  db: Db,
  req: FastifyRequest,
  roles: readonly StaffRole[] = STAFF_ROLES,
): Promise<User & { role: StaffRole }> {
  const user = req.user;
  if (!user || !isStaffRole(user.role))
    throw new AppError(401, 'STAFF_LOGIN_REQUIRED', 'Silakan masuk ke konsol petugas');
  if (await mustChangePassword(db, user.userId))
    throw new AppError(403, 'PASSWORD_CHANGE_REQUIRED', 'Ganti kata sandi awal Anda terlebih dahulu');
  if (!roles.includes(user.role))
    throw new AppError(403, 'FORBIDDEN', `Halaman ini bukan untuk peran ${ROLE_LABEL[user.role]}`);
  return user as User & { role: StaffRole };
}
