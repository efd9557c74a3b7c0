import type { UpdateDefinition } from '@temporalio/common';
import { assignSupervisorUpdate, careerStatusQuery, careerWorkflowId, type CareerStatus } from '../../contracts';
import type { User } from '../../db/users';
import { AppError } from '../errors';
import { QUERY_TIMEOUT_MS, type ServiceDeps } from './deps';
import { assertUsersWithRole } from './people';

/** `{ updateId }` when the request carried an idempotency key. */
type Once = { updateId?: string };

interface CareerRow {
  nip: string;
  career_id: string | null;
  supervisor: string | null;
  unit_head: string | null;
}

/** `/careers/{nip}` (or the career's own id) → the career's row (404 when there is none or it has no workflow). */
async function careerRow(deps: ServiceDeps, nipOrCareerId: string): Promise<CareerRow & { career_id: string }> {
  const row = await deps.db
    .selectFrom('careers')
    .select(['nip', 'career_id', 'supervisor', 'unit_head'])
    .where((eb) => eb.or([eb('nip', '=', nipOrCareerId), eb('career_id', '=', nipOrCareerId)]))
    .executeTakeFirst();
  if (!row?.career_id) throw new AppError(404, 'NOT_FOUND', `Karier ${nipOrCareerId} tidak ditemukan`);
  return row as CareerRow & { career_id: string };
}

/** The career's workflow, `career/<careerId>` (the NIP never names it). */
const handleOf = (deps: ServiceDeps, row: { career_id: string }) =>
  deps.client.workflow.getHandle(careerWorkflowId(row.career_id));

async function careerHandle(deps: ServiceDeps, nipOrCareerId: string) {
  return handleOf(deps, await careerRow(deps, nipOrCareerId));
}

/**
 * The row's supervisor and unit head follow what the workflow answered (the list "my team" reads
 * the row): written after each accepted assignment, and by any status read that finds it stale.
 */
async function syncSupervisor(deps: ServiceDeps, row: CareerRow, s: CareerStatus): Promise<void> {
  if (row.supervisor === s.supervisor && row.unit_head === s.unitHead) return;
  await deps.db
    .updateTable('careers')
    .set({ supervisor: s.supervisor, unit_head: s.unitHead })
    .where('nip', '=', row.nip)
    .execute();
}

/** The career's status; a supervisor sees only careers where they are the supervisor or the unit head. */
export async function careerStatus(
  deps: ServiceDeps,
  nipOrCareerId: string,
  viewer: Pick<User, 'role' | 'username'>,
): Promise<CareerStatus> {
  const row = await careerRow(deps, nipOrCareerId);
  const h = handleOf(deps, row);
  const s = await deps.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => h.query(careerStatusQuery));
  await syncSupervisor(deps, row, s);
  if (viewer.role === 'supervisor' && s.supervisor !== viewer.username && s.unitHead !== viewer.username)
    throw new AppError(403, 'NOT_OWNER', 'Anda bukan atasan langsung atau kepala unit pegawai ini');
  return s;
}

/** One Update of the career workflow: the status after it, or the rule it broke. */
export async function updateCareer<Args extends [unknown, ...unknown[]]>(
  deps: ServiceDeps,
  nipOrCareerId: string,
  update: UpdateDefinition<CareerStatus, Args>,
  args: Args,
  once: Once,
): Promise<CareerStatus> {
  return (await careerHandle(deps, nipOrCareerId)).executeUpdate(update, { args, ...once });
}

/**
 * Name the supervisor and the unit head: both must be enabled supervisor accounts (422
 * UNKNOWN_USER / WRONG_ROLE); the workflow records the change (who, why) in the career's audit chain.
 */
export async function assignSupervisor(
  deps: ServiceDeps,
  nipOrCareerId: string,
  input: { actor: string; supervisor: string; unitHead: string; reason: string },
  once: Once,
): Promise<CareerStatus> {
  const row = await careerRow(deps, nipOrCareerId);
  await assertUsersWithRole(deps, [input.supervisor, input.unitHead], 'supervisor');
  const s = await handleOf(deps, row).executeUpdate(assignSupervisorUpdate, {
    args: [{ ...input, reason: input.reason.trim() }],
    ...once,
  });
  await syncSupervisor(deps, row, s);
  return s;
}
