import type { Role } from '../../db/users';
import { AppError } from '../errors';
import type { ServiceDeps } from './deps';

/**
 * Each name must be an existing, enabled account with the role: 422 UNKNOWN_USER (no such
 * account, or disabled) or WRONG_ROLE, naming every offender.
 */
export async function assertUsersWithRole(deps: ServiceDeps, usernames: string[], role: Role): Promise<void> {
  const names = [...new Set(usernames)];
  const rows = await deps.db
    .selectFrom('users')
    .select(['username', 'role', 'disabled'])
    .where('username', 'in', names)
    .execute();
  const unknown = names.filter((n) => !rows.some((r) => r.username === n && !r.disabled));
  if (unknown.length)
    throw new AppError(422, 'UNKNOWN_USER', `Akun tidak ditemukan atau dinonaktifkan: ${unknown.join(', ')}`, {
      unknown,
    });
  const wrong = rows.filter((r) => r.role !== role).map((r) => ({ username: r.username, role: r.role }));
  if (wrong.length)
    throw new AppError(
      422,
      'WRONG_ROLE',
      `Akun harus berperan ${role}: ${wrong.map((w) => `${w.username} (${w.role})`).join(', ')}`,
      { required: role, wrong },
    );
}

/** Whether a task of the registration (open or done) is assigned to the reviewer: what lets them see its application. */
export async function hasTaskFor(deps: ServiceDeps, registrationNo: string, reviewer: string): Promise<boolean> {
  const task = await deps.db
    .selectFrom('tasks')
    .select('task_id')
    .where((eb) => eb.and({ registration_no: registrationNo, reviewer }))
    .executeTakeFirst();
  return !!task;
}
